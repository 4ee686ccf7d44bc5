import os
import shutil

import pandas as pd
import pytest

from observatoire.render import charts, figure_export

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")),
    reason="Chromium absent (make test l'installe)",
)


def _fig():
    df = pd.DataFrame(
        {
            "direction": ["sortant", "sortant"],
            "name": ["CC Le Grésivaudan", "Lyon"],
            "value": [12711.0, 1446.0],
            "share": [0.9, 0.1],
        }
    )
    return charts.top_partners(df, "sortant", "Principales destinations (2022)", "Insee, RP 2022")


def test_a_page_chart_exports_to_an_svg_with_its_french_title_source():
    svg = figure_export.figure_bytes(_fig(), "svg").decode("utf-8")
    assert svg.startswith("<svg") or "<svg" in svg[:500]
    assert "Principales destinations (2022)" in svg
    assert "Source : Insee, RP 2022" in svg
    assert "Grésivaudan" in svg


def test_png_export_is_a_real_png():
    png = figure_export.figure_bytes(_fig(), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
