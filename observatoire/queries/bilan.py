"""Bilan du grand territoire: for one territory or perimeter, one section per theme — the
theme's indicators aggregated with their rules, against département, région, France and peers
(:mod:`observatoire.queries.compare`), the flow kinds of the theme, and, for an empty theme,
the file that would fill it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from observatoire.queries import compare
from observatoire.vocabulary import (
    CATALOGUE_THEME_TO_BILAN,
    FLOW_KIND_THEME,
    INDICATOR_THEMES,
    THEME_SUGGESTED_FILE,
)


@dataclass
class Section:
    theme: str
    table: pd.DataFrame  # compare.compare rows (value, references, peers), possibly empty
    flow_kinds: list[str] = field(default_factory=list)
    suggestion: str = ""

    @property
    def empty(self) -> bool:
        return self.table.empty and not self.flow_kinds


def theme_of(theme: str) -> str:
    """The Bilan theme of a catalogue theme (the comparateur's « Emploi » is économie)."""
    if theme in INDICATOR_THEMES:
        return theme
    return CATALOGUE_THEME_TO_BILAN.get(theme, theme.lower())


def flow_kind_themes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The theme of each flow kind: the INSEE kinds' from the vocabulary, an imported kind's
    from its datasets (``params.theme``, given at import); a kind without theme is in none."""
    out = dict(FLOW_KIND_THEME)
    for kind, params in con.execute(
        "SELECT kind, params FROM flow_dataset WHERE params IS NOT NULL ORDER BY year, id"
    ).fetchall():
        try:
            theme = json.loads(params).get("theme") if isinstance(params, str) else None
        except (ValueError, AttributeError):
            theme = None
        if theme in INDICATOR_THEMES and kind not in FLOW_KIND_THEME:
            out[kind] = theme
    return out


def sections(con: duckdb.DuckDBPyConnection, level: str, code: str, peer_codes: list[str]) -> list[Section]:
    """One :class:`Section` per theme of the vocabulary, in its order."""
    cat = con.execute("SELECT id, theme, rule, nature FROM indicator ORDER BY ord").df()
    if level != "commune":
        cat = cat[cat["rule"] != "none"]
    cat = cat.assign(bilan=cat["theme"].map(theme_of))
    kind_themes = flow_kind_themes(con)
    out = []
    for theme in INDICATOR_THEMES:
        ids = cat.loc[cat["bilan"] == theme, "id"].tolist()
        table = compare.compare(con, level, code, ids, peer_codes) if ids else pd.DataFrame()
        if not table.empty:
            table = table[table["value"].notna()].reset_index(drop=True)
            table["rule"] = table["indicator"].map(dict(zip(cat["id"], cat["rule"])))
        kinds = [k for k, t in kind_themes.items() if t == theme]
        out.append(Section(theme, table, kinds, THEME_SUGGESTED_FILE.get(theme, "")))
    return out
