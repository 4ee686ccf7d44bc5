"""Fiche territoire: a ready seminar document for any territory or perimeter, in one call.

    from observatoire.queries import fiche as fiche_data
    from observatoire.render import fiche
    fiche.build_fiche(fiche_data.gather(con, "epci", "242900314"), "pdf", "brest.pdf")
    data = fiche.fiche_bytes(fiche_data.gather(con, "perimetre", "pays-cob"), "pptx")  # a download

The store is read by :func:`observatoire.queries.fiche.gather`; everything here is pure (that
data in, bytes out). PDF (A4 portrait, reportlab) or PPTX (16:9, python-pptx, native tables
and chart), in French, built offline: key figures with source and year, a static map
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


def assemble(data, today: dt.date | None = None):
    """The fiche's content (:class:`content.FicheContent`) from the data of
    :func:`observatoire.queries.fiche.gather`, without rendering it."""
    from observatoire.render.fiche import content

    return content.assemble(data, today=today)


def render(content, fmt: str) -> bytes:
    """Bytes of an already assembled content in ``fmt`` ("pdf" or "pptx")."""
    if fmt == "pdf":
        from observatoire.render.fiche import pdf

        return pdf.render(content)
    if fmt == "pptx":
        from observatoire.render.fiche import pptx

        return pptx.render(content)
    raise ObservatoireError(f"Format de fiche inconnu : « {fmt} » (attendu : pdf ou pptx).")


def fiche_bytes(data, fmt: str, today: dt.date | None = None) -> bytes:
    """The fiche of a territory (``data`` from :func:`observatoire.queries.fiche.gather`) as
    bytes, e.g. for ``st.download_button``. Raises ObservatoireError for an unknown format."""
    if fmt not in FORMATS:
        raise ObservatoireError(f"Format de fiche inconnu : « {fmt} » (attendu : pdf ou pptx).")
    return render(assemble(data, today=today), fmt)


def build_fiche(data, fmt: str, out_path: Path | str, today: dt.date | None = None) -> Path:
    """Write the fiche of a territory to ``out_path`` and return the path."""
    out = Path(out_path)
    payload = fiche_bytes(data, fmt, today=today)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    return out


def file_name(name: str, fmt: str, today: dt.date | None = None) -> str:
    """A safe download name: ``fiche-brest-metropole-2026-11-23.pdf``."""
    from observatoire import text

    slug = re.sub(r"[^a-z0-9]+", "-", text.normalize(name)).strip("-")[:60] or "territoire"
    return f"fiche-{slug}-{(today or dt.date.today()).isoformat()}.{fmt}"


__all__ = ["FORMATS", "assemble", "build_fiche", "fiche_bytes", "file_name", "render"]
