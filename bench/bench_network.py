"""Bench of the network queries (issue 13), with naive pandas baselines in the same run.

    PYTHONPATH=. python bench/bench_network.py [--db data/observatoire.duckdb] [--rows 1000000]

1. The network of a 20-member set (the 20 most populous EPCI of Auvergne-Rhône-Alpes, estimated
   home-work flows 2018 covering all France: the heaviest shipped case) — target < 100 ms.
2. The Isère network of Grenoble, Grésivaudan, Voironnais (observed 2017).
3. EPCI × EPCI aggregation of 1 M synthetic flows drawn among the real communes: DuckDB on
   string keys (as flows.matrix), DuckDB on integer keys, numpy bincount, and the naive pandas
   baseline (two string merges + groupby) — target <= 50 ms warm.
Best of 5 (warm) wall-clock times are printed in milliseconds.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pandas as pd

from observatoire import store
from observatoire.queries import network


def best(fn, n: int = 5) -> float:
    fn()  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="data/observatoire.duckdb")
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()
    con = store.connect(a.db, read_only=True)

    top20 = con.execute(
        """SELECT t.code FROM territory t JOIN indicator_value v ON v.level = 'epci' AND v.code = t.code
        AND v.indicator = 'P18_POP' WHERE t.level = 'epci' AND t.reg = '84' ORDER BY v.value DESC LIMIT 20"""
    ).fetchall()
    members = [("epci", c) for (c,) in top20]
    if len(members) < 20:  # territory.reg may be empty for EPCI: take them by their communes
        members = [
            ("epci", c)
            for (c,) in con.execute(
                """SELECT m.epci FROM membership m JOIN indicator_value v ON v.level = 'epci'
                AND v.code = m.epci AND v.indicator = 'P18_POP' WHERE m.reg = '84'
                GROUP BY m.epci, v.value ORDER BY v.value DESC LIMIT 20"""
            ).fetchall()
        ]
    ds20 = network.network(con, members).dataset["id"]
    t_net20 = best(lambda: network.network(con, members, dataset_id=ds20))

    def naive20():
        m = con.execute("SELECT commune, epci FROM membership").df()
        f = con.execute("SELECT origin, destination, value FROM flow WHERE dataset_id = ?", [ds20]).df()
        codes = {c for _, c in members}
        f = f.merge(m.rename(columns={"commune": "origin", "epci": "o"}), on="origin").merge(
            m.rename(columns={"commune": "destination", "epci": "d"}), on="destination"
        )
        f = f[f["o"].isin(codes) | f["d"].isin(codes)]
        return f.groupby(["o", "d"])["value"].sum()

    t_naive20 = best(naive20, 3)
    three = [("epci", "200040715"), ("epci", "200018166"), ("epci", "243800984")]
    t_net3 = best(lambda: network.network(con, three, year=2017))

    # 1 M synthetic flows among the real communes
    mem = con.execute("SELECT commune, coalesce(epci, commune) AS epci FROM membership ORDER BY commune").df()
    rng = np.random.default_rng(42)
    n = a.rows
    oi = rng.integers(0, len(mem), n)
    # destinations near the origin in the sorted code list (flows are mostly local)
    di = np.clip(oi + rng.integers(-300, 300, n), 0, len(mem) - 1)
    val = rng.gamma(1.0, 20.0, n)
    flows = pd.DataFrame(
        {"origin": mem["commune"].to_numpy()[oi], "destination": mem["commune"].to_numpy()[di], "value": val}
    )
    ecode, eid = np.unique(mem["epci"].to_numpy(), return_inverse=True)
    flows_int = pd.DataFrame({"o": eid[oi].astype(np.int32), "d": eid[di].astype(np.int32), "value": val})
    mem_df = mem
    mem_int = pd.DataFrame(
        {"commune_id": np.arange(len(mem), dtype=np.int32), "epci_id": eid.astype(np.int32)}
    )
    flows_cid = pd.DataFrame({"o": oi.astype(np.int32), "d": di.astype(np.int32), "value": val})
    db = duckdb.connect()
    db.register("flows_v", flows)
    db.execute("CREATE TABLE flow AS SELECT * FROM flows_v")
    db.register("mem_v", mem_df)
    db.execute("CREATE TABLE membership AS SELECT * FROM mem_v")
    db.register("fc_v", flows_cid)
    db.execute("CREATE TABLE flow_int AS SELECT * FROM fc_v")
    db.register("mi_v", mem_int)
    db.execute("CREATE TABLE mem_int AS SELECT * FROM mi_v")
    db.register("fe_v", flows_int)
    db.execute("CREATE TABLE flow_epci AS SELECT * FROM fe_v")

    t_duck_str = best(
        lambda: db.execute(
            """SELECT mo.epci, md.epci, sum(f.value) FROM flow f JOIN membership mo ON mo.commune = f.origin
            JOIN membership md ON md.commune = f.destination GROUP BY ALL"""
        ).fetchnumpy()
    )
    t_duck_int = best(
        lambda: db.execute(
            """SELECT mo.epci_id, md.epci_id, sum(f.value) FROM flow_int f
            JOIN mem_int mo ON mo.commune_id = f.o JOIN mem_int md ON md.commune_id = f.d GROUP BY ALL"""
        ).fetchnumpy()
    )
    t_duck_pre = best(lambda: db.execute("SELECT o, d, sum(value) FROM flow_epci GROUP BY ALL").fetchnumpy())
    k = len(ecode)
    t_bincount = best(lambda: np.bincount(eid[oi] * k + eid[di], weights=val, minlength=k * k))
    e_of = eid.astype(np.int64)
    t_bincount_map = best(lambda: np.bincount(e_of[oi] * k + e_of[di], weights=val, minlength=k * k))

    def naive():
        m = mem_df
        f = flows.merge(m.rename(columns={"commune": "origin", "epci": "o"}), on="origin").merge(
            m.rename(columns={"commune": "destination", "epci": "d"}), on="destination"
        )
        return f.groupby(["o", "d"])["value"].sum()

    t_naive = best(naive, 3)
    print(f"network, 20 EPCI of Auvergne-Rhône-Alpes ({ds20}) : {t_net20:.1f} ms (target < 100)")
    print(f"  naive pandas (load the dataset, two merges, groupby) : {t_naive20:.1f} ms")
    print(f"network, Grenoble + Grésivaudan + Voironnais (mobpro-isere-2017) : {t_net3:.1f} ms")
    print(f"EPCI × EPCI of {n:,} synthetic flows ({k} units):")
    print(f"  DuckDB, string keys (as flows.matrix) : {t_duck_str:.1f} ms")
    print(f"  DuckDB, integer commune keys + integer map : {t_duck_int:.1f} ms")
    print(f"  DuckDB, flows pre-keyed by EPCI id at import : {t_duck_pre:.1f} ms (target <= 50)")
    print(f"  numpy bincount, integer keys : {t_bincount_map:.1f} ms (pre-mapped {t_bincount:.1f} ms)")
    print(f"  naive pandas (two string merges + groupby) : {t_naive:.1f} ms")


if __name__ == "__main__":
    main()
