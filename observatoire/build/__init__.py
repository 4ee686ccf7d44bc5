"""Building the shipped data: ``prepare`` (raw sources -> ``data/``) and the store build
(``data/`` -> DuckDB, :func:`run`)."""

from observatoire.build.store_build import run

__all__ = ["run"]
