"""Two-stage model: who works in their own commune first, then gravity for the others.

The single-stage gravity model leaves the share of residents working in their own commune to
the deterrence function; measured against INSEE's published aggregates it keeps too few
people at home *and* too few on long trips (``docs/MODEL.md`` §7). Here the probability of
working in one's own commune is a binomial logit of the commune's own margins

    logit p_i = c0 + c1 log((D_i + 1) / (O_i + 1)) + c2 log(O_i + 1) + c3 log(area_i + 0.01)
                + c4 log((D_i - Dsal_i + 1) / (D_i + 1))

(jobs per resident, size, area: density = size / area; share of non-salaried jobs), fitted on
observed stayers; the
``S_i = min(p_i O_i, D_i)`` stayers are placed on the diagonal and a doubly-constrained gravity
model distributes the others (``O_i - S_i``, ``D_i - S_i``) on the pairs ``i != j`` with the
deterrence calibrated on inter-commune flows. Pure functions, no I/O.
"""

from __future__ import annotations

import numpy as np

from observatoire.model.balancing import IPFResult, furness
from observatoire.model.constants import MIN_DISTANCE_KM, Form
from observatoire.model.far import add_far
from observatoire.model.gravity import deterrence
from observatoire.model.margins import balance_destinations, connected_components
from observatoire.model.pairs import PairSet

#: Names of the columns of :func:`stay_features` (the last one only with ``salaried_jobs``).
STAY_FEATURES = (
    "constante",
    "log emplois/actifs",
    "log actifs",
    "log superficie",
    "log part des emplois non salariés",
)


def stay_features(
    origins: np.ndarray,
    destinations: np.ndarray,
    area_km2: np.ndarray,
    salaried_jobs: np.ndarray | None = None,
    *,
    jobs: np.ndarray | None = None,
) -> np.ndarray:
    """Design matrix of the stay logit, one row per unit (see :data:`STAY_FEATURES`).

    Parameters
    ----------
    origins, destinations : array-like
        Employed residents ``O_i`` and jobs ``D_i``.
    area_km2 : array-like
        Unit area (km²).
    salaried_jobs : array-like, optional
        Salaried jobs at the workplace (``P18_EMPLT_SAL``). Given, a fifth column
        ``log((J - J_sal + 1) / (J + 1))`` (share of non-salaried jobs: farmers, shopkeepers,
        craftsmen, liberal professions, who mostly work where they live) is added, ``J`` being
        ``jobs`` (the census jobs ``P18_EMPLT`` the salaried ones are part of) or, by default,
        ``destinations``. Without it: the four columns of the model before issue 17's third pass.
    jobs : array-like, optional
        Total jobs that ``salaried_jobs`` is part of (default ``destinations``).

    Returns
    -------
    numpy.ndarray, shape (n, 4) or (n, 5)
        ``[1, log((D+1)/(O+1)), log(O+1), log(area+0.01)(, log((J-J_sal+1)/(J+1)))]``.
    """
    o = np.nan_to_num(np.asarray(origins, dtype=np.float64), nan=0.0)
    d = np.nan_to_num(np.asarray(destinations, dtype=np.float64), nan=0.0)
    a = np.nan_to_num(np.asarray(area_km2, dtype=np.float64), nan=0.0)
    cols = [np.ones_like(o), np.log((d + 1.0) / (o + 1.0)), np.log(o + 1.0), np.log(a + 0.01)]
    if salaried_jobs is not None:
        j = d if jobs is None else np.nan_to_num(np.asarray(jobs, dtype=np.float64), nan=0.0)
        sal = np.nan_to_num(np.asarray(salaried_jobs, dtype=np.float64), nan=0.0)
        cols.append(np.log((np.clip(j - sal, 0.0, None) + 1.0) / (j + 1.0)))
    return np.column_stack(cols)


def fit_stay_logit(
    features: np.ndarray,
    stayers: np.ndarray,
    origins: np.ndarray,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    ridge: float = 1e-8,
) -> np.ndarray:
    """Binomial logit of the stay share on grouped data (IRLS, weights = residents).

    Parameters
    ----------
    features : numpy.ndarray, shape (n, k)
        Design matrix (e.g. :func:`stay_features`), including the constant.
    stayers : array-like
        Observed residents working in their own unit.
    origins : array-like
        Observed employed residents (trials); units with 0 are ignored.
    max_iter, tol, ridge : Newton iterations, convergence on the coefficients, ridge on the
        normal matrix (numerical safety only).

    Returns
    -------
    numpy.ndarray, shape (k,)
        Coefficients maximising the binomial log-likelihood.
    """
    x = np.asarray(features, dtype=np.float64)
    n = np.asarray(origins, dtype=np.float64)
    s = np.asarray(stayers, dtype=np.float64)
    keep = n > 0
    x, n, y = x[keep], n[keep], s[keep] / n[keep]
    coef = np.zeros(x.shape[1])
    # start from the pooled share on the constant
    pbar = float(np.clip(s[keep].sum() / n.sum(), 1e-6, 1 - 1e-6))
    coef[0] = np.log(pbar / (1 - pbar))
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(x @ coef)))
        w = n * p * (1 - p)
        grad = x.T @ (n * (y - p))
        hess = (x * w[:, None]).T @ x + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        coef = coef + step
        if np.max(np.abs(step)) < tol:
            break
    return coef


def stay_share(coef: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Modelled probability of working in one's own unit, ``1 / (1 + exp(-X coef))``."""
    return 1.0 / (
        1.0 + np.exp(-(np.asarray(features, dtype=np.float64) @ np.asarray(coef, dtype=np.float64)))
    )


def gravity_inputs(origins, destinations, pairs: PairSet, beta: float, form: Form):
    """What every model with stayers starts from: origins and destinations as floats (``NaN``
    as 0), the deterrence of every pair, the diagonal (required), the number of connected
    components, and the destinations balanced on the origins component by component."""
    o = np.nan_to_num(np.asarray(origins, dtype=np.float64), nan=0.0)
    d = np.nan_to_num(np.asarray(destinations, dtype=np.float64), nan=0.0)
    w = deterrence(pairs.distance_km, beta, form)
    diag = pairs.origin == pairs.destination
    if not diag.any():
        raise ValueError("the pair set must include the diagonal")
    n_comp, labels = connected_components(pairs, w)
    d = balance_destinations(o, d, mode="component", labels=labels)
    return o, d, w, diag, n_comp


def tail_gate(
    origins: np.ndarray, groups: np.ndarray, min_workers: float, max_workers: float | None = None
) -> np.ndarray:
    """Bool per unit: its group (e.g. EPCI; a unit without one is its own group) has at least
    ``min_workers`` employed residents, summed over the units given (``docs/MODEL.md`` §12), and,
    if ``max_workers`` is given, at most ``max_workers`` (screen of §12's addendum; ``None``, the
    default and the shipped model: no upper bound)."""
    o = np.nan_to_num(np.asarray(origins, dtype=np.float64), nan=0.0)
    _, inv = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    size = np.bincount(inv, weights=o)[inv]
    gate = size >= float(min_workers)
    if max_workers is not None:
        gate &= size <= float(max_workers)
    return gate


def add_tail(
    w: np.ndarray,
    pairs: PairSet,
    tail: tuple[float, float],
    tail_origin: np.ndarray | None = None,
    form: Form = "exp",
) -> np.ndarray:
    """Long-distance tail of the deterrence, in place: ``w += a g(d)`` (``g = exp(-β₂ d)``, or
    ``d^-β₂`` for ``form="power"``) on the pairs whose origin is in ``tail_origin`` (bool per unit;
    ``None``: every pair). ``tail = (a, β₂)``. Returns ``w``."""
    if float(tail[0]) <= 0:
        return w
    sel = slice(None) if tail_origin is None else np.asarray(tail_origin, bool)[pairs.origin]
    w[sel] += tail_term(pairs.distance_km[sel], tail, form)
    return w


def tail_term(distance_km, tail: tuple[float, float], form: Form = "exp") -> np.ndarray:
    """``a g(d)`` of :func:`add_tail` (distances floored at :data:`MIN_DISTANCE_KM`)."""
    a, b2 = float(tail[0]), float(tail[1])
    d = np.maximum(np.asarray(distance_km, dtype=np.float64), MIN_DISTANCE_KM)
    return a * (np.exp(-b2 * d) if form == "exp" else d**-b2)


def two_stage_flows(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    beta: float,
    share: np.ndarray,
    form: Form = "exp",
    *,
    tol: float = 1e-6,
    max_iter: int = 2000,
    outside_km: float | None = None,
    tail: tuple[float, float] | None = None,
    tail_origin: np.ndarray | None = None,
    tail_form: Form = "exp",
    tail_seed: bool = False,
    beta_other: float | None = None,
    far: tuple[float, float, float] | None = None,
) -> IPFResult:
    """Stayers first (``S_i = min(share_i O_i, D_i)`` on the diagonal), then a
    doubly-constrained gravity model for the others on the pairs ``i != j``.

    Parameters
    ----------
    origins, destinations : array-like
        ``O_i`` and ``D_i``; destinations are first rescaled to the origins within each
        connected component of the pair graph (as :func:`gravity_flows`).
    pairs : PairSet
        Must include the diagonal (``include_self=True``).
    beta, form : deterrence of the second stage (calibrated on inter-commune flows).
    share : array-like
        Probability of working in one's own unit (e.g. :func:`stay_share`); a unit with no
        other unit within reach keeps all its workers.
    tol, max_iter, outside_km : see :func:`furness` / :func:`gravity_flows`.
    tail : (a, β₂), optional
        Long-distance tail of the second stage's deterrence, ``f(d) = exp(-β d) + a exp(-β₂ d)``
        (:func:`add_tail`), only for the origins in ``tail_origin`` (bool per unit, e.g.
        :func:`tail_gate`; ``None``: all). ``None`` (default): the model without tail, unchanged.
    tail_form : ``g`` of the tail, ``"exp"`` (shipped) or ``"power"`` (``d^-β₂``, screened).
    tail_seed : bool
        The outside zone's seed ``f(outside_km)`` with the tail (default: without, "plain").
    beta_other : float, optional
        Deterrence of the origins outside ``tail_origin`` (default ``beta``; screened only).
    far : (a, γ, d0), optional
        Deterrence ``a (d / d0)^-γ`` added on the pairs beyond ``d0`` km (the far pairs of
        :func:`observatoire.model.far.far_pairs`, every origin); ``None``: none.

    Returns
    -------
    IPFResult
        ``flows`` aligned with ``pairs`` (diagonal = stayers), ``info["stayers"]`` the
        stayers per unit.
    """
    o, d, w, diag, n_comp = gravity_inputs(origins, destinations, pairs, beta, form)
    if tail is not None:
        add_tail(w, pairs, tail, tail_origin, tail_form)
        if beta_other is not None and tail_origin is not None:
            off = ~np.asarray(tail_origin, bool)[pairs.origin]
            w[off] = deterrence(pairs.distance_km[off], beta_other, form)
    add_far(w, pairs, far, destinations)
    has_other = np.bincount(pairs.origin[~diag], minlength=pairs.n_units) > 0
    p = np.clip(np.asarray(share, dtype=np.float64), 0.0, 1.0)
    p = np.where(has_other, p, 1.0)
    stay = np.minimum(p * o, d)
    w[diag] = 0.0
    kappa = 0.0 if outside_km is None else float(deterrence(np.array([outside_km]), beta, form)[0])
    if outside_km is not None and tail is not None and tail_seed:
        kappa += float(tail_term(np.array([outside_km]), tail, tail_form)[0])
    res = furness(
        o - stay,
        d - stay,
        pairs,
        w,
        tol=tol,
        max_iter=max_iter,
        out=w,
        outside_weight=kappa,
        outside_total=None if outside_km is None else float((o - stay).sum()),
    )
    res.flows[diag] += stay[pairs.origin[diag]]
    res.info.update(
        model="two-stage",
        form=form,
        beta=float(beta),
        components=n_comp,
        outside_km=outside_km,
        stayers=stay,
        tail=None if tail is None else (float(tail[0]), float(tail[1])),
        tail_origins=None if tail is None or tail_origin is None else int(np.count_nonzero(tail_origin)),
        far=None if far is None else tuple(float(x) for x in far),
    )
    return res
