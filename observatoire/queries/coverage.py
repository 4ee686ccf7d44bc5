"""What a flow dataset covers, and therefore which figures it can give.

A flow file observes the flows from the communes of its *origin scope* to those of its
*destination scope* (``flow_scope``). A flow ``(o, d)`` is covered when ``o`` is in the origin
scope and ``d`` in the destination scope. For a territory ``T`` (a set of communes):

* outflows (T → elsewhere) are **complete** when T is wholly in the origin scope and the
  destination scope is all France; inflows likewise the other way round; internal flows
  when T is wholly in both scopes;
* a file whose two scopes are the same zone (the Isère, a département) is **closed**: for a
  territory inside the zone, each side is complete *within the zone* — a figure that can be
  given as long as it says « avec le reste de l'Isère »;
* anything else is **partial**: a total, a balance, a share, a rank or an evolution computed
  from it would mislead, so none is computed.

The answer for a missing side is another dataset: :func:`best_sides` takes, side by side, the
most recent dataset that covers it (observed first, estimated otherwise), each labelled with
its own year and nature.

Pure functions on a DuckDB connection (or cursor); parameterised SQL only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd

from observatoire import store, text
from observatoire.errors import NotFoundError
from observatoire.queries import snapshot
from observatoire.queries.scopes import counts

SIDES = ("outflow", "inflow", "internal")
SIDE_FR = {"outflow": "sortants", "inflow": "entrants", "internal": "internes"}
NATURE_FR = {"observé": "observés", "estimé": "estimés"}
LEVEL_COL = {
    "commune": "commune",
    "epci": "epci",
    "arrondissement": "arr",
    "departement": "dep",
    "region": "reg",
}
LEVEL_NAME = {"epci": "EPCI", "arrondissement": "arrondissement", "departement": "département"}
LEVEL_WORDS = {"epci": "d'EPCI", "arrondissement": "d'arrondissements", "departement": "de départements"}

_COVERED_SQL = """
    SELECT t.i, EXISTS (
        SELECT 1 FROM flow_scope s WHERE s.dataset_id = $ds AND s.side = $side AND (
            s.scope_level = 'all'
            OR (s.scope_level = 'commune' AND s.scope_code = m.commune)
            OR (s.scope_level = 'epci' AND s.scope_code = m.epci)
            OR (s.scope_level = 'departement' AND s.scope_code = m.dep)
            OR (s.scope_level = 'region' AND s.scope_code = m.reg))) AS covered
    FROM _cov_com t LEFT JOIN membership m ON m.commune = t.commune
    ORDER BY t.i
"""


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    kind: str
    year: int
    nature: str
    label: str
    producer: str
    note: str
    origin_all: bool
    destination_all: bool
    zone: tuple[tuple[str, str], ...] | None  # the closed zone (same scope both sides), if any
    level: str = "commune"  # level the file's codes are keyed at
    unit: str = "personnes"
    min_value: float | None = None  # no flow below it in the file: no side is complete
    internal_known: bool = True  # flows inside one unit are in the file

    @property
    def nature_fr(self) -> str:
        return NATURE_FR.get(self.nature, self.nature)

    def source(self) -> str:
        return f"{self.producer} — {self.label}"

    def tag(self) -> str:
        """« 2022, observé » — what every figure from this dataset is labelled with."""
        return f"{self.year}, {self.nature}"


def datasets(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> dict[str, DatasetInfo]:
    """Metadata and scopes of every flow dataset (of ``kind``), read once per store state."""
    every = snapshot.of(con).memo("datasets", lambda: _datasets(con))
    return every if kind is None else {k: v for k, v in every.items() if v.kind == kind}


def _datasets(con: duckdb.DuckDBPyConnection) -> dict[str, DatasetInfo]:
    metas = con.execute(
        """SELECT id, kind, year, nature, label, producer, coverage_note,
        coalesce(level, 'commune'), coalesce(unit, 'personnes'), min_value,
        coalesce(internal_known, TRUE) FROM flow_dataset"""
    ).fetchall()
    rows = con.execute(
        "SELECT dataset_id, side, scope_level, scope_code FROM flow_scope ORDER BY ALL"
    ).fetchall()
    out = {}
    for ds_id, *meta in metas:
        meta, extra = meta[:6], meta[6:]
        origin = tuple((lv, c) for i, s, lv, c in rows if i == ds_id and s == "origin")
        dest = tuple((lv, c) for i, s, lv, c in rows if i == ds_id and s == "destination")
        o_all = any(lv == "all" for lv, _ in origin)
        d_all = any(lv == "all" for lv, _ in dest)
        zone = origin if origin and origin == dest and not o_all else None
        out[ds_id] = DatasetInfo(
            ds_id,
            *meta,
            origin_all=o_all,
            destination_all=d_all,
            zone=zone,
            level=extra[0],
            unit=extra[1],
            min_value=extra[2],
            internal_known=bool(extra[3]),
        )
    return out


def dataset(con: duckdb.DuckDBPyConnection, dataset_id: str) -> DatasetInfo:
    """The dataset's metadata and scopes."""
    info = datasets(con).get(dataset_id)
    if info is None:
        raise NotFoundError(f"Jeu de flux inconnu : {dataset_id}")
    return info


def covered(con: duckdb.DuckDBPyConnection, dataset_id: str, side: str, communes) -> np.ndarray:
    """For each commune (in order), is it in the dataset's ``side`` scope (origin/destination)?"""
    communes = list(communes)
    if not communes:
        return np.zeros(0, dtype=bool)
    cur = store.cursor(con)
    cur.register(
        "_cov_com",
        pd.DataFrame({"i": np.arange(len(communes)), "commune": pd.Series(communes, dtype="string")}),
    )
    got = cur.execute(_COVERED_SQL, {"ds": dataset_id, "side": side}).fetchall()
    return np.array([bool(c) for _, c in got], dtype=bool)


def status(mask: np.ndarray) -> str:
    """complet / partiel / absent for a boolean coverage mask."""
    if mask.size and mask.all():
        return "complet"
    return "partiel" if mask.any() else "absent"


def zone_name(con: duckdb.DuckDBPyConnection, zone) -> str:
    """« Isère », « Île-de-France », « Isère, Savoie »."""
    names = []
    for level, code in zone or ():
        row = con.execute("SELECT name FROM territory WHERE level = ? AND code = ?", [level, code]).fetchone()
        names.append(row[0] if row else code)
    return ", ".join(names)


@dataclass
class TerritoryCoverage:
    """Side by side, what one dataset says about one territory, and what may be computed."""

    dataset_id: str
    kind: str
    year: int
    nature: str
    outflow: str  # complet / partiel / absent (over all France)
    inflow: str
    internal: str
    zone: str | None  # closed zone containing the territory: sides complete within it
    note: str
    # Sides known as a thresholded list (every flow of at least ``threshold`` is in the file,
    # each observed and real; the smaller ones are not): the listed flows may be shown as
    # such, but no total, balance, share or rank over the whole side (see :meth:`listed_note`).
    listed: tuple[str, ...] = ()
    threshold: float | None = None
    unit: str = "personnes"
    level: str = "commune"
    internal_known: bool = True

    def is_listed(self, side: str) -> bool:
        """Is this side given only as a list of the flows above the file's threshold?"""
        return side in self.listed

    def listed_words(self) -> str:
        """« flux listés (≥ 200 actifs) »."""
        return f"flux listés (≥ {text.number(self.threshold)} {self.unit})" if self.threshold else ""

    def listed_note(self) -> str:
        """What the list of a thresholded file leaves out, in words."""
        if not self.listed:
            return ""
        thr = f"{text.number(self.threshold)} {self.unit}"
        lv = LEVEL_NAME.get(self.level, self.level)
        missing = f"les flux de moins de {thr}"
        if not self.internal_known:
            missing += f" et les flux internes à un {lv}"
        return (
            f"Flux listés (≥ {thr}) : chaque flux affiché est observé, mais le fichier ne liste que "
            f"les flux d'au moins {thr} ; {missing} ne sont pas dans le fichier. Totaux, solde, parts "
            "et rangs sur l'ensemble des flux : non calculables."
        )

    def usable(self, side: str) -> str | None:
        """``'total'`` when the side is complete, ``'zone'`` when it is complete within the
        dataset's closed zone (to be labelled so), ``None`` when it may not be shown."""
        st = getattr(self, side)
        if st == "complet":
            return "total"
        if side != "internal" and st == "partiel" and self.zone:
            return "zone"
        return None

    def balance(self) -> str | None:
        """A balance (in − out) needs both sides over the same partners."""
        o, i = self.usable("outflow"), self.usable("inflow")
        return o if o is not None and o == i else None

    def share_out(self) -> bool:
        """Share of residents leaving = out / (out + internal): both terms complete."""
        return self.outflow == "complet" and self.internal == "complet"

    def share_in(self) -> bool:
        return self.inflow == "complet" and self.internal == "complet"

    def side_label(self, side: str) -> str:
        """« sortants 2022 observés »."""
        return f"{SIDE_FR[side]} {self.year} {NATURE_FR.get(self.nature, self.nature)}"

    def partners_label(self, side: str) -> str:
        """Who the partners of a usable side are, in words."""
        u = self.usable(side)
        if u == "zone":
            return f"avec le reste de la zone couverte par le fichier ({self.zone})"
        return "avec toute la France" if u == "total" else ""

    def reason(self, side: str) -> str:
        """Why a side (or the balance, ``side='balance'``) cannot be computed from this file."""
        if side == "balance":
            missing = [s for s in ("outflow", "inflow") if self.usable(s) is None]
            if not missing:
                return (
                    "Solde non calculable à partir de ce fichier : les sortants et les entrants "
                    "n'y sont pas connus pour les mêmes partenaires."
                )
            return (
                "Solde non calculable à partir de ce fichier : les "
                + " et les ".join(SIDE_FR[s] for s in missing)
                + " n'y sont pas entièrement couverts."
            )
        what = "partiellement couverts" if getattr(self, side) == "partiel" else "non couverts"
        return f"{SIDE_FR[side].capitalize()} non calculables à partir de ce fichier ({what} : {self.note})."

    def sides_reason(self, sides) -> str:
        """Why these sides cannot be computed from this file, in one sentence: the file's note
        said once, not once per side."""
        groups: dict[str, list[str]] = {}
        for side in sides:
            what = "partiellement couverts" if getattr(self, side) == "partiel" else "non couverts"
            groups.setdefault(what, []).append(SIDE_FR[side])
        parts = [" et ".join(names) + f" {what}" for what, names in groups.items()]
        head = ", ".join(parts)
        return f"{head[:1].upper()}{head[1:]} : non calculables à partir de ce fichier ({self.note})."

    def to_dict(self) -> dict:
        d = asdict(self)
        d["usable"] = {s: self.usable(s) for s in SIDES}
        d["balance_usable"] = self.balance()
        return d


def _status_n(k: int, n: int) -> str:
    return "complet" if n and k == n else ("partiel" if k else "absent")


def exact_union(con: duckdb.DuckDBPyConnection, communes, level: str) -> bool:
    """Is the territory a whole number of units of ``level`` (every member commune of each
    unit it touches)? A flow known by unit is never split down to part of one."""
    col = LEVEL_COL.get(level)
    if level == "commune" or col is None:
        return True
    mem = snapshot.of(con).membership
    mine = mem.index.isin(list(communes))
    units = mem.loc[mine, col]
    if units.isna().any():  # a commune outside any unit of that level
        return False
    return not bool((mem[col].isin(units.unique()) & ~mine).any())


def _coarse(info: DatasetInfo, out: str, inn: str, internal: str, exact: bool):
    """The rules of files keyed above the commune or thresholded (issue 16)."""
    note = info.note
    if info.level != "commune" and not exact:
        words = LEVEL_WORDS.get(info.level, info.level)
        lv = LEVEL_NAME.get(info.level, info.level)
        note = (
            f"flux connus seulement au niveau {lv} : ce territoire n'est pas une réunion {words}, "
            f"et un flux n'est jamais réparti sur une partie d'unité ; choisissez un {lv} ou un "
            f"niveau au-dessus ({info.note})"
        )
        return "absent", "absent", "absent", note, ()
    listed: tuple[str, ...] = ()
    if info.min_value:
        # Every flow of the side is in the scopes, but only those above the threshold are listed.
        listed = tuple(s for s, st in (("outflow", out), ("inflow", inn)) if st == "complet")
        out = "partiel" if out == "complet" else out
        inn = "partiel" if inn == "complet" else inn
        internal = "absent"
    if not info.internal_known:
        internal = "absent"
    return out, inn, internal, note, listed


def _territory(
    con, info: DatasetInfo, n: int, c: tuple[int, int, int], zone_sizes: dict, exact: bool = True
) -> TerritoryCoverage:
    o, d, both = c
    o_st, d_st = _status_n(o, n), _status_n(d, n)
    out = o_st if o_st != "complet" else ("complet" if info.destination_all else "partiel")
    inn = d_st if d_st != "complet" else ("complet" if info.origin_all else "partiel")
    internal = _status_n(both, n)
    zone = None
    if info.zone and internal == "complet":
        size = zone_sizes.setdefault(info.zone, _zone_size(con, info.zone))
        if size > n:  # partners exist in the zone only if the territory is not the whole zone
            zone = zone_name(con, info.zone)
        else:
            out = "absent" if out == "partiel" else out
            inn = "absent" if inn == "partiel" else inn
    out, inn, internal, note, listed = _coarse(info, out, inn, internal, exact)
    if info.min_value:
        zone = None
    return TerritoryCoverage(
        info.id,
        info.kind,
        info.year,
        info.nature,
        out,
        inn,
        internal,
        zone,
        note,
        listed=listed,
        threshold=info.min_value,
        unit=info.unit,
        level=info.level,
        internal_known=info.internal_known,
    )


def territory(con: duckdb.DuckDBPyConnection, communes, dataset_id: str) -> TerritoryCoverage:
    """The coverage of one dataset for a territory (its communes)."""
    info = dataset(con, dataset_id)
    if info.origin_all and info.destination_all:  # every commune of the COG is in both scopes
        communes = sorted(set(communes))
        known = snapshot.of(con).memo("communes", lambda: frozenset(snapshot.of(con).membership.index))
        k = sum(c in known for c in communes)
        n, c = len(communes), {dataset_id: (k, k, k)}
    else:
        n, c = counts(con, communes)
    exact = exact_union(con, communes, info.level)
    return _territory(con, info, n, c.get(dataset_id, (0, 0, 0)), {}, exact)


def _zone_size(con, zone) -> int:
    n = 0
    for level, code in zone:
        col = LEVEL_COL.get(level)
        if col is None:
            continue
        n += con.execute(f"SELECT count(*) FROM membership WHERE {col} = ?", [code]).fetchone()[0]  # noqa: S608
    return n


@dataclass
class SideSource:
    """Where one side of a territory's flows honestly comes from."""

    side: str
    dataset_id: str
    year: int
    nature: str
    label: str
    producer: str

    def text(self) -> str:
        """« entrants 2018 estimés »."""
        return f"{SIDE_FR[self.side]} {self.year} {NATURE_FR.get(self.nature, self.nature)}"

    def to_dict(self) -> dict:
        return {**asdict(self), "text": self.text()}


@dataclass
class Combination:
    """Each side from the most recent dataset that covers it completely (observed first)."""

    sides: dict[str, SideSource | None] = field(default_factory=dict)

    def sentence(self) -> str:
        """« sortants 2022 observés · internes 2022 observés · entrants 2018 estimés »."""
        bits = [s.text() for s in self.sides.values() if s is not None]
        missing = [SIDE_FR[k] for k, s in self.sides.items() if s is None]
        if missing:
            words = ", ".join(missing[:-1]) + (" et " if len(missing) > 1 else "") + missing[-1]
            bits.append(f"{words} : aucun fichier ne les couvre")
        return " · ".join(bits)

    def same_source(self, *sides: str) -> bool:
        """Do these sides come from one year and one nature (so that they may be combined)?"""
        got = [self.sides.get(s) for s in sides]
        if any(g is None for g in got):
            return False
        return len({(g.year, g.nature) for g in got}) == 1

    def to_dict(self) -> dict:
        return {
            "sides": {k: (v.to_dict() if v else None) for k, v in self.sides.items()},
            "sentence": self.sentence(),
        }


def best_sides(con: duckdb.DuckDBPyConnection, communes, kind: str) -> Combination:
    """For each side, the most recent dataset of ``kind`` covering it completely: observed
    datasets first, estimated ones otherwise."""
    infos = datasets(con, kind)
    order = sorted(infos.values(), key=lambda i: (i.nature != "observé", -i.year, i.id))
    n, c = counts(con, communes)
    out: dict[str, SideSource | None] = dict.fromkeys(SIDES)
    sizes: dict = {}
    exact: dict[str, bool] = {}
    for info in order:
        if info.level not in exact:
            exact[info.level] = exact_union(con, communes, info.level)
        cov = _territory(con, info, n, c.get(info.id, (0, 0, 0)), sizes, exact[info.level])
        for s in SIDES:
            if out[s] is None and getattr(cov, s) == "complet":
                out[s] = SideSource(s, info.id, info.year, info.nature, info.label, info.producer)
    return Combination(out)


def territories(con: duckdb.DuckDBPyConnection, communes, dataset_ids) -> dict[str, TerritoryCoverage]:
    """:func:`territory` for several datasets at once."""
    infos = datasets(con)
    n, c = counts(con, communes)
    sizes: dict = {}
    exact = {lv: exact_union(con, communes, lv) for lv in {infos[ds].level for ds in dataset_ids}}
    return {
        ds: _territory(con, infos[ds], n, c.get(ds, (0, 0, 0)), sizes, exact[infos[ds].level])
        for ds in dataset_ids
    }


def block(
    con: duckdb.DuckDBPyConnection, dataset_id: str, origins, destinations, info: DatasetInfo | None = None
) -> str:
    """Coverage of all flows from ``origins`` to ``destinations`` (communes):
    complet / partiel / absent."""
    info = info or dataset(con, dataset_id)
    o = np.ones(1, bool) if info.origin_all else covered(con, dataset_id, "origin", origins)
    d = np.ones(1, bool) if info.destination_all else covered(con, dataset_id, "destination", destinations)
    if not len(o) or not len(d):
        return "absent"
    if o.all() and d.all():
        return "complet"
    return "partiel" if o.any() and d.any() else "absent"
