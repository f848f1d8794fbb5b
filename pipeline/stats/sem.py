"""Structural equation models by maximum likelihood, as ``lavaan::sem`` / ``lavaan::cfa`` fit
them with their defaults: measurement models (``=~``), regressions among latent and observed
variables (``~``) and covariances (``~~``), with fit indices, standard errors from the expected
information, the standardised solution (``std.all``) with delta-method SEs, and every indirect
effect along the model's paths (delta method, or a seeded percentile bootstrap).

The model is the LISREL form Σ = Λ (I − B)⁻¹ Ψ (I − B)⁻ᵀ Λᵀ + Θ; an observed variable that
appears in a regression becomes a latent variable measured by itself (loading 1, residual 0),
as lavaan does. It is fitted by Fisher scoring on F = log|Σ| + tr(S Σ⁻¹) − log|S| − p with S
the covariance divided by N; χ² = N·F. Nothing of semopy is used: the estimates agree with
lavaan to the optimiser's tolerance (about 1e-6), not only to 1e-3.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from pipeline.core.errors import CannotCompute
from pipeline.stats._util import check_columns, check_scalar, numeric_frame

_NAME = re.compile(r"^[^\s~=+*]+$")


@dataclass
class ModelSpec:
    """A parsed model: factors with their indicators, regressions and extra covariances."""
    measurement: dict[str, list[str]] = field(default_factory=dict)
    regressions: list[tuple[str, str]] = field(default_factory=list)     # (outcome, predictor)
    covariances: list[tuple[str, str]] = field(default_factory=list)

    @property
    def latent(self) -> list[str]:
        return list(self.measurement)

    def observed(self) -> list[str]:
        """Observed variables in model order: indicators, then observed variables of regressions."""
        out = list(dict.fromkeys(i for its in self.measurement.values() for i in its))
        for a, b in self.regressions + self.covariances:
            for v in (a, b):
                if v not in self.measurement and v not in out:
                    out.append(v)
        return out


def parse_model(model: str | dict[str, Sequence[str]]) -> ModelSpec:
    """Read lavaan-like syntax: ``f =~ a + b + c``, ``y ~ x1 + x2``, ``a ~~ b``; lines or ``;``
    separate statements and ``#`` starts a comment. A dict ``{factor: [items]}`` is a
    measurement model. Labels, fixed values and modifiers (``a*x``, ``1*x``) are not read: they
    are an error naming the term.

    >>> spec = parse_model("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6\\ntextual ~ visual")
    >>> spec.measurement, spec.regressions
    ({'visual': ['x1', 'x2', 'x3'], 'textual': ['x4', 'x5', 'x6']}, [('textual', 'visual')])
    """
    spec = ModelSpec()
    if isinstance(model, dict):
        spec.measurement = {str(f): [str(i) for i in items] for f, items in model.items()}
        _check_spec(spec)
        return spec
    for raw in str(model).replace(";", "\n").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for op in ("=~", "~~", "~"):
            if op in line:
                lhs, rhs = (s.strip() for s in line.split(op, 1))
                break
        else:
            raise ValueError(f"model line {raw.strip()!r}: expected '=~', '~' or '~~'")
        terms = [t.strip() for t in rhs.split("+")]
        for t in [lhs, *terms]:
            if not t or not _NAME.match(t):
                raise ValueError(f"model line {raw.strip()!r}: {t!r} is not a variable name (labels, fixed values "
                                 "and modifiers such as a*x or 1*x are not supported)")
        if op == "=~":
            spec.measurement.setdefault(lhs, [])
            spec.measurement[lhs] += [t for t in terms if t not in spec.measurement[lhs]]
        elif op == "~":
            spec.regressions += [(lhs, t) for t in terms if (lhs, t) not in spec.regressions]
        else:
            spec.covariances += [(lhs, t) for t in terms]
    _check_spec(spec)
    return spec


def _check_spec(spec: ModelSpec) -> None:
    for f, items in spec.measurement.items():
        if not items:
            raise ValueError(f"factor {f!r} has no indicators")
        for i in items:
            if i in spec.measurement:
                raise ValueError(f"factor {f!r}: {i!r} is itself a factor (higher-order factors are not supported)")
    for y, x in spec.regressions:
        if y == x:
            raise ValueError(f"regression {y} ~ {x}: a variable cannot predict itself")
    if not spec.measurement and not spec.regressions:
        raise ValueError("the model has neither a measurement part (=~) nor regressions (~)")
    _chains(spec)   # a cycle among the regressions is an error here


class _Model:
    """Parameter layout of a spec over the observed variables ``obs``."""

    def __init__(self, spec: ModelSpec, obs: list[str]):
        self.spec, self.obs = spec, obs
        self.eta = spec.latent + [v for v in obs if v not in spec.measurement and _in_structure(spec, v)]
        self.phantom = [v for v in self.eta if v not in spec.measurement]
        p, m = len(obs), len(self.eta)
        self.p, self.m = p, m
        oi = {v: i for i, v in enumerate(obs)}
        ei = {v: i for i, v in enumerate(self.eta)}
        self.fixed_lambda = np.zeros((p, m))
        params: list[tuple[str, int, int, str, str, str]] = []   # (matrix, i, j, lhs, op, rhs)
        for f, items in spec.measurement.items():
            for k, it in enumerate(items):
                if k == 0:
                    self.fixed_lambda[oi[it], ei[f]] = 1.0
                else:
                    params.append(("L", oi[it], ei[f], f, "=~", it))
        for v in self.phantom:
            self.fixed_lambda[oi[v], ei[v]] = 1.0
        # the observed variable that fixes each latent variable's scale (first indicator, or itself)
        self.marker = {v: oi[spec.measurement[v][0]] if v in spec.measurement else oi[v] for v in self.eta}
        for y, x in spec.regressions:
            params.append(("B", ei[y], ei[x], y, "~", x))
        indicators = [i for its in spec.measurement.values() for i in its]
        for it in dict.fromkeys(indicators):
            if it not in self.phantom:
                params.append(("T", oi[it], oi[it], it, "~~", it))
        for v in self.eta:
            params.append(("P", ei[v], ei[v], v, "~~", v))
        endo = {y for y, _ in spec.regressions}
        exo = [v for v in self.eta if v not in endo]
        seen = set()
        # exogenous latent variables covary (lavaan's auto.cov.lv.x), and so do exogenous observed
        # ones (fixed.x: their estimates are the sample values); a latent and an observed
        # exogenous variable are uncorrelated unless a ~~ line frees it, as in lavaan
        for a, b in itertools.combinations(exo, 2):
            if (a in self.phantom) == (b in self.phantom):
                params.append(("P", ei[b], ei[a], a, "~~", b))
                seen.add(frozenset((a, b)))
        self.fixed_x = {k for k, (mat, i, j, *_r) in enumerate(params)
                        if mat == "P" and self.eta[i] in exo and self.eta[i] in self.phantom
                        and self.eta[j] in exo and self.eta[j] in self.phantom}
        for a, b in spec.covariances:
            if a == b or frozenset((a, b)) in seen:
                continue
            seen.add(frozenset((a, b)))
            if a in ei and b in ei:
                params.append(("P", max(ei[a], ei[b]), min(ei[a], ei[b]), a, "~~", b))
            elif a in oi and b in oi:
                params.append(("T", max(oi[a], oi[b]), min(oi[a], oi[b]), a, "~~", b))
            else:
                raise ValueError(f"covariance {a} ~~ {b}: one is an indicator and the other a latent variable")
        self.params = params
        self.k = len(params)
        kind = np.array([q[0] for q in params])
        ii = np.array([q[1] for q in params], dtype=int)
        jj = np.array([q[2] for q in params], dtype=int)
        self._idx = {t: (np.flatnonzero(kind == t), ii[kind == t], jj[kind == t]) for t in "LBPT"}
        dt = np.zeros((self.k, p, p))                      # ∂Σ/∂Θ is constant
        kt, it_, jt = self._idx["T"]
        dt[kt, it_, jt] = 1.0
        dt[kt, jt, it_] = 1.0
        self._dtheta = dt

    def matrices(self, theta: np.ndarray):
        L = self.fixed_lambda.copy()
        B = np.zeros((self.m, self.m))
        P = np.zeros((self.m, self.m))
        T = np.zeros((self.p, self.p))
        k, i, j = self._idx["L"]
        L[i, j] = theta[k]
        k, i, j = self._idx["B"]
        B[i, j] = theta[k]
        k, i, j = self._idx["P"]
        P[i, j] = theta[k]
        P[j, i] = theta[k]
        k, i, j = self._idx["T"]
        T[i, j] = theta[k]
        T[j, i] = theta[k]
        return L, B, P, T

    def sigma(self, theta: np.ndarray) -> tuple[np.ndarray, dict]:
        L, B, P, T = self.matrices(theta)
        A = np.linalg.inv(np.eye(self.m) - B)
        M = A @ P @ A.T
        G = L @ A
        return L @ M @ L.T + T, {"L": L, "B": B, "P": P, "T": T, "A": A, "M": M, "G": G}

    def jacobian(self, parts: dict) -> np.ndarray:
        """∂Σ/∂θ_k as a (k, p, p) array."""
        L, M, G = parts["L"], parts["M"], parts["G"]
        ML = M @ L.T               # m × p  (= A Ψ Aᵀ Λᵀ)
        D = self._dtheta.copy()
        k, i, j = self._idx["L"]
        D[k, i, :] = ML[j, :]
        k, i, j = self._idx["B"]
        D[k] = G[:, i].T[:, :, None] * ML[j][:, None, :]
        k, i, j = self._idx["P"]
        D[k] = G[:, i].T[:, :, None] * G[:, j].T[:, None, :]
        D[k[i == j]] /= 2.0        # a variance enters once; the symmetrising below doubles it
        k = np.concatenate([self._idx["L"][0], self._idx["B"][0], self._idx["P"][0]])
        D[k] = D[k] + D[k].transpose(0, 2, 1)
        return D

    def start(self, S: np.ndarray) -> np.ndarray:
        """Start values: loadings from the marker's covariance, half the variances as residuals."""
        marker = self.marker
        out = []
        for mat, i, j, lhs, _op, rhs in self.params:
            if mat == "L":
                mk = marker[lhs]
                out.append(S[i, mk] / S[mk, mk] if S[mk, mk] > 0 else 1.0)
            elif mat == "B":
                out.append(0.0)
            elif mat == "P":
                if i == j:
                    mk = marker[self.eta[i]]
                    out.append(S[mk, mk] if self.eta[i] in self.phantom else S[mk, mk] / 2)
                else:
                    out.append(S[marker[lhs], marker[rhs]] / 2)
            else:
                out.append(S[i, i] / 2 if i == j else 0.0)
        return np.asarray(out, dtype=float)


def _in_structure(spec: ModelSpec, v: str) -> bool:
    return any(v in (a, b) for a, b in spec.regressions) or any(
        v in (a, b) and (a in spec.measurement or b in spec.measurement) for a, b in spec.covariances)


def _f_ml(sigma: np.ndarray, S: np.ndarray, logdet_s: float) -> float:
    try:
        c = np.linalg.cholesky(sigma)        # Σ must be positive definite (a positive det is not enough)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2 * float(np.sum(np.log(np.diag(c))))
    return float(logdet + np.trace(np.linalg.solve(sigma, S)) - logdet_s - len(S))


def _fit(model: _Model, S: np.ndarray, theta0: np.ndarray, tol: float = 1e-10, max_iter: int = 500,
         step_tol: float = 1e-7):
    """Fisher scoring with step halving; BFGS on the same function if scoring stalls."""
    logdet_s = np.linalg.slogdet(S)[1]
    theta = theta0.copy()
    sigma, parts = model.sigma(theta)
    f = _f_ml(sigma, S, logdet_s)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        if not np.isfinite(f):
            break
        si = np.linalg.inv(sigma)
        D = model.jacobian(parts)
        C = si @ D                                    # (k, p, p)
        H = np.einsum("aij,bji->ab", C, C)
        R = si @ (sigma - S) @ si
        g = np.einsum("kij,ij->k", D, R)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-8:
            cand = theta - t * step
            s2, p2 = model.sigma(cand)
            f2 = _f_ml(s2, S, logdet_s)
            if f2 <= f + 1e-15:
                break
            t /= 2
        else:
            break
        theta, sigma, parts = cand, s2, p2
        done = abs(f - f2) < tol * max(1.0, abs(f2)) and np.max(np.abs(t * step)) < step_tol
        f = f2
        if done:
            converged = True
            break
    if not converged:
        def fun(th):
            s, pt = model.sigma(th)
            val = _f_ml(s, S, logdet_s)
            if not np.isfinite(val):
                return 1e10, np.zeros_like(th)
            si = np.linalg.inv(s)
            return val, np.einsum("kij,ij->k", model.jacobian(pt), si @ (s - S) @ si)
        res = optimize.minimize(fun, theta, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
        theta = res.x
        sigma, parts = model.sigma(theta)
        f = _f_ml(sigma, S, logdet_s)
        converged = bool(res.success) or np.max(np.abs(res.jac)) < 1e-6
    return theta, sigma, parts, f, converged, it


def _std_values(model: _Model, theta: np.ndarray) -> np.ndarray:
    """std.all of every parameter (lavaan's standardizedSolution)."""
    sigma, parts = model.sigma(theta)
    M = parts["M"]
    sd_eta = np.sqrt(np.clip(np.diag(M), 0, None))
    sd_obs = np.sqrt(np.clip(np.diag(sigma), 0, None))
    out = np.empty(model.k)
    for k, ((mat, i, j, *_r), v) in enumerate(zip(model.params, theta)):
        if mat == "L":
            out[k] = v * sd_eta[j] / sd_obs[i]
        elif mat == "B":
            out[k] = v * sd_eta[j] / sd_eta[i]
        elif mat == "P":
            out[k] = v / (sd_eta[i] * sd_eta[j])
        else:
            out[k] = v / (sd_obs[i] * sd_obs[j])
    return out


def _marker_std(model: _Model, theta: np.ndarray) -> np.ndarray:
    """std.all of each factor's fixed first loading: sd(η) / sd(x)."""
    sigma, parts = model.sigma(theta)
    out = []
    for f in model.spec.measurement:
        i, e = model.marker[f], model.eta.index(f)
        out.append(np.sqrt(max(parts["M"][e, e], 0.0) / sigma[i, i]))
    return np.asarray(out)


def _num_jac(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    f0 = fun(theta)
    J = np.empty((len(f0), len(theta)))
    for k in range(len(theta)):
        e = np.zeros_like(theta)
        step = h * max(1.0, abs(theta[k]))
        e[k] = step
        J[:, k] = (fun(theta + e) - fun(theta - e)) / (2 * step)
    return J


def _chains(spec: ModelSpec) -> list[list[str]]:
    """Every directed path of length ≥ 2 through the regressions (x → m … → y)."""
    succ: dict[str, list[str]] = {}
    for y, x in spec.regressions:
        succ.setdefault(x, []).append(y)
    out = []

    def walk(path):
        for nxt in succ.get(path[-1], []):
            if nxt in path:
                raise ValueError(f"the regressions form a cycle through {nxt!r} (non-recursive models are not supported)")
            new = path + [nxt]
            if len(new) >= 3:
                out.append(new)
            walk(new)

    for start in dict.fromkeys(x for _, x in spec.regressions):
        walk([start])
    return out


def sem(data: pd.DataFrame, model: str | dict[str, Sequence[str]], n_boot: int = 0, seed: int = 20240501,
        ci: float = 0.95) -> dict[str, pd.DataFrame]:
    """Fit a structural equation model (or a CFA) by maximum likelihood, as ``lavaan::sem``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; rows missing any of the model's observed variables are left out
        (listwise, as lavaan's default ``missing = "listwise"``).
    model : str or dict
        lavaan-like syntax (see :func:`parse_model`) or ``{factor: [items]}``. The first
        indicator of each factor has its loading fixed to 1; exogenous variables covary.
    n_boot : int
        0 (the default) gives delta-method intervals for the indirect effects (lavaan's
        ``:=`` with ``se = "standard"``); ≥ 100 refits the model on that many resamples of
        respondents (seeded) and gives percentile intervals (lavaan's ``se = "bootstrap"`` with
        ``boot.ci.type = "perc"``).
    seed, ci : the bootstrap's seed and the intervals' level.

    Returns
    -------
    dict of DataFrames
        fit : one row — n, npar, chi2, df, p_val, baseline_chi2, baseline_df, cfi, tli, rmsea,
            rmsea_ci90_low, rmsea_ci90_high, srmr, logl, aic, bic, converged, iterations
        estimates : lhs, op, rhs, est, se, z, p_val, ci95_low, ci95_high, std_all, std_se,
            std_p_val — every parameter, fixed loadings included (se NaN), in lavaan's order
            (loadings, regressions, residual variances, variances, covariances)
        indirect : x, path (``x → m → y``), y, est, se, z, p_val, ci95_low, ci95_high, std_all,
            method — one row per chain of regressions, then ``total indirect`` and ``total``
            effects of each x on each y that has an indirect path
        r2 : variable, r2 — for every endogenous variable and indicator (lavaan's ``inspect(fit, "r2")``)

    Notes
    -----
    Standard errors come from the expected information with N (lavaan's defaults for ML with
    complete data); z tests are two-sided normal. std_all divides by the model-implied standard
    deviations (of the latent and observed variables), with delta-method SEs. Fit: χ² = N·F_min,
    CFI and TLI against the independence model, RMSEA = sqrt(max(χ² − df, 0)/(df N)) with a 90%
    interval from the noncentral χ², SRMR Bentler's (diagonal included), logl the normal
    log-likelihood with means at the sample means, AIC = −2 logl + 2 npar, BIC with log N.
    Treating 5-point ratings as continuous is what ML assumes; an ordinal (WLSMV, polychoric)
    fit is not offered.

    Examples
    --------
    >>> from semopy.examples import holzinger39
    >>> from pipeline.stats import sem
    >>> model = '''visual =~ x1 + x2 + x3
    ...            textual =~ x4 + x5 + x6
    ...            speed =~ x7 + x8 + x9
    ...            textual ~ visual
    ...            speed ~ textual + visual'''
    >>> res = sem(holzinger39.get_data(), model)
    >>> res["fit"][["chi2", "df", "cfi", "rmsea"]].round(4)
          chi2    df     cfi   rmsea
    0  85.3055  24.0  0.9306  0.0921
    >>> res["estimates"].query("op == '~'")[["lhs", "rhs", "est", "se", "std_all"]].round(4)
            lhs      rhs     est      se  std_all
    9   textual   visual  0.5044  0.0931   0.4585
    10    speed  textual  0.0533  0.0533   0.0851
    11    speed   visual  0.2971  0.0782   0.4315
    >>> res["indirect"][["path", "est", "se", "std_all"]].round(4)
                           path     est      se  std_all
    0  visual → textual → speed  0.0269  0.0263   0.0390
    1    visual → speed (total)  0.3240  0.0707   0.4705

    # R (tests/reference/lavaan_sem.R): lavaan::sem(model, HolzingerSwineford1939) with
    #    textual ~ a*visual, speed ~ b*textual + c*visual, ind := a*b, tot := c + a*b —
    #    a 0.50442 (SE 0.09306, std 0.45851), b 0.05329 (0.05333), c 0.29713 (0.07817);
    #    ind 0.026881 (SE 0.026282, std 0.039037), tot 0.32401 (0.070734, std 0.47053)
    """
    check_scalar("n_boot", n_boot, "sem", kind=int, low=0)
    check_scalar("seed", seed, "sem", kind=int, low=0)
    check_scalar("ci", ci, "sem", low=0, high=1, inclusive="neither")
    if n_boot and n_boot < 100:
        raise ValueError(f"sem: n_boot must be 0 (delta method) or at least 100, got {n_boot}")
    spec = parse_model(model)
    obs = spec.observed()
    check_columns(data, obs, "variable")
    x = numeric_frame(data, obs).dropna().to_numpy(dtype=float)
    n, p = x.shape
    mdl = _Model(spec, obs)
    df = p * (p + 1) // 2 - mdl.k
    if df < 0:
        raise CannotCompute(f"the model has {mdl.k} free parameters but only {p * (p + 1) // 2} variances and "
                            f"covariances: it is not identified (df = {df})")
    if n < p + 2:
        raise CannotCompute(f"{n} complete rows for {p} observed variables: too few for a covariance-structure model")
    S = np.cov(x.T, bias=True)
    if np.linalg.matrix_rank(S) < p:
        raise CannotCompute("the observed variables' covariance matrix is singular (a constant or duplicated column)")
    theta, sigma, parts, fmin, converged, iters = _fit(mdl, S, mdl.start(S))
    if not np.isfinite(fmin):
        raise CannotCompute("the model did not converge to an admissible solution (Σ not positive definite)")
    si = np.linalg.inv(sigma)
    C = si @ mdl.jacobian(parts)
    H = np.einsum("aij,bji->ab", C, C)
    vcov = 2.0 / n * np.linalg.pinv(H)
    fx = sorted(mdl.fixed_x)
    vcov[fx, :] = 0.0   # fixed.x: the exogenous observed (co)variances carry no sampling error (lavaan)
    vcov[:, fx] = 0.0
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    std = _std_values(mdl, theta)
    J = _num_jac(lambda th: _std_values(mdl, th), theta)
    std_se = np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None))
    q = stats.norm.ppf((1 + ci) / 2)

    se[fx] = np.nan   # exogenous observed (co)variances: fixed at the sample values (fixed.x)
    rows = []
    mk, mk_se = _marker_std(mdl, theta), np.sqrt(np.clip(np.diag(
        (Jm := _num_jac(lambda th: _marker_std(mdl, th), theta)) @ vcov @ Jm.T), 0, None))
    for k, (f, items) in enumerate(spec.measurement.items()):   # the fixed markers, where lavaan lists them
        rows.append({"lhs": f, "op": "=~", "rhs": items[0], "est": 1.0, "se": np.nan, "std_all": mk[k],
                     "std_se": mk_se[k], "order": (0, k, 0)})
    kinds = {"L": 0, "B": 1, "T": 2, "P": 3}
    for k, (mat, i, j, lhs, op, rhs) in enumerate(mdl.params):
        grp = kinds[mat] if not (mat == "P" and i != j) else 4
        if mat == "L":
            pos = (grp, list(spec.measurement).index(lhs), spec.measurement[lhs].index(rhs))
        else:
            pos = (grp, k, 0)
        rows.append({"lhs": lhs, "op": op, "rhs": rhs, "est": theta[k], "se": se[k], "std_all": std[k],
                     "std_se": std_se[k], "order": pos})
    est = pd.DataFrame(rows).sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        est["z"] = est["est"] / est["se"]
        est["p_val"] = 2 * stats.norm.sf(np.abs(est["z"]))
        est["std_p_val"] = 2 * stats.norm.sf(np.abs(est["std_all"] / est["std_se"]))
    est["ci95_low"] = est["est"] - q * est["se"]
    est["ci95_high"] = est["est"] + q * est["se"]
    fixed_one = (est["op"] == "~~") & (est["lhs"] == est["rhs"]) & np.isclose(est["std_all"], 1.0) & \
        ~est["lhs"].isin([y for y, _ in spec.regressions])
    est.loc[fixed_one, ["std_se", "std_p_val"]] = [0.0, np.nan]   # a standardised exogenous variance is 1 by definition
    est = est[["lhs", "op", "rhs", "est", "se", "z", "p_val", "ci95_low", "ci95_high", "std_all", "std_se", "std_p_val"]]

    fit = _fit_table(S, sigma, fmin, n, p, mdl.k - len(fx), df)
    if fx:   # as lavaan with fixed.x: the log-likelihood is conditional on the exogenous observed variables
        xi = sorted({mdl.obs.index(mdl.eta[mdl.params[k][1]]) for k in fx})
        sxx = S[np.ix_(xi, xi)]
        logl_x = -n / 2 * (len(xi) * np.log(2 * np.pi) + np.linalg.slogdet(sxx)[1] + len(xi))
        npar = mdl.k - len(fx)
        fit["logl"] -= logl_x
        fit["aic"] = -2 * fit["logl"] + 2 * npar
        fit["bic"] = -2 * fit["logl"] + npar * np.log(n)
    fit["converged"] = converged
    fit["iterations"] = iters

    indirect = _indirect(spec, mdl, theta, vcov, n_boot, seed, ci, x, q)
    # R² of endogenous latent/observed variables and of indicators
    M = parts["M"]
    r2 = []
    for it in dict.fromkeys(i for its in spec.measurement.values() for i in its):
        ii = obs.index(it)
        r2.append({"variable": it, "r2": 1 - parts["T"][ii, ii] / sigma[ii, ii]})
    for y in dict.fromkeys(y for y, _ in spec.regressions):
        e = mdl.eta.index(y)
        r2.append({"variable": y, "r2": 1 - parts["P"][e, e] / M[e, e]})
    return {"fit": fit, "estimates": est, "indirect": indirect, "r2": pd.DataFrame(r2, columns=["variable", "r2"])}


def _fit_table(S, sigma, fmin, n, p, npar, df) -> pd.DataFrame:
    chi2 = n * fmin
    base_chi2 = n * float(np.sum(np.log(np.diag(S))) - np.linalg.slogdet(S)[1])
    base_df = p * (p - 1) // 2
    cfi_den = max(base_chi2 - base_df, chi2 - df, 0.0)
    cfi = 1 - max(chi2 - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((base_chi2 / base_df) - (chi2 / df)) / ((base_chi2 / base_df) - 1) if df > 0 else np.nan
    rmsea = float(np.sqrt(max(chi2 - df, 0) / (df * n))) if df > 0 else np.nan
    lo, hi = _rmsea_ci(chi2, df, n)
    d = np.sqrt(np.diag(S))
    resid = (S - sigma) / np.outer(d, d)
    srmr = float(np.sqrt(np.mean(resid[np.tril_indices(p)] ** 2)))
    logl = -n / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(np.linalg.solve(sigma, S)))
    return pd.DataFrame([{"n": n, "npar": npar, "chi2": chi2, "df": float(df),
                          "p_val": float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan,
                          "baseline_chi2": base_chi2, "baseline_df": float(base_df), "cfi": cfi, "tli": tli,
                          "rmsea": rmsea, "rmsea_ci90_low": lo, "rmsea_ci90_high": hi, "srmr": srmr,
                          "logl": logl, "aic": -2 * logl + 2 * npar, "bic": -2 * logl + npar * np.log(n)}])


def _rmsea_ci(chi2: float, df: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """RMSEA interval by inverting the noncentral χ² in its noncentrality (lavaan's)."""
    if df <= 0:
        return np.nan, np.nan

    def lam_for(p: float) -> float:
        f = lambda lam: stats.ncx2.cdf(chi2, df, lam) - p if lam > 0 else stats.chi2.cdf(chi2, df) - p
        if f(0.0) < 0:
            return 0.0
        hi = max(chi2, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi, xtol=1e-12)

    lo = lam_for((1 + level) / 2)
    hi = lam_for((1 - level) / 2)
    return float(np.sqrt(lo / (n * df))), float(np.sqrt(hi / (n * df)))


def _effect_list(chains: list[list[str]]) -> list[tuple[tuple[str, str, str], list[list[str]], bool]]:
    """The effects reported, in order: each chain, then per (x, y) the total indirect effect
    (only when several chains join them) and the total effect (indirect + direct); each as
    ((x, path label, y), the chains summed, whether the direct path is added)."""
    out = [((c[0], " → ".join(c), c[-1]), [c], False) for c in chains]
    for xv, yv in dict.fromkeys((c[0], c[-1]) for c in chains):
        mine = [c for c in chains if c[0] == xv and c[-1] == yv]
        if len(mine) > 1:
            out.append(((xv, f"{xv} → {yv} (total indirect)", yv), mine, False))
        out.append(((xv, f"{xv} → {yv} (total)", yv), mine, True))
    return out


def _effects(mdl: _Model, theta: np.ndarray, effects, std: bool) -> np.ndarray:
    """The values of :func:`_effect_list`'s effects: sums of products of path coefficients."""
    vals = _std_values(mdl, theta) if std else theta
    coef = {(lhs, rhs): v for (mat, _i, _j, lhs, _op, rhs), v in zip(mdl.params, vals) if mat == "B"}
    out = []
    for (xv, _label, yv), chains, direct in effects:
        total = sum(np.prod([coef[(b, a)] for a, b in zip(ch, ch[1:])]) for ch in chains)
        out.append(total + (coef.get((yv, xv), 0.0) if direct else 0.0))
    return np.asarray(out, dtype=float)


def _indirect(spec, mdl, theta, vcov, n_boot, seed, ci, x, q) -> pd.DataFrame:
    chains = _chains(spec)
    cols = ["x", "path", "y", "est", "se", "z", "p_val", "ci95_low", "ci95_high", "std_all", "method"]
    if not chains:
        return pd.DataFrame(columns=cols)
    effects = _effect_list(chains)
    labels = [e[0] for e in effects]
    est = _effects(mdl, theta, effects, std=False)
    std = _effects(mdl, theta, effects, std=True)
    J = _num_jac(lambda th: _effects(mdl, th, effects, std=False), theta)
    se = np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None))
    if n_boot:
        rng = np.random.default_rng(seed)
        n = len(x)
        draws = []
        for _ in range(n_boot):
            xb = x[rng.integers(0, n, size=n)]
            Sb = np.cov(xb.T, bias=True)
            try:
                # a looser tolerance than the point estimate's (1e-5 on the parameters, far below Monte-Carlo error)
                tb, _s, _p, fb, ok, _it = _fit(mdl, Sb, theta, tol=1e-8, step_tol=1e-5)
            except np.linalg.LinAlgError:
                continue
            if ok and np.isfinite(fb):
                draws.append(_effects(mdl, tb, effects, std=False))
        boot = np.asarray(draws)
        if len(boot) < 0.9 * n_boot:
            raise CannotCompute(f"only {len(boot)} of {n_boot} bootstrap refits converged")
        lo, hi = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
        se = boot.std(axis=0, ddof=1)
        method = f"percentile bootstrap ({len(boot)} of {n_boot} resamples, seed {seed})"
    else:
        lo, hi = est - q * se, est + q * se
        method = "delta method"
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    out = pd.DataFrame(labels, columns=["x", "path", "y"])
    out["est"], out["se"], out["z"] = est, se, z
    out["p_val"] = 2 * stats.norm.sf(np.abs(z))
    out["ci95_low"], out["ci95_high"], out["std_all"], out["method"] = lo, hi, std, method
    return out[cols]
