"""Habits of the test suite itself: each test name states one behaviour."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _test_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]


def test_no_test_name_joins_two_behaviours_with_and():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 10  # the suite is really being read
    joined = [f"{p.relative_to(TESTS)}::{name}" for p in files for name in _test_names(p) if "_and_" in name]
    assert not joined, "split these tests or name their single behaviour without « and »: " + ", ".join(
        joined
    )
