"""Mediation and moderation by regression, as PROCESS (models 4 and 1) and lavaan report them:
the paths with their tests, the indirect effect with a seeded percentile bootstrap interval, and
simple slopes of a moderated effect."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import check_columns, check_scalar, numeric_frame


def _ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Coefficients, their classical covariance and the residual df."""
    n, k = X.shape
    xtx_inv = np.linalg.pinv(X.T @ X)
    b = xtx_inv @ X.T @ y
    resid = y - X @ b
    df = n - k
    return b, xtx_inv * float(resid @ resid) / df, df


def _complete(data: pd.DataFrame, variables: list[str], covariates: Sequence[str],
              model: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The complete rows of the model's variables (numbers) and the covariates as a matrix."""
    cols = list(dict.fromkeys([*variables, *covariates]))
    check_columns(data, cols, "column")
    d = numeric_frame(data, cols).dropna()
    if len(d) < 10:
        raise CannotCompute(f"a {model} model needs at least 10 complete rows; {len(d)} have {cols}")
    cov = d[list(covariates)].to_numpy(dtype=float) if covariates else np.zeros((len(d), 0))
    return d, cov


def _row(name: str, b: float, se: float, df: int) -> dict:
    t = b / se
    q = stats.t.ppf(0.975, df)
    return {"effect": name, "estimate": b, "se": se, "statistic": t, "df": df, "p_val": 2 * stats.t.sf(abs(t), df),
            "ci95_low": b - q * se, "ci95_high": b + q * se}


def mediation(data: pd.DataFrame, x: str, m: str, y: str, covariates: Sequence[str] = (), n_boot: int = 5000,
              seed: int = 20240501, ci: float = 0.95, interval: str = "percentile") -> pd.DataFrame:
    """Simple mediation x → m → y (PROCESS model 4): the paths by OLS and the indirect effect a·b
    with a percentile bootstrap interval.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the variables are left out.
    x, m, y : str
        Numeric columns: the predictor, the mediator and the outcome.
    covariates : list of str
        Columns entered in both regressions.
    n_boot : int
        Bootstrap resamples (≥ 100), drawn with numpy's default generator seeded by ``seed``.
    seed : int
        Seed of the bootstrap (the same seed gives the same interval).
    ci : float
        Level of the bootstrap interval, in (0, 1).
    interval : {"percentile", "bca"}
        The bootstrap interval of the indirect effect: percentile (PROCESS's default) or
        bias-corrected and accelerated (BCa, Efron 1987; acceleration from the jackknife, as
        ``boot::boot.ci(type = "bca")``).

    Returns
    -------
    DataFrame, one row per effect — ``a`` (x → m), ``b`` (m → y given x), ``c`` (total, x → y),
    ``c_prime`` (direct), ``indirect`` (a·b) — with estimate, se, statistic, df, p_val, ci95_low,
    ci95_high (t-based for the paths; for ``indirect``: the bootstrap SD and the percentile or BCa
    interval, statistic and p NaN), n, n_boot, interval, and ``proportion_mediated``
    (indirect / c) on every row.

    Notes
    -----
    m = i₁ + a x + covariates, y = i₂ + c' x + b m + covariates, y = i₃ + c x + covariates; with
    OLS, c = c' + a b exactly. The bootstrap resamples respondents and refits both equations.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from pipeline.stats import mediation
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.normal(size=200)})
    >>> d["m"] = 0.5 * d["x"] + rng.normal(size=200)
    >>> d["y"] = 0.4 * d["m"] + 0.2 * d["x"] + rng.normal(size=200)
    >>> mediation(d, "x", "m", "y", n_boot=1000, seed=3)[["effect", "estimate", "ci95_low", "ci95_high"]].round(3)
         effect  estimate  ci95_low  ci95_high
    0         a     0.540     0.404      0.675
    1         b     0.173     0.017      0.329
    2         c     0.523     0.371      0.675
    3   c_prime     0.430     0.257      0.603
    4  indirect     0.093     0.008      0.167

    # R (tests/reference/mediation_moderation.R): lm(m ~ x), lm(y ~ x + m), lm(y ~ x):
    #    a 0.5398 (SE 0.0688), b 0.1728 (0.0790), c 0.5232, c' 0.4299 — the same OLS; 5000
    #    resamples in R: indirect SD 0.0418, 95% interval 0.010–0.176 (within Monte-Carlo error)
    """
    check_scalar("n_boot", n_boot, "mediation", kind=int, low=100)
    check_scalar("seed", seed, "mediation", kind=int, low=0)
    check_scalar("ci", ci, "mediation", low=0, high=1, inclusive="neither")
    if interval not in ("percentile", "bca"):
        raise ValueError(f"mediation: interval must be 'percentile' or 'bca', got {interval!r}")
    d, cov = _complete(data, [x, m, y], covariates, "mediation")
    n = len(d)
    one = np.ones((n, 1))
    xv, mv, yv = (d[c].to_numpy(dtype=float) for c in (x, m, y))
    Xa = np.column_stack([one, xv, cov])
    Xb = np.column_stack([one, xv, mv, cov])
    ba, va, dfa = _ols(Xa, mv)
    bb, vb, dfb = _ols(Xb, yv)
    bc, vc, dfc = _ols(Xa, yv)
    a, b, cprime, c = ba[1], bb[2], bb[1], bc[1]
    rows = [_row("a", a, np.sqrt(va[1, 1]), dfa), _row("b", b, np.sqrt(vb[2, 2]), dfb),
            _row("c", c, np.sqrt(vc[1, 1]), dfc), _row("c_prime", cprime, np.sqrt(vb[1, 1]), dfb)]
    # bootstrap: resample rows, refit both equations on the normal equations (batched)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boot = np.empty(n_boot)
    step = max(1, 2_000_000 // max(n, 1))
    for s0 in range(0, n_boot, step):
        ii = idx[s0:s0 + step]
        XA, XB = Xa[ii], Xb[ii]
        ma, yb = mv[ii], yv[ii]
        ca = np.linalg.solve(np.einsum("bni,bnj->bij", XA, XA), np.einsum("bni,bn->bi", XA, ma)[..., None])[..., 0]
        cb = np.linalg.solve(np.einsum("bni,bnj->bij", XB, XB), np.einsum("bni,bn->bi", XB, yb)[..., None])[..., 0]
        boot[s0:s0 + step] = ca[:, 1] * cb[:, 2]
    probs = [(1 - ci) / 2, (1 + ci) / 2]
    if interval == "bca":
        probs = _bca_levels(boot, a * b, _jackknife_ab(Xa, mv, Xb, yv), ci)
    lo, hi = np.quantile(boot, probs)
    rows.append({"effect": "indirect", "estimate": a * b, "se": float(boot.std(ddof=1)), "statistic": np.nan,
                 "df": np.nan, "p_val": np.nan, "ci95_low": float(lo), "ci95_high": float(hi)})
    out = pd.DataFrame(rows)
    out["n"] = n
    out["n_boot"] = n_boot
    out["interval"] = interval
    out["proportion_mediated"] = a * b / c if c != 0 else np.nan
    return out


def _loo_coef(X: np.ndarray, y: np.ndarray, j: int) -> np.ndarray:
    """Coefficient j of the OLS fit leaving out each row in turn (closed form, no refits):
    b₍₋ᵢ₎ = b − (XᵀX)⁻¹ xᵢ eᵢ / (1 − hᵢᵢ)."""
    xtx_inv = np.linalg.pinv(X.T @ X)
    b = xtx_inv @ X.T @ y
    e = y - X @ b
    h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    return b[j] - (X @ xtx_inv[:, j]) * e / (1 - h)


def _jackknife_ab(Xa, mv, Xb, yv) -> np.ndarray:
    return _loo_coef(Xa, mv, 1) * _loo_coef(Xb, yv, 2)


def _bca_levels(boot: np.ndarray, est: float, jack: np.ndarray, ci: float) -> list[float]:
    """The BCa interval's quantile levels: bias correction z₀ from the share of resamples below
    the estimate, acceleration from the jackknife's skewness (Efron 1987; boot::boot.ci)."""
    z0 = stats.norm.ppf(np.clip((np.sum(boot < est) + 0.5 * np.sum(boot == est)) / len(boot), 1e-10, 1 - 1e-10))
    d = jack.mean() - jack
    den = 6 * np.sum(d ** 2) ** 1.5
    acc = float(np.sum(d ** 3) / den) if den > 0 else 0.0
    out = []
    for alpha in ((1 - ci) / 2, (1 + ci) / 2):
        z = stats.norm.ppf(alpha)
        out.append(float(stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))))
    return out


def moderation(data: pd.DataFrame, x: str, w: str, y: str, covariates: Sequence[str] = (),
               center: bool = True) -> dict[str, pd.DataFrame]:
    """Moderation of x → y by w (PROCESS model 1): y = i + b₁x + b₂w + b₃xw (+ covariates), with
    x and w mean-centred, and the simple slopes of x at w's mean − 1 SD, mean and + 1 SD.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the variables are left out.
    x, w, y : str
        Numeric columns: the predictor, the moderator (a 0/1 column gives the two groups) and
        the outcome.
    covariates : list of str
        Columns entered as further predictors.
    center : bool
        Mean-centre x and w before forming the product (the default; b₁ and b₂ are then
        effects at the other's mean).

    Returns
    -------
    dict with
        coefficients : term (``x``, ``w``, ``x:w``, covariates, ``Intercept``), estimate, se,
            statistic, df, p_val, ci95_low, ci95_high (OLS, classical SEs)
        simple_slopes : w_level (``mean − 1 SD``, ``mean``, ``mean + 1 SD``; for a 0/1 moderator
            ``w = 0`` and ``w = 1``), w_value (on w's own scale), slope, se, statistic, df,
            p_val, ci95_low, ci95_high — slope = b₁ + b₃ w, var = v₁₁ + w² v₃₃ + 2w v₁₃ — and the
            predicted outcome at x = mean ∓ 1 SD (x_low, x_high, y_at_x_low, y_at_x_high;
            covariates at their means), the points of a simple-slopes plot
        johnson_neyman : the moderator values (w_value, on w's scale) where the simple slope's
            p is exactly .05 (at most two; empty for a 0/1 moderator or when the slope is
            significant, or not, everywhere), with slope, se, p_val, share_below (the sample's
            share below that value) and within_range (inside the observed range of w)

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from pipeline.stats import moderation
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"x": rng.normal(size=300), "w": rng.normal(size=300)})
    >>> d["y"] = 0.3 * d["x"] + 0.2 * d["w"] + 0.25 * d["x"] * d["w"] + rng.normal(size=300)
    >>> res = moderation(d, "x", "w", "y")
    >>> res["simple_slopes"][["w_level", "slope", "p_val"]].round(3)
           w_level  slope  p_val
    0  mean − 1 SD -0.085  0.321
    1         mean  0.229  0.000
    2  mean + 1 SD  0.543  0.000

    # R: m <- lm(y ~ xc * wc); slope = coef(m)["xc"] + coef(m)["xc:wc"] * w
    #    −0.0851 (SE 0.0856), 0.2291 (0.0576), 0.5433 (0.0820)
    """
    d, cov = _complete(data, [x, w, y], covariates, "moderation")
    n = len(d)
    xv, wv, yv = (d[c].to_numpy(dtype=float) for c in (x, w, y))
    binary = set(np.unique(wv)) <= {0.0, 1.0}
    xm = xv.mean() if center else 0.0
    wm = wv.mean() if center and not binary else 0.0
    xc, wc = xv - xm, wv - wm
    X = np.column_stack([np.ones(n), xc, wc, xc * wc, cov])
    b, v, df = _ols(X, yv)
    names = ["Intercept", x, w, f"{x}:{w}", *covariates]
    coef = pd.DataFrame([{**_row(t, b[i], np.sqrt(v[i, i]), df)} for i, t in enumerate(names)]).rename(columns={"effect": "term"})
    if binary:
        levels = [("w = 0", 0.0), ("w = 1", 1.0)]
    else:
        sd = wv.std(ddof=1)
        levels = [("mean − 1 SD", wv.mean() - sd), ("mean", wv.mean()), ("mean + 1 SD", wv.mean() + sd)]
    slopes = []
    xsd = xv.std(ddof=1)
    base = b[0] + (cov.mean(axis=0) @ b[4:] if cov.shape[1] else 0.0)   # covariates at their means
    for lab, val in levels:
        wcv = val - wm
        s = b[1] + b[3] * wcv
        se = np.sqrt(v[1, 1] + wcv ** 2 * v[3, 3] + 2 * wcv * v[1, 3])
        pred = {}
        for tag, xval in (("x_low", xv.mean() - xsd), ("x_high", xv.mean() + xsd)):
            xcv = xval - xm
            pred[tag] = xval
            pred[f"y_at_{tag}"] = base + b[1] * xcv + b[2] * wcv + b[3] * xcv * wcv
        slopes.append({"w_level": lab, "w_value": val, **{k: r for k, r in _row("slope", s, se, df).items() if k != "effect"},
                       **pred})
    sl = pd.DataFrame(slopes).rename(columns={"estimate": "slope"})
    return {"coefficients": coef, "simple_slopes": sl,
            "johnson_neyman": _johnson_neyman(b, v, df, wm, wv) if not binary else
            pd.DataFrame(columns=["w_value", "slope", "se", "p_val", "share_below", "within_range"])}


def _johnson_neyman(b: np.ndarray, v: np.ndarray, df: int, wm: float, wv: np.ndarray,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Values of the moderator where the simple slope's t equals the critical t (Johnson–Neyman):
    roots of (b₁ + b₃w)² = t²(v₁₁ + w²v₃₃ + 2w v₁₃), w centred; on w's own scale."""
    t2 = stats.t.ppf(1 - alpha / 2, df) ** 2
    qa = b[3] ** 2 - t2 * v[3, 3]
    qb = 2 * (b[1] * b[3] - t2 * v[1, 3])
    qc = b[1] ** 2 - t2 * v[1, 1]
    roots = np.roots([qa, qb, qc]) if abs(qa) > 1e-300 else np.array([-qc / qb])
    roots = np.sort(roots[np.isreal(roots)].real)
    rows = []
    for r in roots:
        slope = b[1] + b[3] * r
        se = np.sqrt(v[1, 1] + r ** 2 * v[3, 3] + 2 * r * v[1, 3])
        w = r + wm
        rows.append({"w_value": w, "slope": slope, "se": se, "p_val": 2 * stats.t.sf(abs(slope / se), df),
                     "share_below": float(np.mean(wv < w)), "within_range": bool(wv.min() <= w <= wv.max())})
    return pd.DataFrame(rows, columns=["w_value", "slope", "se", "p_val", "share_below", "within_range"])
