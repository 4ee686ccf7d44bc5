"""Bring commune codes of any vintage to the current COG.

Codes are strings (Corsica: ``2A``/``2B``). Statuses returned by :meth:`CodeMap.map`:

``current``        already a current commune code
``merged``         an old code (commune merged into a commune nouvelle, commune
                   déléguée/associée) mapped to its current commune
``arrondissement`` Paris/Lyon/Marseille arrondissement folded into its commune
``abroad``         a place outside France (``99xxx``, ``MO001``...) or outside the
                   reference (collectivités d'outre-mer ``975``, ``977``, ``978``, ``98x``)
``unknown``        none of the above: reported, never dropped silently
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

STATUS_FR = {
    "current": "code en vigueur",
    "merged": "ancien code (fusion de communes) ramené à la commune actuelle",
    "arrondissement": "arrondissement municipal ramené à sa commune",
    "abroad": "lieu à l'étranger ou hors référentiel (conservé, signalé)",
    "unknown": "code inconnu",
}


def arrondissement_parent(code: str) -> str | None:
    """Return the commune of a Paris/Lyon/Marseille arrondissement code, else None.

    Uses code ranges, never names: 75101–75120 → 75056, 69381–69389 → 69123,
    13201–13216 → 13055.
    """
    if not code.isdigit() or len(code) != 5:
        return None
    n = int(code)
    if 75101 <= n <= 75120:
        return "75056"
    if 69381 <= n <= 69389:
        return "69123"
    if 13201 <= n <= 13216:
        return "13055"
    return None


def is_abroad(code: str) -> bool:
    """True for foreign places (``99xxx``, letter codes such as ``MO001``) and
    collectivités d'outre-mer outside the reference (975, 977, 978, 98x)."""
    if code.startswith(("2A", "2B")):
        return False
    if not code.isdigit():
        return True
    return code.startswith(("99", "975", "977", "978", "98"))


def pad_code(code: str) -> str:
    """Zero-pad numeric commune codes that lost their leading zero ("1001" → "01001")."""
    code = code.strip()
    if code.isdigit() and len(code) == 4:
        return "0" + code
    return code


class CodeMap:
    """Mapping of commune codes of any vintage to the current ones.

    Parameters
    ----------
    current : the current commune codes
    passage : old code → current code (communes fusionnées, déléguées, associées)
    """

    def __init__(self, current: Iterable[str], passage: Mapping[str, str]):
        self.current = frozenset(current)
        self.passage = {k: v for k, v in passage.items() if v in self.current}

    @classmethod
    def from_frame(cls, communes: pd.DataFrame, passage: pd.DataFrame) -> CodeMap:
        """Build from a frame of current communes (``code``) and a passage frame
        (``old_code``, ``current_code``)."""
        return cls(communes["code"], dict(zip(passage["old_code"], passage["current_code"])))

    def map_one(self, code: str) -> tuple[str, str]:
        """Map one code; returns ``(code, status)``."""
        code = pad_code(str(code))
        if code in self.current:
            return code, "current"
        parent = arrondissement_parent(code)
        if parent is not None and parent in self.current:
            return parent, "arrondissement"
        if code in self.passage:
            return self.passage[code], "merged"
        if is_abroad(code):
            return code, "abroad"
        return code, "unknown"

    def map_unique(self, codes: Iterable[str]) -> tuple[list[str], list[str]]:
        """:meth:`map_one` over distinct codes: (current codes, statuses), in the same order."""
        pairs = [self.map_one(c) for c in codes]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def map(self, codes: pd.Series) -> pd.DataFrame:
        """Vectorised :meth:`map_one` over the distinct values of ``codes``.

        Returns a frame aligned on ``codes`` with columns ``code`` and ``status``.
        """
        codes = codes.astype("string")
        uniq = pd.unique(codes.to_numpy())
        table = {c: self.map_one(c) for c in uniq}
        mapped = np.array([table[c][0] for c in uniq], dtype=object)
        status = np.array([table[c][1] for c in uniq], dtype=object)
        idx = pd.Index(uniq).get_indexer(codes.to_numpy())
        return pd.DataFrame({"code": mapped[idx], "status": status[idx]}, index=codes.index).astype(
            {"code": "string", "status": "string"}
        )
