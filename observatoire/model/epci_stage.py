"""Three-stage model: own commune, then own EPCI or not, then gravity within each side.

The two-stage model (:mod:`observatoire.model.stayers`) leaves the choice between the communes
of one's own EPCI and the rest of France to a single deterrence function: métropoles come out
too self-contained and rural France leaves its EPCI too often (``docs/MODEL.md`` §8–9). Here,
among the residents who do not work in their own commune, the probability of working outside
their own group (EPCI) is a binomial logit of the group's margins

    logit q_i = e0 + e1 log((D_g + 1) / (O_g + 1)) + e2 log(O_g + 1) + e3 log((O_i + 1) / (O_g + 1))

(the group's jobs per resident, its size and the commune's weight in it; a density term was
tried and dropped by the leave-one-métropole-out cross-validation, ``docs/MODEL.md`` §9), and a
doubly-constrained gravity model with *split rows* distributes them: each origin sends exactly
``(1 - q_i)(O_i - S_i)`` to the other communes of its group and ``q_i (O_i - S_i)`` outside it
(outside zone included), each destination receives ``D_j - S_j``. Pure functions, no I/O.
"""

from __future__ import annotations

import math

import numpy as np

from observatoire.model.balancing import IPFResult
from observatoire.model.constants import Form
from observatoire.model.far import add_far
from observatoire.model.gravity import deterrence
from observatoire.model.margins import connected_components
from observatoire.model.pairs import PairSet
from observatoire.model.stayers import add_tail, gravity_inputs

#: Largest share of a group's jobs (after its stayers) its own other residents may take
#: (``split="group"``): a group whose exit logit would keep more of them at home than its jobs
#: can hold sends the excess outside. Below 1 so that the balancing stays away from the
#: degenerate bound (an EPCI with no jobs left for anyone from outside converges very slowly).
INNER_MAX = 0.9

#: Iterations of the production run (``split="group"``): the group totals converge slowly where
#: an EPCI sends nearly all its movers out; the shares measured in ``docs/MODEL.md`` §9 move by
#: < 0.01 point between 300 and 1 000 iterations.
DEFAULT_MAX_ITER = 400

#: :func:`unconstrained_groups`: a group whose own (two-stage) exit share is at least this sends
#: nearly all its movers out; a blended target there asks the balancing for an inner side it
#: barely has (``docs/MODEL.md`` §13).
EXIT_SHARE_FREE = 0.99

#: Names of the columns of :func:`exit_features`.
EXIT_FEATURES = (
    "constante",
    "log emplois/actifs de l'EPCI",
    "log actifs de l'EPCI",
    "log poids de la commune dans l'EPCI",
)


def group_index(groups: np.ndarray) -> np.ndarray:
    """Integer label (0..k-1) per unit of a group code per unit."""
    _, inv = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    return inv.astype(np.int64)


def exit_features(origins: np.ndarray, destinations: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Design matrix of the exit logit, one row per unit (see :data:`EXIT_FEATURES`).

    Parameters
    ----------
    origins, destinations : array-like
        Employed residents and jobs per unit.
    groups : array-like
        Group code per unit (its EPCI; its own code when it has none).

    Returns
    -------
    numpy.ndarray, shape (n, 4)
    """
    o = np.nan_to_num(np.asarray(origins, dtype=np.float64), nan=0.0)
    d = np.nan_to_num(np.asarray(destinations, dtype=np.float64), nan=0.0)
    g = group_index(groups)
    og = np.bincount(g, weights=o)[g]
    dg = np.bincount(g, weights=d)[g]
    return np.column_stack(
        [
            np.ones_like(o),
            np.log((dg + 1.0) / (og + 1.0)),
            np.log(og + 1.0),
            np.log((o + 1.0) / (og + 1.0)),
        ]
    )


def unconstrained_groups(
    pairs: PairSet,
    groups: np.ndarray,
    exit_share: np.ndarray | None = None,
    *,
    max_share: float = EXIT_SHARE_FREE,
    outside_main: bool = False,
) -> np.ndarray:
    """Bool per unit: its group gets no exit constraint in :func:`three_stage_flows`
    (``split="group"``), because a target there may be infeasible (``docs/MODEL.md`` §13):

    * the group has one unit (no inner side: its exits are its movers, whatever the target);
    * it spans several connected components of the pair graph (e.g. two EPCI of Guyane): the
      split between its sides is then fixed by the components' own margins, not by one factor;
    * its own exit share ``exit_share`` (per unit, e.g. the two-stage model's share of the group)
      is at least ``max_share``: nearly no inner side to move people from;
    * with ``outside_main``, it has a unit outside the largest component (most units) of the pair
      graph: the DROM, Corsica and the islands, where most exits go to the outside zone and the
      exit logit (fitted on mainland regions) is an extrapolation (e.g. CC de l'Ouest guyanais,
      whose blended target the balancing cannot meet).

    Parameters
    ----------
    pairs : PairSet
    groups : array-like
        Group code per unit.
    exit_share : array-like, optional
        Reference exit share per unit (its group's); ``None``: the last rule is not applied.
    max_share : float
    outside_main : bool

    Returns
    -------
    numpy.ndarray of bool, one per unit
    """
    g = group_index(groups)
    k = int(g.max()) + 1 if g.size else 0
    size = np.bincount(g, minlength=k)
    _, comp = connected_components(pairs)
    # several components: the smallest and largest label of the group differ
    lo = np.full(k, np.iinfo(np.int64).max)
    hi = np.full(k, -1)
    np.minimum.at(lo, g, comp)
    np.maximum.at(hi, g, comp)
    free = (size <= 1) | (lo != hi)
    if outside_main and comp.size:
        main = np.bincount(comp).argmax()
        free |= np.bincount(g, weights=(comp != main), minlength=k) > 0
    if exit_share is not None:
        q = np.asarray(exit_share, dtype=np.float64)
        q_g = np.zeros(k)
        np.maximum.at(q_g, g, np.nan_to_num(q, nan=0.0))
        free |= q_g >= float(max_share)
    return free[g]


def three_stage_flows(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    beta: float,
    stay: np.ndarray,
    exit_share: np.ndarray,
    groups: np.ndarray,
    form: Form = "exp",
    *,
    tol: float = 1e-6,
    max_iter: int = 2000,
    outside_km: float | None = None,
    split: str = "unit",
    free: np.ndarray | None = None,
    tail: tuple[float, float] | None = None,
    tail_origin: np.ndarray | None = None,
    far: tuple[float, float, float] | None = None,
) -> IPFResult:
    """Stayers on the diagonal, then gravity with rows split between own group and the rest.

    Parameters
    ----------
    origins, destinations : array-like
        ``O_i`` and ``D_i``; destinations are first rescaled to the origins within each
        connected component of the pair graph.
    pairs : PairSet
        Must include the diagonal.
    beta, form : deterrence of the last stage (same on both sides).
    stay : array-like
        Probability of working in one's own unit (:func:`stay_share`).
    exit_share : array-like
        Probability of working outside one's group given not in one's unit; forced to 0 for a
        unit with no pair outside its group, to 1 for one with no other unit of its group in
        reach.
    groups : array-like
        Group code per unit.
    tol, max_iter, outside_km : see :func:`furness` (the outside zone is on the outside side).
    split : {"unit", "group"}
        ``"unit"``: each unit sends exactly ``exit_share`` of its non-stayers outside its group;
        ``"group"``: only each group's total is met (``sum exit_share (O - S)`` over its units,
        raised where needed so that its own residents take at most :data:`INNER_MAX` of its jobs), the gravity model choosing
        which of its units send them (``info["exit_share"]`` is then the group's share).
    free : array-like of bool, optional
        ``split="group"`` only: per unit, its group has no exit constraint (its rows are balanced
        as in the two-stage model; e.g. :func:`unconstrained_groups`). Default: every group
        constrained (the model of ``docs/MODEL.md`` §9).
    far : far pairs' deterrence (:func:`observatoire.model.far.add_far`), ``None``: none.
    tail, tail_origin : long-distance tail of the deterrence on the pairs whose origin is in
        ``tail_origin`` (as :func:`observatoire.model.stayers.two_stage_flows`; the outside
        zone keeps its plain seed).

    Returns
    -------
    IPFResult
        ``flows`` aligned with ``pairs``, ``info["stayers"]``, ``info["exit_share"]``.
    """
    from scipy.sparse import csr_array

    if split not in ("unit", "group"):
        raise ValueError("split must be 'unit' or 'group'")

    n = pairs.n_units
    o, d, w, diag, n_comp = gravity_inputs(origins, destinations, pairs, beta, form)
    if tail is not None:
        add_tail(w, pairs, tail, tail_origin)
    add_far(w, pairs, far, destinations)
    g = group_index(groups)
    inner = g[pairs.origin] == g[pairs.destination]
    inner &= ~diag
    outer = ~inner & ~diag
    del diag
    has_other = np.bincount(pairs.origin[inner | outer], minlength=n) > 0
    p = np.where(has_other, np.clip(np.asarray(stay, dtype=np.float64), 0.0, 1.0), 1.0)
    s = np.minimum(p * o, d)
    q = np.clip(np.asarray(exit_share, dtype=np.float64), 0.0, 1.0)
    # a side is reachable if it has a pair to a destination with jobs left after the stayers
    open_d = (d - s > 0)[pairs.destination]
    has_in = np.bincount(pairs.origin[inner & open_d], minlength=n) > 0
    has_out = np.bincount(pairs.origin[outer & open_d], minlength=n) > 0
    del open_d
    q = np.where(has_in, np.where(has_out, q, 0.0), 1.0)
    kappa = 0.0 if outside_km is None else float(deterrence(np.array([outside_km]), beta, form)[0])
    if kappa == 0.0:
        q = np.where(has_out, q, 0.0)
    o2, d2 = o - s, d - s
    if split == "group":
        # each group's total to the rest, at least what its own jobs cannot take (feasibility)
        o2_g, d2_g = np.bincount(g, weights=o2), np.bincount(g, weights=d2)
        q_g = np.clip(np.bincount(g, weights=q * o2), np.maximum(o2_g - INNER_MAX * d2_g, 0.0), o2_g)
        q = np.divide(q_g, o2_g, out=np.zeros_like(q_g), where=o2_g > 0)[g]
    o_in, o_out = (1.0 - q) * o2, q * o2
    # the inner pairs are few (same group): their own small CSR; the full one keeps them at 0
    idx_in = np.flatnonzero(inner)
    w_in = csr_array(
        (
            w[idx_in],
            pairs.destination[idx_in],
            np.concatenate([[0], np.cumsum(np.bincount(pairs.origin[idx_in], minlength=n))]),
        ),
        shape=(n, n),
    )
    w[~outer] = 0.0
    del outer
    w_out = csr_array((w, pairs.destination, pairs.indptr), shape=(n, n))
    x_out = float(o2.sum())  # margins of the outside zone, as two_stage_flows
    free_g = None
    if split == "group" and free is not None:
        free_g = np.bincount(g, weights=np.asarray(free, dtype=np.float64), minlength=int(g.max()) + 1) > 0
    a_in, a_out, b, b_z, a_z, it, err = _split_ipf(
        o_in,
        o_out,
        d2,
        w_in,
        w_out,
        kappa,
        x_out,
        tol,
        max_iter,
        group=g if split == "group" else None,
        free=free_g,
    )
    flows = w  # outer seeds, overwritten in place
    flows *= a_out[pairs.origin]
    flows *= b[pairs.destination]
    flows[idx_in] = w_in.data * a_in[pairs.origin[idx_in]] * b[pairs.destination[idx_in]]
    dpos = np.flatnonzero(pairs.origin == pairs.destination)
    flows[dpos] = s[pairs.origin[dpos]]
    res = IPFResult(
        flows=flows,
        a=a_out,
        b=b,
        iterations=it,
        max_rel_error=err,
        converged=err <= tol,
        unallocated=0.0,
    )
    if kappa > 0:
        res.outside_origin = a_out * kappa * b_z
        res.outside_destination = a_z * kappa * b
    res.info.update(
        model="three-stage",
        form=form,
        beta=float(beta),
        components=n_comp,
        outside_km=outside_km,
        stayers=s,
        exit_share=q,
    )
    return res


def _split_ipf(o_in, o_out, d, w_in, w_out, kappa, x_out, tol, max_iter, group=None, free=None):
    """Furness with the rows split between own group and the rest, and one margin per destination.

    ``group=None``: two row margins per origin (``o_in``, ``o_out``). With ``group`` (label per
    unit), each origin's total ``o_in + o_out`` is met and only each group's total to the rest
    (sum of ``o_out`` over its units), by one more balancing factor per group; ``free`` (bool
    per group): those groups keep their factor at 1 (no group constraint).
    """
    n = d.shape[0]
    pos_d = d > 0
    b = np.where(pos_d, 1.0, 0.0)
    b_z = 1.0
    w_in_t, w_out_t = w_in.T, w_out.T
    if group is not None:
        o_tot = o_in + o_out
        q_g = np.bincount(group, weights=o_out)
        theta = np.where(q_g > 0, 1.0, 0.0)
        if free is not None:
            theta[free] = 1.0
            q_g = np.where(free, -1.0, q_g)  # < 0: not a target (see _group_step)
    err = math.inf
    it = 0
    while it < max_iter:
        it += 1
        r_in = w_in @ b
        r_out = w_out @ b + kappa * b_z
        if group is None:
            a_in = np.divide(o_in, r_in, out=np.zeros(n), where=(o_in > 0) & (r_in > 0))
            a_out = np.divide(o_out, r_out, out=np.zeros(n), where=(o_out > 0) & (r_out > 0))
            g_err = 0.0
        else:
            a_in, a_out, theta, g_err = _group_step(o_tot, q_g, group, theta, r_in, r_out)
        a_z = x_out / (kappa * b.sum() + b_z) if kappa > 0 else 0.0
        cs = w_in_t @ a_in + w_out_t @ a_out + kappa * a_z
        cs_z = kappa * a_out.sum() + a_z
        with np.errstate(divide="ignore", invalid="ignore"):
            # relative to at least one person: a destination whose jobs the stayers nearly fill
            # (d of 1e-3) would otherwise hold the whole system on a 1e-7 absolute error
            rel = np.abs(b * cs - d)[pos_d] / np.maximum(d[pos_d], 1.0)
        # the outside zone's own total only sets its self-flow (units balance, so what enters it
        # leaves it): a valve, not a margin, left out of the convergence test
        err = max(float(rel.max()) if rel.size else 0.0, g_err)
        if err <= tol:
            break
        b = np.divide(d, cs, out=np.zeros(n), where=pos_d & (cs > 0))
        if kappa > 0 and cs_z > 0:
            b_z = x_out / cs_z
    return a_in, a_out, b, b_z, a_z, it, err


def _group_step(o_tot, q_g, group, theta, r_in, r_out):
    """Rows exact and each group's flow to the rest rescaled to its target: (a_in, a_out, theta, err).

    A group with a negative target (``free`` in :func:`_split_ipf`) keeps its factor."""
    n = o_tot.shape[0]
    t = theta[group] * r_out
    den = r_in + t
    a = np.divide(o_tot, den, out=np.zeros(n), where=(o_tot > 0) & (den > 0))
    f_g = np.bincount(group, weights=a * t, minlength=q_g.shape[0])
    fixed = q_g < 0
    theta = np.where(
        fixed, theta, np.divide(theta * q_g, f_g, out=np.zeros_like(theta), where=(f_g > 0) & ~fixed)
    )
    t = theta[group] * r_out
    den = r_in + t
    a = np.divide(o_tot, den, out=np.zeros(n), where=(o_tot > 0) & (den > 0))
    f_g = np.bincount(group, weights=a * t, minlength=q_g.shape[0])
    pos = q_g > 0
    g_err = float((np.abs(f_g - q_g)[pos] / q_g[pos]).max()) if pos.any() else 0.0
    return a, a * theta[group], theta, g_err


def side_access(
    pairs: PairSet, destinations: np.ndarray, groups: np.ndarray, beta: float, *, chunk: int = 8_000_000
) -> tuple[np.ndarray, np.ndarray]:
    """Jobs within reach of each unit inside and outside its group, ``sum_j D_j exp(-beta d_ij)``
    over the other units of its group and over the units of other groups (by chunks of pairs).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Inside and outside sums, one value per unit.
    """
    d = np.nan_to_num(np.asarray(destinations, dtype=np.float64), nan=0.0)
    g = group_index(groups)
    n = pairs.n_units
    inside, outside = np.zeros(n), np.zeros(n)
    for lo in range(0, pairs.n_pairs, chunk):
        hi = min(lo + chunk, pairs.n_pairs)
        po, pd_ = pairs.origin[lo:hi], pairs.destination[lo:hi]
        w = d[pd_] * np.exp(-beta * pairs.distance_km[lo:hi].astype(np.float64))
        same = g[po] == g[pd_]
        inn = same & (po != pd_)
        inside += np.bincount(po[inn], weights=w[inn], minlength=n)
        outside += np.bincount(po[~same], weights=w[~same], minlength=n)
    return inside, outside
