"""Exit blend: the two-stage model's exits from each EPCI pulled towards the exit logit.

The shipped estimate (``docs/MODEL.md`` §13): the two-stage model with the gated long-distance
tail (:func:`observatoire.model.stayers.two_stage_flows`) gives each group (EPCI) ``g`` its own
share ``q2_g`` of movers (non-stayers) working outside it, outside zone included; the exit logit
(:func:`observatoire.model.epci_stage.exit_features`) gives ``q_logit_g`` (its units' shares,
averaged over the two-stage movers). Each group then sends exactly ``(1 - λ) q2_g + λ q_logit_g``
of its movers outside itself, balanced by the split IPF of
:func:`observatoire.model.epci_stage.three_stage_flows` (``split="group"``), except for the
groups :func:`observatoire.model.epci_stage.unconstrained_groups` frees (``outside_main=True``),
whose rows are balanced as in the two-stage model. ``λ = 0`` is the two-stage model. Pure.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from observatoire.model.balancing import IPFResult
from observatoire.model.constants import Form
from observatoire.model.epci_stage import (
    DEFAULT_MAX_ITER,
    group_index,
    three_stage_flows,
    unconstrained_groups,
)
from observatoire.model.pairs import PairSet
from observatoire.model.stayers import two_stage_flows


def group_exit_share(
    pairs: PairSet, flows: np.ndarray, outside, movers: np.ndarray, g: np.ndarray
) -> np.ndarray:
    """Share of each group's movers working outside it (outside zone ``outside`` per unit
    included; ``None``: a closed system), one value per group label of ``g`` (:func:`group_index`)."""
    out = g[pairs.origin] != g[pairs.destination]
    mov_g = np.bincount(g, weights=movers)
    ex_g = np.bincount(g[pairs.origin[out]], weights=flows[out], minlength=mov_g.shape[0])
    if outside is not None:
        ex_g += np.bincount(g, weights=outside, minlength=mov_g.shape[0])
    return np.divide(ex_g, mov_g, out=np.zeros_like(mov_g), where=mov_g > 0)


class ExitTargets(NamedTuple):
    """Per group (index of :func:`group_index`): ``movers`` (two-stage non-stayers), ``q2`` the
    two-stage exit share, ``q_logit`` the exit logit averaged over the movers, ``share`` the
    blended exit share ``(1 - lam) q2 + lam q_logit``; ``g`` the group index per unit, ``free``
    per unit (no exit constraint, :func:`unconstrained_groups`)."""

    g: np.ndarray
    movers: np.ndarray
    q2: np.ndarray
    q_logit: np.ndarray
    share: np.ndarray
    free: np.ndarray


def exit_targets(
    pairs: PairSet,
    two: IPFResult,
    origins: np.ndarray,
    exit_logit: np.ndarray,
    groups: np.ndarray,
    lam,
    *,
    outside: bool,
    outside_main: bool = True,
) -> ExitTargets:
    """Each group's exit target of the blend, from the two-stage run ``two`` of these inputs
    (``outside``: its outside zone counts as exits)."""
    g = group_index(groups)
    movers = np.asarray(origins, dtype=np.float64) - two.info["stayers"]
    q2 = group_exit_share(pairs, two.flows, two.outside_origin if outside else None, movers, g)
    mov_g = np.bincount(g, weights=movers)
    ql = np.nan_to_num(np.asarray(exit_logit, dtype=np.float64), nan=0.0)
    ql_g = np.divide(np.bincount(g, weights=ql * movers), mov_g, out=np.zeros_like(mov_g), where=mov_g > 0)
    free = unconstrained_groups(pairs, groups, q2[g], outside_main=outside_main)
    lam_g = group_lambda(lam, g, mov_g.shape[0])
    return ExitTargets(g, mov_g, q2, ql_g, (1.0 - lam_g) * q2 + lam_g * ql_g, free)


def group_lambda(lam, g: np.ndarray, n_groups: int) -> np.ndarray:
    """The exit logit's weight per group: ``lam`` a float (every group) or one value per unit,
    the same for every unit of a group (e.g. :func:`gated_lambda`); each in [0, 1]."""
    lam_u = np.broadcast_to(np.asarray(lam, dtype=np.float64), g.shape)
    if np.any((lam_u < 0.0) | (lam_u > 1.0)) or not np.all(np.isfinite(lam_u)):
        raise ValueError("lam must be in [0, 1]")
    lo = np.full(n_groups, np.inf)
    hi = np.full(n_groups, -np.inf)
    np.minimum.at(lo, g, lam_u)
    np.maximum.at(hi, g, lam_u)
    if np.any(lo[np.isfinite(lo)] != hi[np.isfinite(hi)]):
        raise ValueError("lam must be the same for every unit of a group")
    return np.where(np.isfinite(lo), lo, 0.0)


def gated_lambda(lam: float, lam_gated: float, gate: np.ndarray) -> np.ndarray:
    """Per unit: ``lam_gated`` where ``gate`` (e.g. :func:`observatoire.model.tail_gate`: the
    units of groups with many employed residents), ``lam`` elsewhere."""
    return np.where(np.asarray(gate, dtype=bool), float(lam_gated), float(lam))


def blend_flows(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    beta: float,
    stay: np.ndarray,
    exit_logit: np.ndarray,
    groups: np.ndarray,
    lam,
    form: Form = "exp",
    *,
    tail: tuple[float, float] | None = None,
    tail_origin: np.ndarray | None = None,
    tol: float = 1e-6,
    max_iter: int = 2000,
    split_max_iter: int = DEFAULT_MAX_ITER,
    outside_km: float | None = None,
    two_stage: IPFResult | None = None,
    far: tuple[float, float, float] | None = None,
) -> IPFResult:
    """The two-stage model, then each group's exits blended with the exit logit (module doc).

    Parameters
    ----------
    origins, destinations, pairs, beta, form, tail, tail_origin, outside_km :
        as :func:`observatoire.model.stayers.two_stage_flows` (plain outside seed).
    stay : array-like
        Stay probability per unit (:func:`stay_share`).
    exit_logit : array-like
        Exit-logit probability per unit (:func:`stay_share` of the exit coefficients on
        :func:`exit_features`).
    groups : array-like
        Group (EPCI) code per unit.
    lam : float or array-like
        Weight of the exit logit, in [0, 1]: one for every group, or one per unit (the same
        within a group, e.g. :func:`gated_lambda`).
    tol : IPF tolerance of both balancings.
    max_iter, split_max_iter : iterations of the two-stage and of the split balancing.
    far : (a, γ, d0), optional
        Far pairs' deterrence (:func:`observatoire.model.far.add_far`) in both balancings.
    two_stage : IPFResult, optional
        The two-stage run of these very inputs (e.g. shared by several exit logits); default:
        computed here.

    Returns
    -------
    IPFResult
        As :func:`three_stage_flows`; ``info`` adds ``model="blend"``, ``lam``, ``tail``,
        ``free_groups`` (groups without exit constraint), ``two_stage_iterations``.
    """
    o = np.nan_to_num(np.asarray(origins, dtype=np.float64), nan=0.0)
    kw = {"tol": tol, "outside_km": outside_km, "tail": tail, "tail_origin": tail_origin, "far": far}
    two = two_stage
    if two is None:
        two = two_stage_flows(o, destinations, pairs, beta, stay, form, max_iter=max_iter, **kw)
    t = exit_targets(pairs, two, o, exit_logit, groups, lam, outside=outside_km is not None)
    two_it = two.iterations
    del two
    res = three_stage_flows(
        o,
        destinations,
        pairs,
        beta,
        stay,
        t.share[t.g],
        groups,
        form,
        max_iter=split_max_iter,
        split="group",
        free=t.free,
        **kw,
    )
    res.info.update(
        model="blend",
        lam=float(lam) if np.ndim(lam) == 0 else [float(v) for v in np.unique(lam)],
        tail=None if tail is None else (float(tail[0]), float(tail[1])),
        free_groups=int(np.unique(t.g[t.free]).size),
        two_stage_iterations=int(two_it),
    )
    return res
