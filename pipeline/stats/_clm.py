"""Cumulative logit models fitted by Newton's method with the analytic gradient and Hessian, as
``ordinal::clm`` does: proportional odds, and partial proportional odds (nominal effects) for the
likelihood-ratio test of the proportional-odds assumption (``ordinal::nominal_test``).

Model, for observation i with outcome category k ∈ {1..J} and η_0 = −∞, η_J = +∞:

    logit P(Y_i ≤ j) = η_ij = θ_j + z_i'γ_j − x_i'β,     j = 1..J−1

(x: proportional-odds terms; z: nominal terms, one coefficient per threshold), so
P(Y_i = k) = F(η_ik) − F(η_i,k−1) with F the logistic CDF. With u = η_ik, l = η_i,k−1 and
p = F(u) − F(l), the log-likelihood's derivatives in (u, l) are

    ∂/∂u = f(u)/p,   ∂/∂l = −f(l)/p,
    ∂²/∂u² = f'(u)/p − f(u)²/p²,  ∂²/∂l² = −f'(l)/p − f(l)²/p²,  ∂²/∂u∂l = f(u) f(l)/p²,

with f = F(1 − F) and f' = f(1 − 2F); the chain rule through the design rows (∂u/∂θ_k = 1,
∂u/∂β = −x_i, ∂u/∂γ_k = z_i) gives the gradient and Hessian in O(n·P²). The covariance of the
estimates is the inverse of the negative Hessian at the maximum, as in ``clm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit


@dataclass
class ClmFit:
    theta: np.ndarray          # J − 1 thresholds
    beta: np.ndarray           # p proportional-odds slopes
    gamma: np.ndarray          # q × (J − 1) nominal effects (empty when q = 0)
    cov: np.ndarray            # covariance of (θ, β, γ flattened by threshold)
    loglik: float
    converged: bool
    iterations: int
    max_grad: float
    fitted_ok: bool            # every fitted probability positive (nominal effects can cross)


def _design(y: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int):
    """Per observation, the parameter-derivative rows of its upper and lower linear predictors."""
    n, p = X.shape
    q = Z.shape[1]
    P = (J - 1) + p + q * (J - 1)
    Du = np.zeros((n, P))
    Dl = np.zeros((n, P))
    has_u = y < J - 1            # y is 0-based: category k = y + 1; upper threshold index y
    has_l = y > 0
    rows = np.arange(n)
    Du[rows[has_u], y[has_u]] = 1.0
    Dl[rows[has_l], y[has_l] - 1] = 1.0
    Du[has_u, J - 1:J - 1 + p] = -X[has_u]
    Dl[has_l, J - 1:J - 1 + p] = -X[has_l]
    if q:
        base = J - 1 + p
        for j in range(J - 1):
            cols = slice(base + j * q, base + (j + 1) * q)
            mu = has_u & (y == j)
            ml = has_l & (y - 1 == j)
            Du[mu, cols] = Z[mu]
            Dl[ml, cols] = Z[ml]
    return Du, Dl, has_u, has_l


def _eta(params: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int) -> np.ndarray:
    """n × (J − 1) linear predictors η_ij."""
    p, q = X.shape[1], Z.shape[1]
    theta = params[:J - 1]
    beta = params[J - 1:J - 1 + p]
    eta = theta[None, :] - (X @ beta)[:, None]
    if q:
        gamma = params[J - 1 + p:].reshape(J - 1, q)  # row j: γ_j
        eta = eta + Z @ gamma.T
    return eta


def _pieces(params, y, X, Z, J):
    eta = _eta(params, X, Z, J)
    n = len(y)
    big = 1e300
    u = np.where(y < J - 1, eta[np.arange(n), np.minimum(y, J - 2)], big)
    lo = np.where(y > 0, eta[np.arange(n), np.maximum(y - 1, 0)], -big)
    Fu, Fl = expit(u), expit(lo)
    prob = Fu - Fl
    return u, lo, Fu, Fl, prob


def observed_prob(res: ClmFit, y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The fitted probability of each observation's own category (no nominal terms)."""
    J = len(res.theta) + 1
    params = np.concatenate([res.theta, res.beta])
    return _pieces(params, np.asarray(y, dtype=int), np.asarray(X, dtype=float).reshape(len(y), -1),
                   np.zeros((len(y), 0)), J)[-1]


def loglik(params, y, X, Z, J) -> float:
    *_, prob = _pieces(params, y, X, Z, J)
    if np.any(prob <= 0):
        return -np.inf
    return float(np.log(prob).sum())


def fit(y: np.ndarray, X: np.ndarray, Z: np.ndarray | None = None, J: int | None = None,
        maxiter: int = 200, tol: float = 1e-10) -> ClmFit:
    """Maximum likelihood by Newton–Raphson with step halving.

    ``y``: 0-based category index (0..J−1, every category observed); ``X``: n × p slopes (no
    intercept column); ``Z``: n × q nominal terms (or None)."""
    y = np.asarray(y, dtype=int)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    Z = np.zeros((len(y), 0)) if Z is None else np.asarray(Z, dtype=float).reshape(len(y), -1)
    J = int(J if J is not None else y.max() + 1)
    p, q = X.shape[1], Z.shape[1]
    counts = np.bincount(y, minlength=J)
    cum = np.cumsum(counts)[:-1] / len(y)
    params = np.concatenate([np.log(cum / (1 - cum)), np.zeros(p + q * (J - 1))])
    Du, Dl, has_u, has_l = _design(y, X, Z, J)
    ll = loglik(params, y, X, Z, J)
    converged = False
    n_iter = 0
    grad = np.full(len(params), np.inf)
    hess = None
    for step_no in range(1, maxiter + 1):
        n_iter = step_no
        u, lo, Fu, Fl, prob = _pieces(params, y, X, Z, J)
        fu = np.where(has_u, Fu * (1 - Fu), 0.0)
        fl = np.where(has_l, Fl * (1 - Fl), 0.0)
        dfu = fu * (1 - 2 * Fu)
        dfl = fl * (1 - 2 * Fl)
        a = fu / prob
        b = -fl / prob
        c = dfu / prob - a * a
        d = -dfl / prob - b * b
        e = fu * fl / (prob * prob)
        grad = Du.T @ a + Dl.T @ b
        hess = (Du.T * c) @ Du + (Dl.T * d) @ Dl + (Du.T * e) @ Dl + (Dl.T * e) @ Du
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, -grad, rcond=None)[0]
        if not np.all(np.isfinite(step)):
            break
        t = 1.0
        for _ in range(40):
            cand = params + t * step
            cll = loglik(cand, y, X, Z, J)
            if np.isfinite(cll) and cll >= ll - 1e-12:
                break
            t /= 2
        else:
            break
        change = cll - ll
        params, ll = cand, cll
        if abs(change) < 1e-14 * max(1.0, abs(ll)) and np.max(np.abs(grad)) < 1e-6:
            converged = True
            break
    try:
        cov = np.linalg.inv(-hess) if hess is not None else np.full((len(params),) * 2, np.nan)
    except np.linalg.LinAlgError:
        cov = np.full((len(params), len(params)), np.nan)
    *_, prob = _pieces(params, y, X, Z, J)
    return ClmFit(theta=params[:J - 1], beta=params[J - 1:J - 1 + p],
                  gamma=params[J - 1 + p:].reshape(J - 1, q) if q else np.zeros((J - 1, 0)),
                  cov=cov, loglik=float(ll), converged=converged, iterations=n_iter,
                  max_grad=float(np.max(np.abs(grad))), fitted_ok=bool(np.all(prob > 0)))
