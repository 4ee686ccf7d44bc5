"""Server-side rendering of the app's plotly figures to PNG/SVG (same figure functions as the
pages, one code path), with kaleido driving Debian's Chromium — no network needed."""

from __future__ import annotations

import os
import shutil

from observatoire.errors import ObservatoireError


def _browser() -> None:
    """Point kaleido at Debian's Chromium (kaleido reads ``BROWSER_PATH``), on first use only:
    nothing is written to the environment at import."""
    if "BROWSER_PATH" not in os.environ:
        path = shutil.which("chromium") or (
            "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
        )
        if path:
            os.environ["BROWSER_PATH"] = path  # kaleido's own setting, not the observatory's


def figure_bytes(fig, fmt: str = "png", width: int = 1200, scale: float = 2.0) -> bytes:
    """PNG or SVG bytes of a plotly figure. Raises ObservatoireError when no browser is
    available for kaleido (install Debian's ``chromium``)."""
    if fmt not in ("png", "svg"):
        raise ObservatoireError(f"Format d'image inconnu : {fmt} (png ou svg).")
    _browser()
    height = int(fig.layout.height or 450)
    try:
        return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)
    except Exception as exc:  # kaleido raises various errors when Chromium is missing
        raise ObservatoireError(
            f"Rendu de l'image impossible ({exc}) : installez le paquet Debian « chromium »."
        ) from exc
