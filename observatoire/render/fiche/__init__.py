"""Fiche territoire: a ready seminar document for any territory or perimeter, in one call.

    from observatoire.render import fiche
    fiche.build_fiche(con, "epci", "242900314", "pdf", "brest.pdf")
    data = fiche.fiche_bytes(con, "perimetre", "pays-cob", "pptx")   # for a download button

PDF (A4 portrait, reportlab) or PPTX (16:9, python-pptx, native tables and chart), in
French, built offline from the store: key figures with source and year, a static map
(matplotlib, no basemap), the comparison with reference territories and peers, the top
flows in and out (observed or ESTIMATED, with the coverage sentence), the cooperations and
the data vintages. matplotlib, reportlab and python-pptx are imported only when used.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from observatoire.errors import ObservatoireError

FORMATS = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def gather(con, level: str, code: str, today: dt.date | None = None):
    """The fiche's content (a plain dataclass), without rendering it."""
    from observatoire.render.fiche import content

    return content.gather(con, level, code, today=today)


def render(content, fmt: str) -> bytes:
    """Bytes of an already gathered content in ``fmt`` ("pdf" or "pptx")."""
    if fmt == "pdf":
        from observatoire.render.fiche import pdf

        return pdf.render(content)
    if fmt == "pptx":
        from observatoire.render.fiche import pptx

        return pptx.render(content)
    raise ObservatoireError(f"Format de fiche inconnu : « {fmt} » (attendu : pdf ou pptx).")


def fiche_bytes(con, level: str, code: str, fmt: str, today: dt.date | None = None) -> bytes:
    """The fiche of a territory as bytes (e.g. for ``st.download_button``).

    Raises NotFoundError for an unknown territory, ObservatoireError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ObservatoireError(f"Format de fiche inconnu : « {fmt} » (attendu : pdf ou pptx).")
    return render(gather(con, level, code, today=today), fmt)


def build_fiche(
    con, level: str, code: str, fmt: str, out_path: Path | str, today: dt.date | None = None
) -> Path:
    """Write the fiche of a territory to ``out_path`` and return the path."""
    data = fiche_bytes(con, level, code, fmt, today=today)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def file_name(name: str, fmt: str, today: dt.date | None = None) -> str:
    """A safe download name: ``fiche-brest-metropole-2026-11-23.pdf``."""
    from observatoire import text

    slug = re.sub(r"[^a-z0-9]+", "-", text.normalize(name)).strip("-")[:60] or "territoire"
    return f"fiche-{slug}-{(today or dt.date.today()).isoformat()}.{fmt}"


__all__ = ["FORMATS", "build_fiche", "fiche_bytes", "file_name", "gather", "render"]
