"""Estimated commuting flows (being split into modules: see balancing.py)."""

from observatoire.model.balancing import *  # noqa: F403
from observatoire.model.balancing import MIN_DISTANCE_KM, __all__, _cpc_arrays  # noqa: F401
