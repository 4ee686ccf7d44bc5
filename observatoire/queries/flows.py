"""Flow queries: for a territory (any set of communes) and a flow dataset — totals, balance,
top partners, intensity shares, distance profile, evolution, and the coverage of the answer.

Every function takes a connection (or cursor) and returns plain objects or DataFrames.
Observed and estimated datasets are never mixed: each answer comes from one dataset, and
says which one and whether it is observed or estimated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from observatoire import store
from observatoire.errors import NotFoundError
from observatoire.queries import cell_arrays, cells, snapshot
from observatoire.queries import coverage as qcov
from observatoire.vocabulary import NESTS_IN

UNIT = {
    "commune": "{m}.commune",
    "epci": "coalesce({m}.epci, {m}.commune)",
    "arrondissement": "{m}.arr",
    "departement": "{m}.dep",
    "region": "{m}.reg",
}
ABROAD = "ETRANGER"


def _unit(level: str, alias: str) -> str:
    if level not in UNIT:
        raise NotFoundError(f"Niveau d'agrégation inconnu : {level}")
    return UNIT[level].format(m=alias)


def communes_of(con: duckdb.DuckDBPyConnection, level: str, code: str) -> list[str]:
    """Member communes of a reference territory."""
    col = {
        "commune": "commune",
        "epci": "epci",
        "arrondissement": "arr",
        "departement": "dep",
        "region": "reg",
    }
    if level == "france":
        return [r[0] for r in con.execute("SELECT commune FROM membership").fetchall()]
    if level == "perimetre":
        rows = con.execute("SELECT commune FROM perimeter_commune WHERE perimeter_id = ?", [code]).fetchall()
        if not rows:
            raise NotFoundError(f"Périmètre inconnu : {code}")
        return [r[0] for r in rows]
    if level not in col:
        raise NotFoundError(f"Niveau inconnu : {level}")
    rows = con.execute(f"SELECT commune FROM membership WHERE {col[level]} = ?", [code]).fetchall()
    if not rows:
        raise NotFoundError(f"Territoire sans commune : {level} {code}")
    return [r[0] for r in rows]


def datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Flow datasets with kind, year, nature, coverage note."""
    return con.execute("""SELECT id, kind, year, period_years, nature, label, producer, licence,
        method, params, dimensions, coverage_note, rows, total, loaded_at,
        coalesce(kind_label, kind) AS kind_label, coalesce(unit, 'personnes') AS unit,
        coalesce(level, 'commune') AS level, min_value, period
        FROM flow_dataset ORDER BY kind, year, nature, id""").df()


def _with_territory(con, communes: list[str]) -> duckdb.DuckDBPyConnection:
    cur = store.cursor(con)
    cur.register("tcom", pd.DataFrame({"commune": pd.Series(communes, dtype="string")}))
    return cur


@dataclass
class Coverage:
    """What a dataset tells about a territory, side by side, in words."""

    nature: str  # observé / estimé
    outflow: str  # complet / partiel / absent
    inflow: str
    internal: str
    note: str  # the dataset's own coverage note
    sentence: str  # plain French for the page
    zone: str | None = None  # closed zone of the file containing the territory (sides within it)
    usable: dict | None = None  # side -> 'total' / 'zone' / None (see queries.coverage)
    balance: str | None = None  # 'total' / 'zone' / None
    listed: tuple = ()  # sides given as a thresholded list of observed flows (no total)
    listed_note: str = ""  # what that list leaves out, in words

    def to_dict(self) -> dict:
        return asdict(self)


@snapshot.once
def coverage(con, communes: list[str], dataset_id: str) -> Coverage:
    """Is each side of the answer complete, partial or absent for this territory?"""
    tc = qcov.territory(con, communes, dataset_id)
    nature, note = tc.nature, tc.note
    out_s, in_s, internal = tc.outflow, tc.inflow, tc.internal
    usable = {s: tc.usable(s) for s in qcov.SIDES}
    extra = {
        "zone": tc.zone,
        "usable": usable,
        "balance": tc.balance(),
        "listed": tc.listed,
        "listed_note": tc.listed_note(),
    }
    words = {"complet": "complets", "partiel": "partiels", "absent": "non couverts"}
    if nature == "estimé":
        said = "estimé" in note.lower()[:40]  # the dataset's note already says it: once is enough
        lead = "" if said else "Flux ESTIMÉS par un modèle, non observés. "
        sentence = (
            f"{lead}{note[:1].upper()}{note[1:]} : ordres de grandeur à confronter aux données observées."
        )
        return Coverage(nature, out_s, in_s, internal, note, sentence, **extra)
    if tc.zone:
        sides = (
            f"sortants et entrants connus seulement avec le reste de la zone du fichier "
            f"({tc.zone}), internes {words[internal]}"
        )
    elif tc.listed:  # the note of a thresholded file is said by listed_note, in full
        words["partiel"] = tc.listed_words()
        sides = f"sortants en {words[out_s]}, entrants en {words[in_s]}, internes {words[internal]}"
        return Coverage(
            nature, out_s, in_s, internal, note, f"Flux observés : {sides}. {tc.listed_note()}", **extra
        )
    else:
        sides = f"sortants {words[out_s]}, entrants {words[in_s]}, internes {words[internal]}"
    sentence = f"Flux observés : {sides}. {note[:1].upper()}{note[1:]}."
    return Coverage(nature, out_s, in_s, internal, note, sentence, **extra)


@snapshot.once
def pick_dataset(
    con, communes: list[str], kind: str, year: int | None = None, nature: str | None = None
) -> str | None:
    """The dataset that best covers a territory for a kind (and year). Observed data always
    win when they say something about the territory; estimates are the fallback (or asked
    for explicitly with ``nature='estimé'``)."""
    rank = {"complet": 2, "partiel": 1, "absent": 0}
    natures = [nature] if nature else ["observé", "estimé"]
    for nat in natures:
        cands = con.execute(
            """SELECT id FROM flow_dataset WHERE kind = ? AND nature = ?
            AND (? IS NULL OR year = ?) ORDER BY year DESC, rows DESC""",
            [kind, nat, year, year],
        ).fetchall()
        best, best_score = None, -1
        for (ds_id,) in cands:
            cov = coverage(con, communes, ds_id)
            if cov.outflow == "absent" and cov.internal == "absent" and cov.inflow != "complet":
                continue  # only a few flows from elsewhere: not an answer about this territory
            # A side listed above a threshold shows its flows: better than a partial one.
            score = sum(
                rank[st] + (0.5 if side in cov.listed else 0)
                for side, st in (("outflow", cov.outflow), ("inflow", cov.inflow), ("internal", cov.internal))
            )
            if score > best_score:
                best, best_score = ds_id, score
        if best is not None:
            return best
    return None


FLOW_SQL = """
    SELECT f.origin, f.destination, f.value, f.o_in, f.d_in,
        CASE WHEN mo.commune IS NULL THEN '{abroad}' ELSE {uo} END AS o_unit,
        CASE WHEN md.commune IS NULL THEN '{abroad}' ELSE {ud} END AS d_unit
    FROM (
        SELECT origin, destination, value, TRUE AS o_in,
               destination IN (SELECT commune FROM tcom) AS d_in
        FROM flow WHERE dataset_id = $ds AND origin IN (SELECT commune FROM tcom)
        UNION ALL
        SELECT origin, destination, value, FALSE, TRUE
        FROM flow WHERE dataset_id = $ds AND destination IN (SELECT commune FROM tcom)
              AND origin NOT IN (SELECT commune FROM tcom)
    ) f
    LEFT JOIN {units} mo ON mo.commune = f.origin
    LEFT JOIN {units} md ON md.commune = f.destination
"""
# A file keyed at a coarser level: its units stand for the communes (never split down).
UNITS_SQL = """(SELECT code AS commune, code AS epci, code AS arr, dep, reg FROM territory
    WHERE level = '{level}')"""
COL = {"epci": "epci", "arrondissement": "arr", "departement": "dep"}


def dataset_level(cur, dataset_id: str) -> str:
    """The level a dataset's codes are keyed at (commune for the INSEE files)."""
    info = qcov.datasets(cur).get(dataset_id)
    return info.level if info else "commune"


def shown_level(dataset_level_: str, level: str) -> str:
    """The level flows are grouped at: the one asked, or the file's own when finer."""
    return level if level in NESTS_IN.get(dataset_level_, (level,)) else dataset_level_


def _territory_flows(cur, dataset_id: str, level: str, fast: list[str] | None = None) -> str:
    """The flows of the territory ``tcom`` (columns of :data:`FLOW_SQL`). With ``fast`` (the
    territory's communes), from the pre-aggregate by cell when the territory is a union of whole
    cells and ``level`` an EPCI, département or région (then without ``origin``, ``destination``)."""
    dl = dataset_level(cur, dataset_id)
    if dl == "commune" and fast is not None and level in cells.LEVEL_COL:
        got = cells.usable(cur, dataset_id, pd.DataFrame({"commune": list(dict.fromkeys(fast)), "unit": "T"}))
        if got is not None:
            cur.register("_cells", got)
            return cells.territory_flows_sql(level, ABROAD)
    if dl == "commune":
        return FLOW_SQL.format(
            abroad=ABROAD, uo=_unit(level, "mo"), ud=_unit(level, "md"), units="membership"
        )
    # The territory as units of the file's level (coverage refuses a part of a unit).
    units = cur.execute(
        f"SELECT DISTINCT {COL[dl]} FROM membership WHERE commune IN (SELECT commune FROM tcom)"  # noqa: S608
    ).fetchall()
    cur.unregister("tcom")
    cur.register("tcom", pd.DataFrame({"commune": pd.Series([u[0] for u in units], dtype="string")}))
    level = shown_level(dl, level)
    return FLOW_SQL.format(
        abroad=ABROAD, uo=_unit(level, "mo"), ud=_unit(level, "md"), units=UNITS_SQL.format(level=dl)
    )


@dataclass
class Summary:
    """A territory's flows in one dataset. A side the dataset does not cover is ``None`` (never
    a partial sum shown as a total); ``*_scope`` says whether a figure is over all France
    (``'total'``) or within the file's closed zone (``'zone'``, e.g. « avec le reste de
    l'Isère »); ``reasons`` says in French why a figure is missing; ``combination`` gives, for
    each side, the most recent dataset that covers it (see :func:`queries.coverage.best_sides`)."""

    dataset_id: str
    kind: str
    year: int
    nature: str
    outflow: float | None
    inflow: float | None
    internal: float | None
    net: float | None  # entrants − sortants, only over the same, covered partners
    abroad_out: float | None
    share_out: float | None  # residents leaving / all residents in the flows
    share_in: float | None  # places (jobs, seats) held by people from outside
    coverage: dict
    outflow_scope: str | None = None
    inflow_scope: str | None = None
    net_scope: str | None = None
    zone: str | None = None
    reasons: dict = field(default_factory=dict)
    combination: dict | None = None
    listed: tuple = ()  # sides shown as a thresholded list (partners only, no total)

    def to_dict(self) -> dict:
        return asdict(self)


@snapshot.once
def summary(con, communes: list[str], dataset_id: str, combine: bool = True) -> Summary:
    """Totals for a territory: out, in, internal, net balance, intensity shares — each only
    where the dataset covers every term of it."""
    info = qcov.datasets(con).get(dataset_id)
    if info is None:
        raise NotFoundError(f"Jeu de flux inconnu : {dataset_id}")
    meta = (info.kind, info.year, info.nature)
    g = _grouped(con, dataset_id, "epci", communes)
    o_in, d_in, v = g["o_in"].to_numpy(bool), g["d_in"].to_numpy(bool), g["value"].to_numpy(float)
    out, inn, internal = (float(v[m].sum()) for m in (o_in & ~d_in, d_in & ~o_in, o_in & d_in))
    abroad = float(v[o_in & (g["d_unit"].to_numpy(object) == ABROAD)].sum())
    cov = coverage(con, communes, dataset_id)
    tc = qcov.territory(con, communes, dataset_id)
    o_use, i_use, n_use = tc.usable("outflow"), tc.usable("inflow"), tc.balance()
    reasons = {}
    for side in qcov.SIDES:
        if tc.usable(side) is None:
            reasons[side] = tc.reason(side)
    if reasons:  # the uncovered sides together, the file's note said once
        reasons["sides"] = tc.sides_reason([k for k in qcov.SIDES if k in reasons])
    if n_use is None:
        reasons["net"] = tc.reason("balance")
    # Shares only where both terms are completely covered (else they would be biased).
    share_out = out / (out + internal) if tc.share_out() and (out + internal) > 0 else None
    share_in = inn / (inn + internal) if tc.share_in() and (inn + internal) > 0 else None
    if share_out is None:
        reasons["share_out"] = "Part des résidents qui sortent non calculable à partir de ce fichier."
    if share_in is None:
        reasons["share_in"] = (
            "Part des places occupées par des non-résidents non calculable à partir de ce fichier."
        )
    combo = None
    if combine and (reasons.get("outflow") or reasons.get("inflow") or reasons.get("internal")):
        combo = qcov.best_sides(con, communes, meta[0]).to_dict()
    return Summary(
        dataset_id,
        meta[0],
        meta[1],
        meta[2],
        out if o_use else None,
        inn if i_use else None,
        internal if tc.usable("internal") else None,
        inn - out if n_use else None,
        abroad if o_use == "total" else None,
        share_out,
        share_in,
        cov.to_dict(),
        outflow_scope=o_use,
        inflow_scope=i_use,
        net_scope=n_use,
        zone=tc.zone,
        reasons=reasons,
        combination=combo,
        listed=tc.listed,
    )


@snapshot.once
def unplaced(con, communes: list[str], dataset_id: str) -> float | None:
    """Workers of the territory an estimate sends to its outside zone (no commune of work, so in
    no flow of the dataset); ``None`` when the dataset ships no such figure (observed files)."""
    cur = _with_territory(con, communes)
    older = "SELECT count(*) = 0 FROM information_schema.tables WHERE table_name = 'flow_unplaced'"
    if cur.execute(older).fetchone()[0]:  # a store from before migration 9, read as it is
        return None
    has, total = cur.execute(
        """SELECT count(*) > 0,
                  sum(u.value) FILTER (WHERE u.commune IN (SELECT commune FROM tcom))
           FROM flow_unplaced u WHERE u.dataset_id = ?""",
        [dataset_id],
    ).fetchone()
    return (float(total or 0.0)) if has else None


@snapshot.once
def side_values(con, communes: list[str], combination: dict) -> dict:
    """The value of each side from the dataset the combination chose for it:
    ``{side: {"value", "dataset_id", "year", "nature", "text"}}`` (``None`` when no dataset)."""
    out = {}
    cache: dict[str, Summary] = {}
    for side, src in (combination or {}).get("sides", {}).items():
        if src is None:
            out[side] = None
            continue
        ds = src["dataset_id"]
        if ds not in cache:
            cache[ds] = summary(con, communes, ds, combine=False)
        out[side] = {**src, "value": getattr(cache[ds], side)}
    return out


def usable_directions(con, communes: list[str], dataset_id: str) -> dict[str, str]:
    """The directions (sortant / entrant / interne) this dataset covers wholly for the
    territory, each with the partners it is over (« toute la France », « zone : Isère »)."""
    tc = qcov.territory(con, communes, dataset_id)
    out = {}
    for side, direction in (("outflow", "sortant"), ("inflow", "entrant"), ("internal", "interne")):
        u = tc.usable(side)
        if u == "total":
            out[direction] = "toute la France" if side != "internal" else "territoire"
        elif u == "zone":
            out[direction] = f"zone du fichier : {tc.zone}"
    return out


def shown_directions(con, communes: list[str], dataset_id: str) -> tuple[dict[str, str], set[str]]:
    """:func:`usable_directions` plus the directions known as a thresholded list (« flux
    listés (≥ 200 actifs) »: each listed flow observed, the smaller ones absent), and the set
    of those listed directions."""
    out = usable_directions(con, communes, dataset_id)
    tc = qcov.territory(con, communes, dataset_id)
    listed = set()
    for side, direction in (("outflow", "sortant"), ("inflow", "entrant")):
        if tc.is_listed(side) and direction not in out:
            out[direction] = tc.listed_words()
            listed.add(direction)
    return out, listed


def _grouped(con, dataset_id: str, level: str, communes: list[str]) -> pd.DataFrame:
    """The territory's flows summed by ``o_in, d_in, o_unit, d_unit`` (units of ``level``):
    from the pre-aggregate in memory when the territory is a union of whole cells, else from
    the commune flows."""
    if dataset_level(con, dataset_id) == "commune" and level in cells.LEVEL_COL:
        units = pd.DataFrame({"commune": list(dict.fromkeys(communes)), "unit": "T"})
        got = cells.usable(con, dataset_id, units)
        if got is not None:
            return cell_arrays.grouped(con, dataset_id, level, got, ABROAD)
    cur = _with_territory(con, communes)
    return cur.execute(
        f"""SELECT o_in, d_in, o_unit, d_unit, sum(value) AS value
        FROM ({_territory_flows(cur, dataset_id, level)}) GROUP BY ALL""",
        {"ds": dataset_id},
    ).df()


def _names(cur, level: str) -> dict:
    return dict(cur.execute("SELECT code, name FROM territory WHERE level = ?", [level]).fetchall())


@snapshot.once
def partners(
    con, communes: list[str], dataset_id: str, level: str = "epci", n: int = 10, min_value: float = 0.0
) -> pd.DataFrame:
    """Top ``n`` partners both ways: ``direction`` (sortant/entrant), partner code and name,
    value and share of the direction's total. Partners are units of ``level`` (flows inside
    the territory excluded); places abroad are grouped as ``ETRANGER``. A direction the
    dataset does not cover wholly is left out (its ranks and shares would mislead); shares are
    of the whole direction (before ``min_value``); ``univers`` says who the partners can be.
    A direction of a thresholded file (:func:`shown_directions`) gives its listed flows at the
    file's own level (a sum of listed flows by larger unit would be a partial total), ranked
    among the listed ones, without share."""
    dl = dataset_level(con, dataset_id)
    allowed, listed = shown_directions(con, communes, dataset_id)
    level = dl if listed else shown_level(dl, level)
    scope = {d: allowed.get(d, "") for d in ("sortant", "entrant")}
    g = _grouped(con, dataset_id, level, communes)
    names = snapshot.of(con).memo(("names", level), lambda: _names(con, level))
    rows = []
    o_in, d_in = g["o_in"].to_numpy(bool), g["d_in"].to_numpy(bool)
    values = g["value"].to_numpy(float)
    for direction, mask, col in (("sortant", o_in & ~d_in, "d_unit"), ("entrant", d_in & ~o_in, "o_unit")):
        if direction not in allowed:
            continue
        sums: dict = {}
        for code, v in zip(g[col].to_numpy(object)[mask].tolist(), values[mask].tolist(), strict=True):
            sums[code] = sums.get(code, 0.0) + v
        total = sum(sums.values())
        ranked = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
        for rang, (code, v) in enumerate(ranked[:n], start=1):
            if v >= min_value:
                name = names.get(code) or ("Étranger" if code == ABROAD else code)
                rows.append((direction, rang, code, name, v, v / total if total else float("nan")))
    df = pd.DataFrame(rows, columns=["direction", "rang", "code", "name", "value", "share"])
    df = df.astype({"rang": "int64", "value": float, "share": float})
    df["univers"] = df["direction"].map(lambda d: scope[d])
    df.loc[df["direction"].isin(listed), "share"] = float("nan")  # of a list, not of the side
    return df


@snapshot.once
def matrix(con, dataset_id: str, level: str = "epci") -> pd.DataFrame:
    """All flows of a dataset aggregated unit × unit at ``level`` (abroad as ETRANGER); from
    the pre-aggregate by cell for an EPCI, département or région."""
    if level in cells.LEVEL_COL and cells.fresh(con, dataset_id):
        return cells.matrix(con, dataset_id, level, ABROAD)
    return con.execute(
        f"""
        SELECT CASE WHEN mo.commune IS NULL THEN '{ABROAD}' ELSE {_unit(level, "mo")} END AS origin,
               CASE WHEN md.commune IS NULL THEN '{ABROAD}' ELSE {_unit(level, "md")} END AS destination,
               sum(f.value) AS value
        FROM flow f
        LEFT JOIN membership mo ON mo.commune = f.origin
        LEFT JOIN membership md ON md.commune = f.destination
        WHERE f.dataset_id = ? GROUP BY ALL""",
        [dataset_id],
    ).df()


@snapshot.once
def flow_lines(
    con, communes: list[str], dataset_id: str, level: str = "commune", n: int = 30, min_value: float = 0.0
) -> pd.DataFrame:
    """Top ``n`` flows touching the territory between units of ``level`` (internal links
    between different units included), with the points of both ends, for a flow map. Only
    the directions the dataset covers wholly or lists above its threshold (at the file's own
    level, see :func:`shown_directions`)."""
    cur = _with_territory(con, communes)
    dl = dataset_level(cur, dataset_id)
    shown, listed = shown_directions(con, communes, dataset_id)
    level = dl if listed else shown_level(dl, level)
    dirs = list(shown) or [""]
    return cur.execute(
        f"""
        WITH t AS ({_territory_flows(cur, dataset_id, level, fast=communes)}),
        g AS (SELECT o_unit, d_unit, sum(value) AS value,
                     CASE WHEN bool_and(o_in) AND bool_and(d_in) THEN 'interne'
                          WHEN bool_and(o_in) THEN 'sortant' ELSE 'entrant' END AS direction
              FROM t WHERE o_unit <> d_unit AND o_unit <> '{ABROAD}' AND d_unit <> '{ABROAD}'
              GROUP BY ALL HAVING sum(value) >= $min AND direction IN (SELECT unnest($dirs)))
        SELECT g.*, a.name AS o_name, b.name AS d_name, a.lon AS o_lon, a.lat AS o_lat,
               b.lon AS d_lon, b.lat AS d_lat
        FROM g JOIN territory a ON a.level = $level AND a.code = g.o_unit
               JOIN territory b ON b.level = $level AND b.code = g.d_unit
        ORDER BY value DESC LIMIT $n""",
        {"ds": dataset_id, "min": min_value, "level": level, "n": n, "dirs": dirs},
    ).df()
