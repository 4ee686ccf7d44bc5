"""The grand territoire as a network: flows among a set of units (the EPCI or communes of a
perimeter, or any chosen territories), their flows with the outside, dominance and dependency,
crossed with the units' profiles.

Every figure carries its coverage: the dataset, its year and nature, and whether it is over
all France (``'total'``), only within the file's closed zone (``'zone'``, e.g. the Isère), or
not computable from the file (``None`` value). The rules are those of
:mod:`observatoire.queries.coverage`.

Pure functions on a DuckDB connection; parameterised SQL only.
"""

# ruff: noqa: S608 — SQL assembled from fixed fragments of this module only; values are parameters

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from observatoire import store
from observatoire.errors import NotFoundError, ObservatoireError
from observatoire.queries import cell_arrays, scopes, snapshot
from observatoire.queries import cells as qcells
from observatoire.queries import coverage as qcov
from observatoire.queries.cells import aggregate_matrix
from observatoire.queries.network_outside import GROUP_SQL, SCOPE_CTE, outside_flows
from observatoire.queries.network_parts import (
    DEPENDENCY_RULE,
    PROFILE_INDICATORS,
    Unit,
    dependency,
    dominance,
    network_sentence,
    per_unit_table,
    profiles,
    selection,
    tree_lines,
)

__all__ = [
    "DEPENDENCY_RULE",
    "PROFILE_INDICATORS",
    "Unit",
    "aggregate_matrix",
    "selection",
    "tree_lines",
]  # re-exported


class NetworkError(ObservatoireError):
    """A set of territories that cannot form a network (French message)."""


def units_of(
    con: duckdb.DuckDBPyConnection, members: list[tuple[str, str]], level: str = "epci"
) -> list[Unit]:
    """The network's units from territories (``(level, code)``): a perimeter stands for its
    members; with ``level='commune'`` every unit is split into its communes. Units must not
    overlap."""
    cur = store.cursor(con)
    flat: list[tuple[str, str]] = []
    for lv, code in members:
        if lv == "perimetre":
            rows = cur.execute(
                "SELECT level, code FROM perimeter_member WHERE perimeter_id = ? ORDER BY level, code", [code]
            ).fetchall()
            if not rows:
                raise NotFoundError(f"Périmètre inconnu ou vide : {code}")
            flat += [(a, b) for a, b in rows]
        else:
            flat.append((lv, code))
    col = {"commune": "commune", "epci": "epci", "departement": "dep", "region": "reg"}
    snap = snapshot.of(cur)
    by_level = snap.memo("communes by unit", lambda: _communes_by_unit(snap.membership))
    units: list[Unit] = []
    for lv, code in flat:
        if lv not in col:
            raise NetworkError(
                f"Un réseau se compose de communes, d'EPCI ou de départements, pas de « {lv} »."
            )
        coms = by_level.get(lv, {}).get(code, [])
        if not coms:
            raise NotFoundError(f"Territoire sans commune : {lv} {code}")
        if level == "commune" and lv != "commune":
            units += [Unit("commune", c, "", [c]) for c in coms]
        else:
            units.append(Unit(lv, code, "", list(coms)))
    seen: dict[str, str] = {}
    for u in units:
        for c in u.communes:
            if c in seen and seen[c] != u.code:
                raise NetworkError(
                    f"Les territoires se recouvrent (la commune {c} est dans {seen[c]} et {u.code}) : "
                    "un réseau se fait entre territoires disjoints."
                )
            seen[c] = u.code
    uniq = {(u.level, u.code): u for u in units}
    units = list(uniq.values())
    if len(units) < 2:
        raise NetworkError("Un réseau demande au moins deux territoires.")
    names = dict(
        ((lv, c), n)
        for lv, c, n in cur.execute(
            "SELECT level, code, name FROM territory WHERE list_contains($l::VARCHAR[], level) AND list_contains($c::VARCHAR[], code)",
            {"l": sorted({u.level for u in units}), "c": sorted({u.code for u in units})},
        ).fetchall()
    )
    for u in units:
        u.name = names.get((u.level, u.code), u.code)
    return units


def _communes_by_unit(mem: pd.DataFrame) -> dict:
    """level -> unit code -> its communes, sorted."""
    out: dict = {"commune": {c: [c] for c in mem.index}}
    for level, col in (("epci", "epci"), ("departement", "dep"), ("region", "reg")):
        units: dict = {}
        for c, u in zip(mem.index, mem[col], strict=True):
            if isinstance(u, str):
                units.setdefault(u, []).append(c)
        out[level] = {u: sorted(cs) for u, cs in units.items()}
    return out


_FLAGS_SQL = (
    "WITH "
    + SCOPE_CTE
    + """
    SELECT u.commune, cov.commune IS NOT NULL AS covered
    FROM _net_units u LEFT JOIN cov ON cov.commune = u.commune
"""
)

# One scan of the dataset: flows among units and with the outside (grouped) both ways.
_FLOWS_SQL = (
    """
    WITH f AS (
        SELECT f.origin, f.destination, f.value, uo.unit AS ou, ud.unit AS du
        FROM flow f LEFT JOIN _net_units uo ON uo.commune = f.origin
        LEFT JOIN _net_units ud ON ud.commune = f.destination
        WHERE f.dataset_id = $ds AND (uo.unit IS NOT NULL OR ud.unit IS NOT NULL))
    SELECT f.ou, f.du,
        CASE WHEN f.ou IS NULL OR f.du IS NULL THEN """
    + GROUP_SQL
    + """ END AS grp,
        sum(f.value) AS value
    FROM f LEFT JOIN membership m ON m.commune = CASE WHEN f.ou IS NULL THEN f.origin
                                                      WHEN f.du IS NULL THEN f.destination END
    GROUP BY ALL
"""
)

# The same from the pre-aggregate by cell is queries.cell_arrays.network_groups (in memory).


def _exact_units(con, units, level: str, cache: dict) -> bool:
    """Is every unit of the network a whole number of units of ``level`` (a coarse file)?"""
    if level not in cache:
        cache[level] = all(qcov.exact_union(con, u, level) for u in units)
    return cache[level]


@snapshot.once
def pick_dataset(
    con: duckdb.DuckDBPyConnection,
    communes: list[str],
    kind: str,
    year: int | None = None,
    units: list[list[str]] | None = None,
) -> str | None:
    """The dataset for a network: the most recent observed one covering every flow among the
    units; else the most recent estimated one; else the observed one covering most of them.
    A file keyed above the commune only when every unit is a whole number of its units."""
    info = _pick(con, communes, kind, year, units)
    return None if info is None else info.id


def _pick(con, communes, kind, year, units) -> qcov.DatasetInfo | None:
    exact: dict = {}

    def ok(i: qcov.DatasetInfo) -> bool:  # asked only of the candidates that would be chosen
        return i.level == "commune" or _exact_units(con, units or [communes], i.level, exact)

    infos = [i for i in qcov.datasets(con, kind).values() if year is None or i.year == year]
    if not infos:
        return None
    n, c = qcov.counts(con, communes)
    order = sorted(infos, key=lambda i: (i.nature != "observé", -i.year, i.id))
    for info in order:
        if n and c.get(info.id, (0, 0, 0))[2] == n and ok(info):
            return info
    order = [i for i in order if ok(i)]
    if not order:
        return None
    best = max(order, key=lambda i: c.get(i.id, (0, 0, 0))[2])
    return best if c.get(best.id, (0, 0, 0))[2] > 0 else None


@dataclass
class Network:
    units: pd.DataFrame  # code, level, name, n_communes
    dataset: dict  # id, kind, year, nature, label, producer, note, zone
    matrix: pd.DataFrame  # origin, destination, value (None if not covered), covered, ...
    outside: pd.DataFrame  # unit, direction (sortant/entrant), group, label, value, covered
    per_unit: pd.DataFrame  # code, name, out, in, internal, balance, self_containment, ...
    dominance: pd.DataFrame  # code, name, target, target_name, value, share, role, parent
    dependency: pd.DataFrame  # origin, destination, value, share_residents, rule_15, share_jobs
    profiles: pd.DataFrame  # code, name, type, indicator columns
    sentence: str  # coverage in French
    indicator_sources: dict = field(default_factory=dict)
    geography: dict = field(default_factory=dict)  # départements and régions of the members

    def to_dict(self) -> dict:
        def rec(df: pd.DataFrame) -> list[dict]:
            return df.astype(object).where(df.notna(), None).to_dict("records")

        return {
            "dataset": self.dataset,
            "coverage": self.sentence,
            "units": rec(self.units),
            "matrix": rec(self.matrix),
            "outside": rec(self.outside),
            "per_unit": rec(self.per_unit),
            "dominance": rec(self.dominance),
            "dependency": rec(self.dependency),
            "profiles": rec(self.profiles),
            "indicator_sources": self.indicator_sources,
        }

    def od_table(self) -> pd.DataFrame:
        """The OD matrix as a wide table (origins in rows) with totals; ``NaN`` where the
        file does not cover the cell; totals only where every cell of the line is covered."""
        names = dict(zip(self.units["code"], self.units["name"]))
        order = list(self.units["code"])
        m = self.matrix.pivot(index="origin", columns="destination", values="value").reindex(
            index=order, columns=order
        )
        cov = self.matrix.pivot(index="origin", columns="destination", values="covered").reindex(
            index=order, columns=order
        )
        row_ok = cov.fillna(False).astype(bool).all(axis=1)
        col_ok = cov.fillna(False).astype(bool).all(axis=0)
        m["Total"] = m.sum(axis=1).where(row_ok)
        total = m[order].sum(axis=0).where(col_ok)
        total["Total"] = m["Total"].sum() if row_ok.all() else np.nan
        m.loc["Total"] = total
        m.index = [names.get(c, c) for c in m.index]
        m.columns = [names.get(c, c) for c in m.columns]
        return m


@snapshot.once
def network(
    con: duckdb.DuckDBPyConnection,
    members: list[tuple[str, str]],
    kind: str = "travail",
    year: int | None = None,
    level: str = "epci",
    dataset_id: str | None = None,
) -> Network:
    """The network of the given territories (see the module's docstring)."""
    cur = store.cursor(con)
    units = units_of(cur, members, level)
    umap = pd.DataFrame(
        {
            "commune": pd.Series([c for u in units for c in u.communes], dtype="string"),
            "unit": pd.Series([u.code for u in units for _ in u.communes], dtype="string"),
        }
    )
    allc = umap["commune"].tolist()
    if dataset_id:
        info = qcov.dataset(cur, dataset_id)
    else:
        info = _pick(cur, allc, kind, year, [list(u.communes) for u in units])
    if info is None:
        raise NotFoundError(
            f"Aucun jeu de flux {kind}{'' if year is None else f' {year}'} ne couvre ces territoires."
        )
    ds = info.id
    members = "membership"
    if info.level != "commune" and not _exact_units(cur, [list(u.communes) for u in units], info.level, {}):
        raise NotFoundError(
            f"Ce jeu de flux est connu par {info.level} : chaque territoire du réseau doit en être "
            "une réunion (un flux n'est jamais réparti sur une partie d'unité)."
        )
    if info.level != "commune":  # a file keyed by EPCI, arrondissement or département
        col = qcov.LEVEL_COL[info.level]
        of = dict(cur.execute(f"SELECT commune, {col} FROM membership").fetchall())  # noqa: S608
        umap = umap.assign(commune=umap["commune"].map(of)).dropna().drop_duplicates("commune")
        members = (
            "(SELECT code AS commune, dep, reg FROM territory WHERE level = "
            f"'{info.level}')"  # from the vocabulary, not typed by anyone
        )
    cur.register("_net_units", umap)
    flags = {}
    for side in ("origin", "destination"):
        if info.origin_all if side == "origin" else info.destination_all:
            # a file over all France: every commune (or unit of a coarse file) is in its scope
            flags[side] = dict.fromkeys(umap["commune"], True)
            continue
        if members == "membership":  # communes: from the snapshot of the scopes
            flags[side] = scopes.in_scope(cur, ds, side, umap["commune"].tolist())
        else:
            flags[side] = dict(cur.execute(_FLAGS_SQL, {"ds": ds, "side": side}).fetchall())
    # Units made of whole cells (EPCI parts in one département): flows from the pre-aggregate
    cells = qcells.usable(cur, ds, umap) if members == "membership" else None
    if cells is not None:
        geo = list(cells[["cd", "cr"]].drop_duplicates().itertuples(index=False, name=None))
    else:
        geo = cur.execute(
            f"SELECT DISTINCT m.dep, m.reg FROM _net_units u JOIN {members} m ON m.commune = u.commune"  # noqa: S608
        ).fetchall()
    deps = sorted({d for d, _ in geo if d})
    regs = sorted({r for _, r in geo if r})
    bu: dict = {}  # unit -> [communes, in the origin scope, in the destination scope, in both]
    fo, fd = flags["origin"], flags["destination"]
    for commune, unit in zip(umap["commune"].tolist(), umap["unit"].tolist(), strict=True):
        o, d = bool(fo.get(commune, False)), bool(fd.get(commune, False))
        k = bu.setdefault(unit, [0, 0, 0, 0])
        k[0], k[1], k[2], k[3] = k[0] + 1, k[1] + o, k[2] + d, k[3] + (o and d)
    sizes: dict = {}
    tcov = {u.code: qcov._territory(cur, info, bu[u.code][0], tuple(bu[u.code][1:]), sizes) for u in units}
    o_full = {k: o == n for k, (n, o, _, _) in bu.items()}
    d_full = {k: d == n for k, (n, _, d, _) in bu.items()}
    # Whole network's coverage (one territory: the union)
    tot = [sum(v[i] for v in bu.values()) for i in range(4)]
    net_cov = qcov._territory(cur, info, tot[0], tuple(tot[1:]), sizes)
    tag = {"dataset": ds, "year": info.year, "nature": info.nature}

    if cells is not None:  # the pre-aggregate in memory
        allf = cell_arrays.network_groups(cur, ds, cells, deps, regs)
    else:
        sql = _FLOWS_SQL.replace("LEFT JOIN membership m", f"LEFT JOIN {members} m")
        allf = cur.execute(sql, {"ds": ds, "deps": deps, "regs": regs}).df()
    # OD matrix among units (every pair, 0 where no flow, None where not covered)
    raw = allf[allf["ou"].notna() & allf["du"].notna()].rename(columns={"ou": "origin", "du": "destination"})
    raw = raw[["origin", "destination", "value"]]
    codes = [u.code for u in units]
    full = pd.MultiIndex.from_product([codes, codes], names=["origin", "destination"]).to_frame(index=False)
    mat = full.merge(raw, on=["origin", "destination"], how="left")
    mat["value"] = mat["value"].fillna(0.0)
    pairs = list(zip(mat["origin"].tolist(), mat["destination"].tolist(), strict=True))
    mat["covered"] = [o_full[a] and d_full[b] for a, b in pairs]
    listed = set(zip(raw["origin"].tolist(), raw["destination"].tolist(), strict=True))
    mat["listed"] = [p in listed for p in pairs]
    if not info.internal_known or info.min_value:  # no flow inside one unit in the file
        mat.loc[mat["origin"] == mat["destination"], "covered"] = False
    if info.min_value:  # a thresholded list: a pair not listed is below it, not zero
        mat.loc[~mat["listed"], "covered"] = False
    mat.loc[~mat["covered"], "value"] = np.nan
    names = {u.code: u.name for u in units}
    mat["origin_name"] = [names[c] for c in mat["origin"].tolist()]
    mat["destination_name"] = [names[c] for c in mat["destination"].tolist()]
    mat = mat.assign(**tag)

    outside = outside_flows(cur, info, allf, units, (o_full, d_full), (deps, regs), tag)
    per_unit = per_unit_table(units, mat, outside, tcov, tag)
    dom = dominance(mat, per_unit, units)
    dep = dependency(mat, per_unit, tag)
    prof, sources = profiles(cur, units)
    ds_meta = {
        "id": ds,
        "kind": info.kind,
        "year": info.year,
        "nature": info.nature,
        "label": info.label,
        "producer": info.producer,
        "note": info.note,
        "zone": net_cov.zone,
        "unit": info.unit,
        "level": info.level,
    }
    unit_df = pd.DataFrame(
        {
            "code": codes,
            "level": [u.level for u in units],
            "name": [u.name for u in units],
            "n_communes": [len(u.communes) for u in units],
        }
    )
    return Network(
        unit_df,
        ds_meta,
        mat,
        outside,
        per_unit,
        dom,
        dep,
        prof,
        network_sentence(info, mat, net_cov),
        sources,
        {"departement": deps, "region": regs},
    )
