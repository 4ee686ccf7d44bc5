"""An atelier as a PowerPoint deck (16:9): a title slide, then one slide per view — map left,
key figures (and the view's chart) right, note / questions / remarks underneath, sources in
the footer; the full texts also in the speaker notes. Texts are fitted like the fiche's."""

from __future__ import annotations

import io

from observatoire.render.atelier import Deck, ViewSlide, remark_line
from observatoire.render.fiche import static_map
from observatoire.render.fiche.formatting import truncate
from observatoire.render.fiche.pptx_parts import (
    ACCENT,
    ALERT,
    MARGIN,
    MUTED,
    OUT,
    SLIDE_H,
    SLIDE_W,
)
from observatoire.render.fiche.pptx_parts import new_slide as _new_slide
from observatoire.render.fiche.pptx_parts import presentation as _presentation
from observatoire.render.fiche.pptx_parts import rgb as _rgb
from observatoire.render.fiche.pptx_parts import text_box as _text

TOP = 1.3
MAP_W, MAP_H = 6.4, 3.7
RIGHT_X = MARGIN + MAP_W + 0.25
RIGHT_W = SLIDE_W - MARGIN - RIGHT_X
BAND_Y = TOP + MAP_H + 0.15
BAND_H = 6.95 - BAND_Y


def _title_slide(prs, d: Deck) -> None:
    slide = _new_slide(prs, d.title, f"Atelier — {d.date_text}")
    y = TOP + 0.1
    for s in d.slides[:14]:
        line = f"{s.number}. {s.title} — {s.page_title}" + (
            f" ({s.territory_name})" if s.territory_name else ""
        )
        _text(slide, 1.0, y, SLIDE_W - 2.0, 0.4, truncate(line, 120), 16, 11)
        y += 0.4
    if len(d.slides) > 14:
        _text(slide, 1.0, y, SLIDE_W - 2.0, 0.4, f"… et {len(d.slides) - 14} autres vues", 14, color=MUTED)
    _text(
        slide,
        1.0,
        6.4,
        SLIDE_W - 2.0,
        0.5,
        "Observatoire des coopérations interterritoriales — vues figées au jour de l'export ; "
        "chaque vue reste consultable en direct à son adresse.",
        11,
        9,
        color=MUTED,
    )


def _figures(slide, s: ViewSlide, y: float, n: int) -> float:
    for kf in s.figures[:n]:
        label = kf.label + (f" ({kf.unit})" if kf.unit else "")
        _text(slide, RIGHT_X, y, RIGHT_W * 0.62, 0.42, label, 13, 9.5)
        _text(slide, RIGHT_X + RIGHT_W * 0.62, y, RIGHT_W * 0.38, 0.42, kf.text, 16, 10, bold=True)
        _text(
            slide,
            RIGHT_X,
            y + 0.33,
            RIGHT_W,
            0.28,
            f"Source : {kf.source_short}, {kf.year}",
            9,
            7,
            color=MUTED,
        )
        y += 0.62
    return y


def _flows_chart(slide, s: ViewSlide, y: float) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    fb = s.content.flows if s.content else None
    if fb is None or not fb.chart:
        why = s.content.flows_absent if s.content and fb is None else "Aucun flux avec un autre territoire."
        _text(slide, RIGHT_X, y, RIGHT_W, 0.6, why, 12, 9, color=MUTED)
        return
    rows = fb.chart[:6]
    data = CategoryChartData(number_format="0")
    data.categories = [truncate(r["name"], 28) for r in rows]
    data.add_series("Sortants", [r["sortant"] for r in rows])
    data.add_series("Entrants", [r["entrant"] for r in rows])
    h = BAND_Y - y - 0.35
    chart = slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_CLUSTERED, Inches(RIGHT_X), Inches(y), Inches(RIGHT_W), Inches(h), data
    ).chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.font.size = Pt(10)
    chart.category_axis.reverse_order = True
    chart.plots[0].series[0].format.fill.solid()
    chart.plots[0].series[0].format.fill.fore_color.rgb = _rgb(OUT)
    chart.plots[0].series[1].format.fill.solid()
    chart.plots[0].series[1].format.fill.fore_color.rgb = _rgb(ALERT)
    src = f"Flux {fb.kind_label} {fb.year} ({fb.nature_label}) — {fb.producer}"
    _text(slide, RIGHT_X, y + h, RIGHT_W, 0.32, src, 9, 7, color=MUTED)


def _comparison(slide, s: ViewSlide, y: float) -> None:
    c = s.content
    if not c or not c.comparison:
        return
    _text(slide, RIGHT_X, y, RIGHT_W, 0.3, f"Comparaison — pairs : {c.peers_text}", 10, 8, color=MUTED)
    y += 0.32
    for row in c.comparison[:5]:
        cells = row.cells()
        line = f"{row.label} : {cells[0]} (médiane des pairs {cells[-2]}, rang {cells[-1]})"
        _text(slide, RIGHT_X, y, RIGHT_W, 0.36, line, 11, 8)
        y += 0.34


def _band(slide, s: ViewSlide) -> None:
    w = (SLIDE_W - 2 * MARGIN - 0.4) / 3
    cols = [
        ("Note", s.note or "—"),
        ("Questions pour le débat", "\n".join(f"• {q}" for q in s.questions) or "—"),
        ("Remarques des participants", "\n".join(remark_line(a, t) for a, t in s.remarks) or "—"),
    ]
    for i, (head, body) in enumerate(cols):
        x = MARGIN + i * (w + 0.2)
        _text(slide, x, BAND_Y, w, 0.35, head, 13, bold=True, color=ACCENT)
        _text(slide, x, BAND_Y + 0.35, w, BAND_H - 0.35, body, 13, 8)


def _view_slide(prs, d: Deck, s: ViewSlide) -> None:
    from pptx.util import Inches

    slide = _new_slide(prs, s.title, s.kicker)
    c = s.content
    if s.problem:
        _text(slide, MARGIN, TOP + 0.2, MAP_W, 1.6, f"Vue indisponible : {s.problem}", 18, 12, color=ALERT)
    elif c is not None and c.has_map:
        scale = 1.35
        png = static_map.render(c, width_in=MAP_W / scale, height_in=MAP_H / scale, dpi=int(140 * scale))
        slide.shapes.add_picture(io.BytesIO(png), Inches(MARGIN), Inches(TOP), Inches(MAP_W), Inches(MAP_H))
    elif c is None:
        _text(
            slide,
            MARGIN,
            TOP + 0.2,
            MAP_W,
            1.2,
            "Vue d'ensemble : pas de carte statique à ce niveau.",
            14,
            10,
            color=MUTED,
        )
    y = TOP
    if not s.problem:
        n = 3 if s.chart else 6
        y = _figures(slide, s, y, n)
        if s.chart == "flows":
            _flows_chart(slide, s, y + 0.05)
        elif s.chart == "comparison":
            _comparison(slide, s, y + 0.05)
    _band(slide, s)
    sources = "; ".join(s.sources()[:3])
    foot = f"Vue en direct : {s.link}" + (f" — Sources : {sources}" if sources else "")
    _text(slide, MARGIN, 7.0, SLIDE_W - 2 * MARGIN - 1.6, 0.4, truncate(foot, 230), 8.5, 7, color=MUTED)
    _text(slide, SLIDE_W - MARGIN - 1.5, 7.0, 1.5, 0.4, f"{d.date_text}", 8.5, 7, color=MUTED)
    notes = [s.note, *(f"Question : {q}" for q in s.questions), *(remark_line(a, t) for a, t in s.remarks)]
    slide.notes_slide.notes_text_frame.text = "\n".join(x for x in notes if x)


def _others_slide(prs, d: Deck) -> None:
    slide = _new_slide(prs, "Autres remarques", f"Atelier « {d.title} » — vues retirées depuis")
    body = "\n".join(remark_line(a, t) for a, t in d.other_remarks)
    _text(slide, MARGIN, TOP, SLIDE_W - 2 * MARGIN, 5.5, body, 14, 8)


def render(d: Deck) -> bytes:
    prs = _presentation(f"Atelier — {d.title}", SLIDE_W, SLIDE_H)
    _title_slide(prs, d)
    for s in d.slides:
        _view_slide(prs, d, s)
    if d.other_remarks:
        _others_slide(prs, d)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
