"""Parameters of the production model and physical constants (see ``docs/MODEL.md``)."""

from __future__ import annotations

from typing import Literal

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM: float = 6371.0088

#: Default maximum centroid distance of a modelled pair, km.
DEFAULT_CUTOFF_KM: float = 100.0

#: Default intra-unit distance factor: ``d_ii = factor * sqrt(area / pi)``.
#: 0.5 = half the radius of the disc of the same area (a common convention;
#: homes and jobs cluster around the centre of a commune, so the mean distance
#: between two uniform points of the disc, 0.905 R, overstates intra trips).
DEFAULT_INTRA_FACTOR: float = 0.5

#: Smallest distance used anywhere (km), so that ``d ** -beta`` stays finite.
MIN_DISTANCE_KM: float = 0.1

#: Deterrence form of the production model (chosen by ``tools/evaluate_model.py``,
#: see ``docs/MODEL.md``).
DEFAULT_FORM: str = "exp"

#: Deterrence parameter of the production model (km^-1 for ``exp``), calibrated
#: by maximising the mean CPC of Ile-de-France 2012 and Isere 2017 (equal weights,
#: all flows, observed margins; ``tools/evaluate_model.py``, ``docs/MODEL.md``).
DEFAULT_BETA: float = 0.214

#: Equivalent distance (km) of the outside zone used for open systems
#: (:func:`furness`, :func:`estimate_flows`); see ``docs/MODEL.md``.
DEFAULT_OUTSIDE_KM: float = 40.0

#: Default IPF tolerance of :func:`estimate_flows` (largest relative margin error).
DEFAULT_TOL: float = 1e-4

Form = Literal["exp", "power"]

#: Model of the shipped estimate: ``"blend"`` (the two-stage model with :data:`BLEND_TAIL`, then
#: each EPCI's exits blended with the exit logit, :func:`blend_flows`, ``docs/MODEL.md`` §13),
#: ``"two-stage"`` (stay logit, then gravity on ``i != j``, :func:`two_stage_flows`; shipped in
#: §12) or ``"gravity"`` (single stage, the model before issue 17).
DEFAULT_MODEL: str = "blend"

#: Coefficients of the stay logit (:data:`STAY_FEATURES` order, five columns: with the share of
#: non-salaried jobs), fitted on the observed stayers of Ile-de-France 2012 and Isere 2017, each
#: region weighted equally (``tools/evaluate_model.py``, ``docs/MODEL.md`` §10).
DEFAULT_STAY_COEF: tuple[float, ...] = (-0.5448, 1.0657, 0.0967, 0.2716, 0.8181)

#: Stay logit shipped before (four columns, IdF 2012 + Isere 2017 pooled, IdF 12x larger):
#: kept for the comparison of ``docs/MODEL.md`` §10 and the test that pins the change.
PREVIOUS_STAY_COEF: tuple[float, ...] = (-3.1213, 0.4024, 0.1284, 0.4140)

#: Inter-commune deterrence of the two-stage model (km^-1), calibrated on the inter-commune flows
#: of Ile-de-France 2012 and Isere 2017 (equal weights, CPC objective).
DEFAULT_INTER_BETA: float = 0.152

#: Coefficients of the exit logit (:data:`EXIT_FEATURES` order: the share of those not working in
#: their commune who work outside their EPCI), fitted on Ile-de-France 2012, Isere 2017 and the
#: complete outflows of the five métropoles 2019 and 2022, each source weighted equally
#: (``tools/evaluate_three_stage.py``, ``docs/MODEL.md`` §9).
DEFAULT_EXIT_COEF: tuple[float, ...] = (1.8337, -2.7508, -0.1332, 0.2251)

#: Long-distance tail ``(a, β₂)`` of the shipped two-stage model's second stage,
#: ``f(d) = exp(-β d) + a exp(-β₂ d)`` (β₂ in km^-1), only for the residents of large EPCI
#: (:data:`DEFAULT_TAIL_GATE_WORKERS`). Screened on the five métropoles' complete outflows
#: (``tools/screen_long_tail.py``); the leave-one-métropole-out pick (0.04, 0.045) puts France's
#: outside-EPCI share 2.2 points above INSEE's, so this is the best-loss tail keeping France and
#: Bretagne within 2 points (``docs/MODEL.md`` §12).
DEFAULT_TAIL: tuple[float, float] = (0.01, 0.03)

#: The tail applies to the residents of EPCI with at least this many employed residents (summed
#: over the EPCI's communes; set once in ``docs/MODEL.md`` §11, not tuned).
DEFAULT_TAIL_GATE_WORKERS: float = 100_000

#: Weight λ of the exit logit in the shipped blend (``docs/MODEL.md`` §13, variant C): each EPCI
#: sends ``(1 - λ) q2 + λ q_logit`` of its movers outside itself, ``q2`` the two-stage model's own
#: share. The largest screened λ keeping every held-out IdF <-> Isère CPC cell at or above the
#: two-stage model's of §12; the France split IPF converges there (≈ 300 iterations).
BLEND_LAMBDA: float = 0.15

#: Long-distance tail ``(a, β₂)`` of the shipped blend's second stage (same gate,
#: :data:`DEFAULT_TAIL_GATE_WORKERS`): the leave-one-métropole-out pick of §12, which the exit
#: blend brings back within 2 points of INSEE's France outside-EPCI share (``docs/MODEL.md`` §13).
BLEND_TAIL: tuple[float, float] = (0.04, 0.045)

#: Far pairs (``docs/MODEL.md`` §14, :func:`observatoire.model.far.far_pairs`): every origin of the
#: main component gets pairs to the communes with at least this many jobs (``P18_EMPLT``) beyond
#: :data:`DEFAULT_CUTOFF_KM`, up to :data:`FAR_KM`.
FAR_MIN_JOBS: float = 100_000

#: Largest distance of a far pair, km (all of metropolitan France).
FAR_KM: float = 1000.0

#: Deterrence ``(a, γ, d0)`` of the shipped blend's far pairs, ``a (d / d0)^-γ`` beyond ``d0`` km
#: (:func:`observatoire.model.far.add_far`): the grid point (a, γ, and the jobs threshold
#: :data:`FAR_MIN_JOBS`) whose flows best match INSEE's département-level commuting 2016 beyond
#: 100 km, origins in the five métropoles' départements left out (``tools/screen_far_blend.py``,
#: ``docs/MODEL.md`` §14).
BLEND_FAR: tuple[float, float, float] = (0.001, 2.0, 100.0)
