"""The committed build of the flow map component (observatoire/ui/components/flowmap) is the
build of its committed sources (frontend/flowmap, lock file included): rebuild with
``make flowmap`` after any change there. Same hashes as frontend/flowmap/stamp.mjs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "frontend" / "flowmap"
BUILD = ROOT / "observatoire" / "ui" / "components" / "flowmap"
SOURCES = ["index.html", "package.json", "package-lock.json", "vite.config.js", "stamp.mjs"]


def digest(base: Path, names: list[str]) -> str:
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode() + b"\0")
        h.update((base / n).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def stamp() -> dict:
    return json.loads((BUILD / "BUILD.json").read_text())


def test_committed_build_was_made_from_the_committed_sources():
    names = SOURCES + sorted(
        "src/" + p.relative_to(SRC / "src").as_posix() for p in (SRC / "src").rglob("*") if p.is_file()
    )
    assert digest(SRC, names) == stamp()["sources"], "sources changed since the build: run `make flowmap`"


def test_committed_build_files_are_those_the_build_wrote():
    built = sorted(
        p.relative_to(BUILD).as_posix() for p in BUILD.rglob("*") if p.is_file() and p.name != "BUILD.json"
    )
    assert built == stamp()["files"]
    assert digest(BUILD, built) == stamp()["build"], "built files edited by hand: run `make flowmap`"


def test_component_page_loads_only_its_own_files():
    html = (BUILD / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("./assets/") for r in refs)
    assert all((BUILD / r).exists() for r in refs)


def test_bundled_packages_are_under_permissive_licences():
    lock = json.loads((SRC / "package-lock.json").read_text())
    runtime = {k: v for k, v in lock["packages"].items() if k and not v.get("dev")}
    allowed = {"MIT", "Apache-2.0", "ISC", "BSD-2-Clause", "BSD-3-Clause"}
    assert {k: v.get("license") for k, v in runtime.items() if v.get("license") not in allowed} == {}
    flowmap = {k: v["license"] for k, v in runtime.items() if "@flowmap.gl/" in k}
    assert flowmap == {
        "node_modules/@flowmap.gl/data": "Apache-2.0",
        "node_modules/@flowmap.gl/layers": "Apache-2.0",
    }
