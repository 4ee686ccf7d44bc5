"""Territory queries: search, resolve, hierarchy, profiles. Every function takes a DuckDB
connection (or cursor) and returns plain Python objects or DataFrames."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from observatoire import store, text
from observatoire.errors import NotFoundError
from observatoire.vocabulary import LEVEL_FR, LEVEL_ORDER, TYPE_FR


def search(
    con: duckdb.DuckDBPyConnection, query: str, limit: int = 10, levels: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Territories whose code or name matches ``query`` (accent- and case-insensitive).

    Ranking: exact code, exact name, name starting with the query, every word of the
    query present; then larger population first.
    """
    q = text.normalize(query)
    raw = query.strip().upper()
    if not q:
        return pd.DataFrame(columns=["level", "code", "name", "type", "dep", "population"])
    words = q.split()
    like_all = " AND ".join(["(' ' || t.name_norm || ' ') LIKE ?"] * len(words))
    level_clause = ""
    if levels:
        level_clause = f" AND t.level IN ({', '.join('?' * len(levels))})"
    sql = f"""
        SELECT t.level, t.code, t.name, t.type, t.dep, v.value AS population,
            CASE WHEN upper(t.code) = ? THEN 0 WHEN t.name_norm = ? THEN 1
                 WHEN t.name_norm LIKE ? THEN 2 ELSE 3 END AS rank
        FROM territory t
        LEFT JOIN indicator_value v ON v.level = t.level AND v.code = t.code
             AND v.indicator = 'P18_POP'
        WHERE (({like_all}) OR upper(t.code) = ?){level_clause}
        ORDER BY rank, population DESC NULLS LAST,
            CASE t.level WHEN 'commune' THEN 0 WHEN 'epci' THEN 1 WHEN 'arrondissement' THEN 2
                 WHEN 'departement' THEN 3 WHEN 'region' THEN 4 ELSE 5 END
        LIMIT ?
    """
    params = [raw, q, q + "%"] + [f"% {w}%" for w in words] + [raw]
    if levels:
        params += list(levels)
    params += [limit]
    return con.execute(sql, params).df().drop(columns="rank")


def resolve(con: duckdb.DuckDBPyConnection, query: str, level: str | None = None) -> tuple[str, str]:
    """The ``(level, code)`` best matching a code or a name.

    ``level:code`` (e.g. ``departement:29``) is accepted. Raises NotFoundError with
    suggestions when nothing matches.
    """
    if ":" in query and query.split(":", 1)[0] in LEVEL_ORDER:
        level, query = query.split(":", 1)
    hits = search(con, query, limit=5, levels=(level,) if level else None)
    if hits.empty:
        raise NotFoundError(f"Aucun territoire ne correspond à « {query} ».")
    exact_code = hits[hits["code"].str.upper() == query.strip().upper()]
    if len(exact_code) > 1 and not level:
        # "29" is both a département and (as a région code?) — prefer the finest level.
        exact_code = exact_code.sort_values("level", key=lambda s: s.map(LEVEL_ORDER), ascending=False)
    row = (exact_code if not exact_code.empty else hits).iloc[0]
    return str(row["level"]), str(row["code"])


@dataclass
class IndicatorValue:
    id: str
    label: str
    value: float | None
    unit: str
    source: str
    year: str
    theme: str
    rule: str
    nature: str
    decimals: int
    source_short: str = ""
    coverage: float | None = None
    note: str = ""


@dataclass
class Profile:
    level: str
    code: str
    name: str
    type: str
    type_label: str
    population: float | None
    population_year: str
    area_km2: float | None
    density: float | None
    n_communes: int | None
    parents: list[dict] = field(default_factory=list)
    indicators: list[IndicatorValue] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for ind in d["indicators"]:
            if ind["value"] is not None and isinstance(ind["value"], float) and math.isnan(ind["value"]):
                ind["value"] = None
        return d

    def value(self, indicator: str) -> float | None:
        for ind in self.indicators:
            if ind.id == indicator:
                return ind.value
        return None


PROFILE_SQL = """
    SELECT i.id, i.label, v.value, i.unit, i.source, i.year, i.theme, i.rule, i.nature,
           i.decimals, v.coverage, i.source_short
    FROM indicator i
    LEFT JOIN indicator_value v ON v.indicator = i.id AND v.level = ? AND v.code = ?
    ORDER BY i.ord
"""


def _note(rule: str, level: str, value, coverage) -> str:
    if rule == "none" and level != "commune":
        return "non agrégeable (médiane) : voir les communes"
    if value is None:
        return "donnée absente ou soumise au secret statistique"
    if coverage is not None and coverage < 0.999:
        return f"couverture partielle : {coverage:.0%} des communes ou du poids renseignés"
    return ""


def _clean(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x


def indicators_for(con, level: str, code: str) -> list[IndicatorValue]:
    """Every indicator of the catalogue for one territory (value None when absent)."""
    rows = con.execute(PROFILE_SQL, [level, code]).fetchall()
    out = []
    for r in rows:
        value, coverage = _clean(r[2]), _clean(r[10])
        out.append(
            IndicatorValue(
                id=r[0],
                label=r[1],
                value=value,
                unit=r[3],
                source=r[4],
                year=r[5],
                theme=r[6],
                rule=r[7],
                nature=r[8],
                decimals=r[9],
                coverage=coverage,
                source_short=r[11],
                note=_note(r[7], level, value, coverage),
            )
        )
    return out


def profile(con: duckdb.DuckDBPyConnection, level: str, code: str) -> Profile:
    """The profile of a reference territory. Raises NotFoundError if unknown."""
    cur = store.cursor(con)
    row = cur.execute(
        "SELECT name, type, area_km2, n_communes, dep, reg, epci FROM territory WHERE level = ? AND code = ?",
        [level, code],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"Territoire inconnu : {LEVEL_FR.get(level, level)} {code}.")
    name, type_, area, n_com, dep, reg, epci = row
    inds = indicators_for(cur, level, code)
    return _assemble(level, code, name, type_, n_com, inds, parents(cur, level, dep, reg, epci))


def _assemble(level, code, name, type_, n_com, inds, parent_list) -> Profile:
    by_id = {i.id: i for i in inds}
    pop = by_id["P18_POP"].value if "P18_POP" in by_id else None
    area = by_id["AREA_KM2"].value if "AREA_KM2" in by_id else None
    dens = by_id["DENSITE"].value if "DENSITE" in by_id else None
    sources = sorted({i.source for i in inds if i.value is not None})
    return Profile(
        level=level,
        code=code,
        name=name,
        type=type_,
        type_label=TYPE_FR.get(type_, type_ or ""),
        population=pop,
        population_year=by_id["P18_POP"].year if "P18_POP" in by_id else "",
        area_km2=area,
        density=dens,
        n_communes=n_com,
        parents=parent_list,
        indicators=inds,
        sources=sources,
    )


def parents(con, level: str, dep: str | None, reg: str | None, epci: str | None) -> list[dict]:
    """The territories containing this one (EPCI, département, région, France)."""
    wanted = []
    if level == "commune" and epci:
        wanted.append(("epci", epci))
    if level in ("commune", "epci") and dep:
        wanted.append(("departement", dep))
    if level in ("commune", "epci", "departement") and reg:
        wanted.append(("region", reg))
    if level != "france":
        wanted.append(("france", "FR"))
    out = []
    for lvl, c in wanted:
        r = con.execute("SELECT name FROM territory WHERE level = ? AND code = ?", [lvl, c]).fetchone()
        if r:
            out.append({"level": lvl, "code": c, "name": r[0]})
    return out


def members(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """Member communes of a territory (code, name, population)."""
    col = {
        "epci": "m.epci",
        "arrondissement": "m.arr",
        "departement": "m.dep",
        "region": "m.reg",
        "commune": "m.commune",
    }
    if level == "france":
        where, params = "TRUE", []
    elif level in col:
        where, params = f"{col[level]} = ?", [code]
    else:
        raise NotFoundError(f"Niveau inconnu : {level}")
    return con.execute(
        f"""
        SELECT m.commune AS code, t.name, v.value AS population
        FROM membership m JOIN territory t ON t.level = 'commune' AND t.code = m.commune
        LEFT JOIN commune_value v ON v.commune = m.commune AND v.indicator = 'P18_POP'
        WHERE {where} ORDER BY population DESC NULLS LAST""",
        params,
    ).df()


def _within(within: tuple[str, str] | None) -> tuple[str, list]:
    """SQL restriction of territories ``t`` to a parent (département, région or EPCI)."""
    if not within:
        return "", []
    plevel, pcode = within
    column = {"departement": "t.dep", "region": "t.reg", "epci": "t.epci"}[plevel]
    return f" AND {column} = ?", [pcode]


def level_values(
    con: duckdb.DuckDBPyConnection, level: str, indicator: str, within: tuple[str, str] | None = None
) -> pd.DataFrame:
    """One indicator for every territory of a level (for maps and rankings).

    ``within=("departement", "29")`` restricts communes or EPCI to a parent.
    """
    where, extra = _within(within)
    params: list = [indicator, level, *extra]
    return con.execute(
        f"""
        SELECT t.code, t.name, t.type, t.dep, t.reg, v.value, v.coverage
        FROM territory t
        LEFT JOIN indicator_value v ON v.level = t.level AND v.code = t.code AND v.indicator = ?
        WHERE t.level = ?{where} ORDER BY t.code""",
        params,
    ).df()


def indicator_catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The indicator metadata table, in display order."""
    return con.execute("SELECT * FROM indicator ORDER BY ord").df()


def geometries(
    con: duckdb.DuckDBPyConnection, level: str, within: tuple[str, str] | None = None
) -> pd.DataFrame:
    """``code, wkb`` of the display geometry of a level (optionally inside a parent)."""
    where, extra = _within(within)
    params: list = [level, *extra]
    df = con.execute(
        f"""
        SELECT g.code, g.wkb FROM territory_geometry g
        JOIN territory t ON t.level = g.level AND t.code = g.code
        WHERE g.level = ?{where} ORDER BY g.code""",
        params,
    ).df()
    df["wkb"] = [bytes(b) for b in df["wkb"]]
    return df


def datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Provenance of every loaded dataset."""
    return con.execute("""SELECT id, producer, dataset, vintage, licence, kind, nature, coverage,
                          source_file, rows, sha256, loaded_at FROM dataset ORDER BY kind, id""").df()


def name_of(con: duckdb.DuckDBPyConnection, level: str, code: str) -> str:
    """Display name of a territory (the code itself when unknown)."""
    row = con.execute("SELECT name FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
    return row[0] if row else code


def point(con: duckdb.DuckDBPyConnection, level: str, code: str) -> tuple[float, float]:
    """A point inside the territory (lon, lat); the centre of France when unknown."""
    row = con.execute("SELECT lon, lat FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
    if row is None or row[0] is None:
        return 2.4, 46.6
    return float(row[0]), float(row[1])


def options(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """``code, name`` of every territory of a level, by name (for pickers)."""
    return con.execute("SELECT code, name FROM territory WHERE level = ? ORDER BY name", [level]).df()


def epci_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every EPCI: code, name, type, département, by name."""
    return con.execute("SELECT code, name, type, dep FROM territory WHERE level = 'epci' ORDER BY name").df()


def level_list(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Every territory of a level: code, name, by code."""
    return con.execute("SELECT code, name FROM territory WHERE level = ? ORDER BY code", [level]).df()


def epci_points(con: duckdb.DuckDBPyConnection, codes: list[str]) -> pd.DataFrame:
    """Name and centre (lon, lat) of the given EPCI."""
    return con.execute(
        "SELECT code, name, lon, lat FROM territory WHERE level = 'epci' AND code IN (SELECT unnest(?))",
        [list(codes)],
    ).df()
