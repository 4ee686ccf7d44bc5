"""Furness / IPF balancing of a doubly-constrained model on a sparse pair list."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from observatoire.model.pairs import PairSet


@dataclass
class IPFResult:
    """Output of :func:`furness` / :func:`gravity_flows` / :func:`radiation_flows`.

    Attributes
    ----------
    flows : numpy.ndarray of float64
        Estimated flow on each pair of the pair set.
    a, b : numpy.ndarray
        Balancing vectors: ``flows = a[origin] * b[destination] * f(d)``, i.e.
        ``a_i = A_i O_i`` and ``b_j = B_j D_j`` (0 where the margin is 0).
    iterations : int
    max_rel_error : float
        Largest relative margin error ``|sum - target| / target`` over the
        columns with a positive target (and the outside zone, if any); rows are
        exact after the last update.
    converged : bool
    unallocated : float
        Total of origins that could not be allocated (no reachable destination).
    outside_origin, outside_destination : numpy.ndarray or None
        With an outside zone (see :func:`furness`): flow from each unit to the
        outside zone (workers whose job is beyond the modelled system) and from
        the outside zone to each unit (jobs held by people from beyond it).
    info : dict
        Model name and parameters.
    """

    flows: np.ndarray
    a: np.ndarray
    b: np.ndarray
    iterations: int
    max_rel_error: float
    converged: bool
    unallocated: float = 0.0
    outside_origin: np.ndarray | None = None
    outside_destination: np.ndarray | None = None
    info: dict = field(default_factory=dict)


def furness(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    weights: np.ndarray,
    *,
    tol: float = 1e-6,
    max_iter: int = 2000,
    backend: Literal["sparse", "bincount"] = "sparse",
    outside_weight: float = 0.0,
    outside_total: float | None = None,
    b0: np.ndarray | None = None,
    out: np.ndarray | None = None,
    chunk: int = 8_000_000,
) -> IPFResult:
    """Doubly-constrained balancing (Furness / IPF) on a sparse pair list.

    Finds ``a, b`` such that ``T_k = a[o_k] * b[d_k] * w_k`` has row sums
    ``origins`` and column sums ``destinations``. Alternates
    ``a = O / (W b)`` and ``b = D / (W^T a)`` until the largest relative column
    error is ``<= tol`` (rows are then exact).

    Optional **outside zone** (``outside_weight > 0``): one extra zone linked to
    every unit with seed ``outside_weight`` in both directions and to itself
    with seed 1, with margins ``outside_total``. It is the balancing valve of an
    *open* system: where employed residents exceed the jobs within reach (near
    Geneva, Luxembourg or Basel, where many residents work abroad), the surplus
    goes to the outside zone instead of being forced onto improbable long trips,
    and symmetrically for surplus jobs. Its flows are returned apart
    (``outside_origin``, ``outside_destination``), never as unit-to-unit flows.

    Parameters
    ----------
    origins, destinations : array-like, shape (n_units,)
        Margins ``O_i`` and ``D_j``; must balance within each connected component
        (see :func:`balance_destinations`).
    pairs : PairSet
    weights : numpy.ndarray, shape (n_pairs,)
        Seed values ``w_k > 0`` (``f(d_k)`` for the gravity model).
    tol : float
        Convergence tolerance on the largest relative margin error.
    max_iter : int
    backend : {"sparse", "bincount"}
        ``"sparse"``: row/column sums as CSR mat-vec products
        (:mod:`scipy.sparse`, no temporary per pair); ``"bincount"``: gather +
        :func:`numpy.bincount` on the pair list (one float64 temporary per pair).
        Same result; ``bench/bench_model.py`` compares their speed.
    outside_weight : float
        Seed between any unit and the outside zone (0: no outside zone).
    outside_total : float, optional
        Margins of the outside zone; default ``sum(origins)``.
    b0 : numpy.ndarray, optional
        Warm start for ``b`` (e.g. from a neighbouring beta).
    out : numpy.ndarray, optional
        Buffer (n_pairs float64) for the flows; may be ``weights`` itself to
        save memory (``weights`` is then overwritten).
    chunk : int
        Pairs multiplied at once when forming the flows (memory bound).

    Returns
    -------
    IPFResult
    """
    o, d, w, kappa, x_out = _checked_inputs(
        origins, destinations, pairs, weights, outside_weight, outside_total
    )
    row_sums, col_sums = _margin_products(pairs, w, backend)
    system = _Margins(o, d, kappa, x_out, row_sums, col_sums)
    b = np.where(system.pos_d, 1.0 if b0 is None else b0, 0.0).astype(np.float64)
    b, b_out, it = _iterate(system, b, tol, max_iter)
    # rows exact with the last b; err is the column error of this final state
    a, a_out = system.update_a(b, b_out)
    _, _, err = system.column_error(a, a_out, b, b_out)
    reach = row_sums(np.where(system.pos_d, 1.0, 0.0))
    unallocated = 0.0 if kappa > 0 else float(o[system.pos_o & ~(reach > 0)].sum())
    converged = err <= tol
    flows = _fill_flows(pairs, w, a, b, out, chunk)
    if not converged:
        warnings.warn(
            f"IPF did not converge: max relative margin error {err:.3g} after {it} iterations",
            RuntimeWarning,
            stacklevel=2,
        )
    res = IPFResult(
        flows=flows, a=a, b=b, iterations=it, max_rel_error=err, converged=converged, unallocated=unallocated
    )
    if kappa > 0:
        res.outside_origin = a * kappa * b_out
        res.outside_destination = a_out * kappa * b
        res.info.update(outside_total=x_out, outside_self=a_out * b_out)
    return res


def _checked_inputs(
    origins: np.ndarray,
    destinations: np.ndarray,
    pairs: PairSet,
    weights: np.ndarray,
    outside_weight: float,
    outside_total: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Margins, weights, outside seed and outside total as float64, after checking them."""
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(destinations, dtype=np.float64)
    n = pairs.n_units
    if o.shape != (n,) or d.shape != (n,):
        raise ValueError("origins and destinations must have one value per unit")
    if (o < 0).any() or (d < 0).any():
        raise ValueError("margins must be non-negative")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (pairs.n_pairs,):
        raise ValueError("one weight per pair is needed")
    kappa = float(outside_weight)
    if kappa < 0:
        raise ValueError("outside_weight must be >= 0")
    x_out = float(o.sum()) if outside_total is None else float(outside_total)
    return o, d, w, kappa, x_out


def _margin_products(pairs: PairSet, w: np.ndarray, backend: str) -> tuple[Callable, Callable]:
    """``row_sums(b) = W b`` and ``col_sums(a) = W^T a`` for the chosen backend."""
    n = pairs.n_units
    if backend == "sparse":
        from scipy.sparse import csr_array

        mat = csr_array((w, pairs.destination, pairs.indptr), shape=(n, n))
        mat_t = mat.T

        def row_sums(b: np.ndarray) -> np.ndarray:
            return mat @ b

        def col_sums(a: np.ndarray) -> np.ndarray:
            return mat_t @ a

        return row_sums, col_sums
    if backend == "bincount":
        buf = np.empty(pairs.n_pairs, dtype=np.float64)
        origin_idx = pairs.origin.astype(np.intp)
        dest_idx = pairs.destination.astype(np.intp)

        def row_sums_b(b: np.ndarray) -> np.ndarray:
            np.take(b, dest_idx, out=buf)
            np.multiply(buf, w, out=buf)
            return np.bincount(origin_idx, weights=buf, minlength=n)

        def col_sums_b(a: np.ndarray) -> np.ndarray:
            np.take(a, origin_idx, out=buf)
            np.multiply(buf, w, out=buf)
            return np.bincount(dest_idx, weights=buf, minlength=n)

        return row_sums_b, col_sums_b
    raise ValueError("backend must be 'sparse' or 'bincount'")


class _Margins:
    """The two half-steps of Furness on one system, with the optional outside zone."""

    def __init__(
        self,
        o: np.ndarray,
        d: np.ndarray,
        kappa: float,
        x_out: float,
        row_sums: Callable[[np.ndarray], np.ndarray],
        col_sums: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        self.o, self.d, self.kappa, self.x_out = o, d, kappa, x_out
        self.row_sums, self.col_sums = row_sums, col_sums
        self.n = o.shape[0]
        self.pos_o = o > 0
        self.pos_d = d > 0

    def update_a(self, b: np.ndarray, b_out: float) -> tuple[np.ndarray, float]:
        """Row balancing: ``a = O / (W b)`` (and the outside zone's ``a_out``)."""
        rs = self.row_sums(b)
        if self.kappa > 0:
            rs += self.kappa * b_out
            a_out = self.x_out / (self.kappa * b.sum() + b_out)
        else:
            a_out = 0.0
        return np.divide(self.o, rs, out=np.zeros(self.n), where=self.pos_o & (rs > 0)), a_out

    def column_error(
        self, a: np.ndarray, a_out: float, b: np.ndarray, b_out: float
    ) -> tuple[np.ndarray, float, float]:
        """Column sums ``W^T a`` (and the outside zone's) and the largest relative column error."""
        cs = self.col_sums(a)
        cs_out = 0.0
        if self.kappa > 0:
            cs += self.kappa * a_out
            cs_out = self.kappa * a.sum() + a_out
        pos_d, d = self.pos_d, self.d
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(b * cs - d)[pos_d] / d[pos_d]
        err = float(rel.max()) if rel.size else 0.0
        if self.kappa > 0:
            err = max(err, abs(b_out * cs_out - self.x_out) / self.x_out)
        return cs, cs_out, (err if np.isfinite(err) else math.inf)


def _iterate(system: _Margins, b: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, float, int]:
    """Alternate the two half-steps until the column error is ``<= tol``: (b, b_out, iterations)."""
    b_out = 1.0
    it = 0
    while it < max_iter:
        it += 1
        a, a_out = system.update_a(b, b_out)
        cs, cs_out, err = system.column_error(a, a_out, b, b_out)
        if err <= tol:
            break
        b = np.divide(system.d, cs, out=np.zeros(system.n), where=system.pos_d & (cs > 0))
        if system.kappa > 0:
            b_out = system.x_out / cs_out
    return b, b_out, it


def _fill_flows(
    pairs: PairSet, w: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None, chunk: int
) -> np.ndarray:
    """``flows_k = w_k * a[o_k] * b[d_k]``, by chunks, into ``out`` (which may be ``w``)."""
    flows = out if out is not None else np.empty(pairs.n_pairs, dtype=np.float64)
    for lo in range(0, pairs.n_pairs, chunk):
        hi = min(lo + chunk, pairs.n_pairs)
        seg = flows[lo:hi]
        if flows is not w:
            np.copyto(seg, w[lo:hi])
        seg *= a[pairs.origin[lo:hi]]
        seg *= b[pairs.destination[lo:hi]]
    return flows
