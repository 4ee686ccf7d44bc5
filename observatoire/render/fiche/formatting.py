"""Text measuring for the fiche's layout: the font, the width of a text, word wrap, fitting
into a number of lines, truncation. Numbers, percentages and dates are :mod:`observatoire.text`.
"""

from __future__ import annotations

import functools
import os

ELLIPSIS = "…"


def truncate(text: str, max_chars: int) -> str:
    """Cut at ``max_chars`` (word boundary when close) and end with "…"."""
    text = " ".join(str(text or "").split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + ELLIPSIS


def font_path(bold: bool = False) -> str:
    """DejaVu Sans shipped with matplotlib: always there, covers French typography
    (narrow no-break space, œ, «», …)."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


@functools.lru_cache(maxsize=64)
def _font(size_tenths: int, bold: bool):
    from PIL import ImageFont

    return ImageFont.truetype(font_path(bold), size_tenths)  # 10× the size, for precision


def text_width_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """Width in points of ``text`` set in DejaVu Sans (wider than Calibri or Helvetica:
    a safe upper bound for layout in any of them)."""
    font = _font(int(round(size_pt * 10)), bold)
    return font.getlength(text) / 10


def wrap(text: str, width_pt: float, size_pt: float, bold: bool = False) -> list[str]:
    """Greedy word wrap into lines no wider than ``width_pt`` (long words are cut)."""
    lines: list[str] = []
    for para in str(text or "").split("\n"):
        words = para.split()
        line = ""
        for w in words:
            cand = f"{line} {w}" if line else w
            if text_width_pt(cand, size_pt, bold) <= width_pt:
                line = cand
                continue
            if line:
                lines.append(line)
            while text_width_pt(w, size_pt, bold) > width_pt and len(w) > 1:
                k = len(w)
                while k > 1 and text_width_pt(w[:k], size_pt, bold) > width_pt:
                    k -= 1
                lines.append(w[:k])
                w = w[k:]
            line = w
        lines.append(line)
    return lines


def fit_lines(text: str, width_pt: float, size_pt: float, max_lines: int, bold: bool = False) -> str:
    """The text wrapped to at most ``max_lines`` lines (the last one ending with "…" if cut),
    returned as one string (lines joined by spaces: the renderer re-wraps identically)."""
    lines = wrap(text, width_pt, size_pt, bold)
    if len(lines) <= max_lines:
        return " ".join(lines)
    kept = lines[:max_lines]
    last = kept[-1]
    while last and text_width_pt(last + ELLIPSIS, size_pt, bold) > width_pt:
        last = last[:-1]
    kept[-1] = last.rstrip(" ,;:–-") + ELLIPSIS
    return " ".join(kept)
