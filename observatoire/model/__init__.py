"""Estimated home-work commuting flows where nothing is observed.

Pure functions (no I/O, nothing computed at import) for:

* the Common Part of Commuters (:func:`cpc`), the usual goodness-of-fit score of
  an estimated origin-destination matrix against an observed one;
* great-circle distances between unit centroids (:func:`haversine_km`) and an
  intra-unit distance for the diagonal (:func:`intra_unit_distance_km`);
* a **sparse** pair set: every ordered pair of units whose centroids are at most
  ``cutoff_km`` apart, plus each unit with itself (:func:`build_pairs`);
* a doubly-constrained gravity model ``T_ij = A_i O_i B_j D_j f(d_ij)``
  solved by Furness / IPF iterations on the pair list (:func:`furness`,
  :func:`gravity_flows`) and the calibration of its deterrence parameter on an
  observed closed system (:func:`calibrate_gravity`); for open systems (all of
  France from the comparateur, with cross-border workers) an optional *outside
  zone* absorbs local imbalances (:func:`furness`);
* the radiation model of Simini et al. (2012) as a parameter-free baseline
  (:func:`radiation_flows`);
* aggregation of unit-level flows to any grouping such as EPCI
  (:func:`aggregate_flows`);
* a convenience entry point for the application (:func:`estimate_flows`).

Everything works on the sparse pair list (never on an ``n x n`` dense matrix), so
that all ~34 900 communes of France (metropolitan + DROM) fit in a few GB:
with the default 100 km cutoff there are 6.8 x 10^7 ordered pairs instead of
1.2 x 10^9 cells.

Conventions
-----------
Units are indexed ``0 .. n-1``. A pair set is sorted by origin, then by distance
(ties broken by destination index), which :func:`radiation_flows` relies on.
Flows are floats (estimated counts of employed people, residence -> workplace).

Estimated flows are model output: the application must always label them as
estimates and never mix them silently with observed flows (``shared/docs/DATA.md``
section 4).

References
----------
Lenormand, M., Huet, S., Gargiulo, F., Deffuant, G. (2012). A universal model of
commuting networks. PLoS ONE 7(10): e45985.
Lenormand, M., Bassolas, A., Ramasco, J. J. (2016). Systematic comparison of trip
distribution laws and models. Journal of Transport Geography 51, 158-169.
Simini, F., Gonzalez, M. C., Maritan, A., Barabasi, A.-L. (2012). A universal
model for mobility and migration patterns. Nature 484, 96-100.

Modules
-------
``constants`` (calibrated parameters), ``metrics`` (CPC, mean distance, observed flows on
a pair set), ``pairs`` (distances, sparse pair set), ``margins`` (employed residents,
components, balancing of the margins), ``balancing`` (Furness / IPF), ``gravity``,
``radiation``, ``calibration``, ``frames`` (tables, aggregation), ``estimate`` (the
application's entry point). No I/O, no Streamlit, nothing computed at import; SciPy is
imported only by the functions that need it.
"""

from observatoire.model.balancing import IPFResult, furness
from observatoire.model.blend import blend_flows, gated_lambda, group_exit_share
from observatoire.model.calibration import DEFAULT_BOUNDS, CalibrationResult, calibrate_gravity
from observatoire.model.checks import (
    VOLUME_BOUNDS,
    error_by_volume,
    group_flows,
    listed_pairs_check,
    quality_class,
    share_outside,
)
from observatoire.model.constants import (
    BLEND_FAR,
    BLEND_LAMBDA,
    BLEND_TAIL,
    DEFAULT_BETA,
    DEFAULT_CUTOFF_KM,
    DEFAULT_EXIT_COEF,
    DEFAULT_FORM,
    DEFAULT_INTER_BETA,
    DEFAULT_INTRA_FACTOR,
    DEFAULT_MODEL,
    DEFAULT_OUTSIDE_KM,
    DEFAULT_STAY_COEF,
    DEFAULT_TAIL,
    DEFAULT_TAIL_GATE_WORKERS,
    DEFAULT_TOL,
    EARTH_RADIUS_KM,
    FAR_KM,
    FAR_MIN_JOBS,
    MIN_DISTANCE_KM,
    PREVIOUS_STAY_COEF,
    Form,
)
from observatoire.model.epci_stage import EXIT_FEATURES, exit_features, three_stage_flows
from observatoire.model.estimate import estimate_flows, unit_groups
from observatoire.model.far import add_far, far_pairs, far_term
from observatoire.model.frames import aggregate_flows, flows_frame
from observatoire.model.gravity import deterrence, gravity_flows
from observatoire.model.margins import balance_destinations, connected_components, employed_residents
from observatoire.model.metrics import align_to_pairs, cpc, cpc_aligned, mean_distance
from observatoire.model.pairs import PairSet, build_pairs, haversine_km, intra_unit_distance_km
from observatoire.model.radiation import radiation_flows
from observatoire.model.stayers import (
    STAY_FEATURES,
    add_tail,
    fit_stay_logit,
    stay_features,
    stay_share,
    tail_gate,
    tail_term,
    two_stage_flows,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "DEFAULT_CUTOFF_KM",
    "DEFAULT_INTRA_FACTOR",
    "DEFAULT_FORM",
    "DEFAULT_BETA",
    "DEFAULT_MODEL",
    "DEFAULT_STAY_COEF",
    "PREVIOUS_STAY_COEF",
    "DEFAULT_INTER_BETA",
    "DEFAULT_EXIT_COEF",
    "DEFAULT_TAIL",
    "DEFAULT_TAIL_GATE_WORKERS",
    "BLEND_LAMBDA",
    "BLEND_TAIL",
    "DEFAULT_OUTSIDE_KM",
    "DEFAULT_TOL",
    "DEFAULT_BOUNDS",
    "MIN_DISTANCE_KM",
    "Form",
    "PairSet",
    "IPFResult",
    "CalibrationResult",
    "cpc",
    "cpc_aligned",
    "haversine_km",
    "intra_unit_distance_km",
    "build_pairs",
    "deterrence",
    "connected_components",
    "balance_destinations",
    "furness",
    "gravity_flows",
    "mean_distance",
    "align_to_pairs",
    "calibrate_gravity",
    "radiation_flows",
    "aggregate_flows",
    "flows_frame",
    "employed_residents",
    "estimate_flows",
    "unit_groups",
    "STAY_FEATURES",
    "stay_features",
    "fit_stay_logit",
    "stay_share",
    "two_stage_flows",
    "add_tail",
    "tail_term",
    "tail_gate",
    "EXIT_FEATURES",
    "exit_features",
    "three_stage_flows",
    "blend_flows",
    "gated_lambda",
    "group_exit_share",
    "VOLUME_BOUNDS",
    "share_outside",
    "group_flows",
    "far_pairs",
    "FAR_KM",
    "BLEND_FAR",
    "FAR_MIN_JOBS",
    "far_term",
    "add_far",
    "listed_pairs_check",
    "error_by_volume",
    "quality_class",
]
