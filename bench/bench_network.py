"""Bench of the network queries (issue 13, item 7), each with a naive pandas baseline and the
commune-flow path (the pre-aggregate by cell switched off) in the same run.

    PYTHONPATH=. python bench/bench_network.py [--db data/observatoire.duckdb] [--synthetic] [--threads N]

1. The network of a 20-member set (the 20 most populous EPCI of Auvergne-Rhône-Alpes; the
   estimated home-work flows 2018 over all France, 994 299 commune flows: the heaviest shipped
   case), as the Réseau page asks it (dataset chosen) — target < 100 ms.
2. The Isère network of Grenoble, Grésivaudan, Voironnais (observed 2017).
3. EPCI × EPCI aggregation of the same 994 299 flows (``flows.matrix``) — target <= 50 ms.
4. Top partners of one EPCI (Brest Métropole, both ways, with names) in the same dataset
   (``flows.partners``) — target <= 10 ms.
``--synthetic`` adds the EPCI × EPCI of 1 M synthetic flows with DuckDB string / integer keys
and numpy ``bincount`` (the alternatives weighed for the issue).
Best of N (warm) wall-clock times in milliseconds, and the process CPU time.

Figures: docs/ARCHITECTURE.md « Speed: flows pre-aggregated by cell » (before / after, and the
load of the machine when they were taken: wall-clock times on 2 cores shared with other sessions
vary threefold between runs; the CPU time is steadier).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import duckdb
import numpy as np
import pandas as pd

from observatoire import store
from observatoire.queries import cells, flows, network

ESTIMATED = "estimation-gravite-travail-2018"
BREST = "242900314"


def best(fn, n: int = 7) -> tuple[float, float]:
    """Best wall-clock and CPU milliseconds of ``n`` warm runs."""
    fn()  # warm
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return 1000 * min(wall), 1000 * min(cpu)


@contextlib.contextmanager
def commune_flows():
    """The pre-aggregate switched off: every query reads the commune flows (as before it)."""
    usable, fresh = cells.usable, cells.fresh
    cells.usable, cells.fresh = (lambda *a, **k: None), (lambda *a, **k: False)
    try:
        yield
    finally:
        cells.usable, cells.fresh = usable, fresh


def line(what: str, fast: tuple, target: str, others: dict) -> None:
    ratios = "; ".join(f"{k} {v[0]:.1f} ms (× {v[0] / fast[0]:.1f})" for k, v in others.items())
    print(f"{what}: {fast[0]:.1f} ms wall, {fast[1]:.1f} ms CPU (target {target}) — {ratios}")


def members20(con) -> list[tuple[str, str]]:
    rows = con.execute(
        """SELECT m.epci FROM membership m JOIN indicator_value v ON v.level = 'epci'
        AND v.code = m.epci AND v.indicator = 'P18_POP' WHERE m.reg = '84'
        GROUP BY m.epci, v.value ORDER BY v.value DESC LIMIT 20"""
    ).fetchall()
    return [("epci", c) for (c,) in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="data/observatoire.duckdb")
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, the cores)")
    a = ap.parse_args()
    con = store.connect(a.db, read_only=True)
    if a.threads:
        con.execute(f"SET threads = {int(a.threads)}")
    if not cells.fresh(con, ESTIMATED):
        print("(no pre-aggregate in this store: rebuild it, or open it once read-write to migrate it)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    mem = con.execute("SELECT commune, coalesce(epci, commune) AS epci FROM membership").df()
    fl = con.execute("SELECT origin, destination, value FROM flow WHERE dataset_id = ?", [ESTIMATED]).df()

    # 1. network of 20 EPCI
    m20 = members20(con)
    ds20 = network.network(con, m20).dataset["id"]
    t_net = best(lambda: network.network(con, m20))
    t_net_ds = best(lambda: network.network(con, m20, dataset_id=ds20))
    with commune_flows():
        t_net_c = best(lambda: network.network(con, m20), 3)
    codes = {c for _, c in m20}

    def naive20():
        f = fl.merge(mem.rename(columns={"commune": "origin", "epci": "o"}), on="origin").merge(
            mem.rename(columns={"commune": "destination", "epci": "d"}), on="destination"
        )
        f = f[f["o"].isin(codes) | f["d"].isin(codes)]
        return f.groupby(["o", "d"])["value"].sum()

    t_naive20 = best(naive20, 3)
    line(
        f"network of 20 EPCI of Auvergne-Rhône-Alpes ({ds20}, dataset chosen)",
        t_net,
        "< 100 ms",
        {
            "dataset given": t_net_ds,
            "commune flows": t_net_c,
            "naive pandas (two merges + groupby, flows already in memory)": t_naive20,
        },
    )
    # 2. the Isère three
    three = [("epci", "200040715"), ("epci", "200018166"), ("epci", "243800984")]
    t3 = best(lambda: network.network(con, three, year=2017))
    with commune_flows():
        t3c = best(lambda: network.network(con, three, year=2017), 3)
    line(
        "network Grenoble + Grésivaudan + Voironnais (mobpro-isere-2017)", t3, "none", {"commune flows": t3c}
    )

    # 3. EPCI × EPCI of the 994 299 estimated flows
    t_mat = best(lambda: flows.matrix(con, ESTIMATED, "epci"))
    with commune_flows():
        t_mat_c = best(lambda: flows.matrix(con, ESTIMATED, "epci"), 3)

    def naive_matrix():
        x = fl.merge(mem.rename(columns={"commune": "origin", "epci": "o"}), on="origin", how="left")
        x = x.merge(mem.rename(columns={"commune": "destination", "epci": "d"}), on="destination", how="left")
        return x.groupby(["o", "d"], dropna=False)["value"].sum()

    t_mat_n = best(naive_matrix, 3)
    n_pairs = len(flows.matrix(con, ESTIMATED, "epci"))
    line(
        f"EPCI × EPCI of {len(fl):,} flows -> {n_pairs:,} pairs (flows.matrix)",
        t_mat,
        "<= 50 ms",
        {"commune flows": t_mat_c, "naive pandas (in memory)": t_mat_n},
    )
    # 4. top partners of one EPCI
    brest = flows.communes_of(con, "epci", BREST)
    t_top = best(lambda: flows.partners(con, brest, ESTIMATED, level="epci", n=10), 21)
    with commune_flows():
        t_top_c = best(lambda: flows.partners(con, brest, ESTIMATED, level="epci", n=10), 7)
    epci_of = dict(zip(mem["commune"], mem["epci"]))

    def naive_partners():
        inside = fl["origin"].isin(brest), fl["destination"].isin(brest)
        out = fl[inside[0] & ~inside[1]]
        inn = fl[inside[1] & ~inside[0]]
        o = out.groupby(out["destination"].map(epci_of).fillna("ETRANGER"))["value"].sum().nlargest(10)
        i = inn.groupby(inn["origin"].map(epci_of).fillna("ETRANGER"))["value"].sum().nlargest(10)
        return o, i

    t_top_n = best(naive_partners, 5)
    line(
        "top partners of Brest Métropole, both ways, with names (flows.partners)",
        t_top,
        "<= 10 ms",
        {"commune flows": t_top_c, "naive pandas (in memory)": t_top_n},
    )
    if a.synthetic:
        synthetic(mem, a.rows)


def synthetic(mem: pd.DataFrame, n: int) -> None:
    """EPCI × EPCI of ``n`` synthetic flows among the real communes: the alternatives."""
    mem = mem.sort_values("commune").reset_index(drop=True)
    rng = np.random.default_rng(42)
    oi = rng.integers(0, len(mem), n)
    di = np.clip(oi + rng.integers(-300, 300, n), 0, len(mem) - 1)  # mostly local flows
    val = rng.gamma(1.0, 20.0, n)
    ecode, eid = np.unique(mem["epci"].to_numpy(), return_inverse=True)
    db = duckdb.connect()
    db.register(
        "flows_v",
        pd.DataFrame(
            {
                "origin": mem["commune"].to_numpy()[oi],
                "destination": mem["commune"].to_numpy()[di],
                "value": val,
            }
        ),
    )
    db.execute("CREATE TABLE flow AS SELECT * FROM flows_v")
    db.register("mem_v", mem)
    db.execute("CREATE TABLE membership AS SELECT * FROM mem_v")
    db.register(
        "fe_v", pd.DataFrame({"o": eid[oi].astype(np.int32), "d": eid[di].astype(np.int32), "value": val})
    )
    db.execute("CREATE TABLE flow_epci AS SELECT * FROM fe_v")
    t_str = best(
        lambda: db.execute(
            """SELECT mo.epci, md.epci, sum(f.value) FROM flow f JOIN membership mo ON mo.commune = f.origin
            JOIN membership md ON md.commune = f.destination GROUP BY ALL"""
        ).fetchnumpy(),
        3,
    )
    t_pre = best(lambda: db.execute("SELECT o, d, sum(value) FROM flow_epci GROUP BY ALL").fetchnumpy(), 3)
    k = len(ecode)
    e_of = eid.astype(np.int64)
    t_bin = best(lambda: np.bincount(e_of[oi] * k + e_of[di], weights=val, minlength=k * k), 3)
    print(f"EPCI × EPCI of {n:,} synthetic flows ({k} units):")
    print(f"  DuckDB, string keys : {t_str[0]:.1f} ms; flows pre-keyed by EPCI id : {t_pre[0]:.1f} ms")
    print(f"  numpy bincount on integer keys : {t_bin[0]:.1f} ms")


if __name__ == "__main__":
    main()
