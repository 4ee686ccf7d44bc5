#!/usr/bin/env python
"""Regenerate only the shipped estimated flows, as ``make data`` (``prepare``) does for them.

Runs :func:`observatoire.build.flow_sources.prepare_estimated` on the shipped ``data/``, replaces
its entry in ``data/flows/datasets.json`` and rewrites ``data/MANIFEST.json``; every other file is
left as it is (``make data`` rebuilds everything from the raw sources and the registries). With
``--check`` it writes into a temporary folder and only says whether the flows equal the shipped
ones (same model: the file must not change).

Usage::

    /usr/bin/time -v .venv/bin/python tools/regenerate_estimate.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from observatoire import config  # noqa: E402
from observatoire.build import flow_sources, prepare  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = ap.parse_args(argv)
    data = Path(config.data_dir())
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            path, meta = flow_sources.prepare_estimated(data, Path(tmp))
            new = pd.read_parquet(path)
        old = pd.read_parquet(data / "flows" / f"{meta['id']}.parquet")
        same = old.equals(new)
        print(
            f"{len(new)} flows, {meta['params']['secondes']} s in the model; equal to the shipped file: {same}"
        )
        return 0 if same else 1
    path, meta = flow_sources.prepare_estimated(data, data / "flows")
    meta_path = data / "flows" / "datasets.json"
    metas = json.loads(meta_path.read_text(encoding="utf-8"))
    metas = [meta if m["id"] == meta["id"] else m for m in metas]
    meta_path.write_text(json.dumps(metas, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    prepare.write_manifest(data, prepare._shipped(data))
    print(
        f"{path}: {meta['report']['couples_apres_regroupement']} flows, {meta['params']['secondes']} s in the model"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
