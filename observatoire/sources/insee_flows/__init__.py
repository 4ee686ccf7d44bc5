"""Reader for INSEE « base flux » files (being split into modules: see parsing.py)."""

from observatoire.sources.insee_flows.parsing import *  # noqa: F403
from observatoire.sources.insee_flows.parsing import __all__  # noqa: F401
