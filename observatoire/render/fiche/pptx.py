"""The fiche as a PowerPoint deck (16:9), built with python-pptx: one idea per slide.

Slides: title; key figures; map; comparison (native table); flows (native bar chart of the
top partners + table); cooperations (native table, continued on more slides if long);
sources. Every text is measured before it is placed (DejaVu Sans metrics, wider than the
theme's Calibri): long texts wrap, then shrink, then end with "…" — nothing overflows.
"""

from __future__ import annotations

import io

from observatoire.render.fiche import panel, static_map
from observatoire.render.fiche import pptx_parts as parts
from observatoire.render.fiche.content import FicheContent
from observatoire.render.fiche.formatting import fit_lines, text_width_pt, truncate, wrap
from observatoire.render.fiche.pptx_parts import (
    ACCENT,
    ALERT,
    CELL_MARGIN,
    CONTENT_TOP,
    FOOTER_Y,
    INK,
    LINE,
    MARGIN,
    MUTED,
    NUMBER_FORMAT,
    ORANGE,
    OUT,
    RULE,
    SLIDE_H,
    SLIDE_W,
)

# --- slides ----------------------------------------------------------------------------------


def _slide_title(prs, c: FicheContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0), Inches(0), Inches(0.35), Inches(SLIDE_H))
    bar.fill.solid()
    bar.fill.fore_color.rgb = parts.rgb(ORANGE)
    bar.line.fill.background()
    parts.text_box(
        slide,
        1.0,
        1.3,
        11.3,
        0.45,
        "Observatoire des coopérations interterritoriales — fiche territoire",
        16,
        12,
        color=MUTED,
    )
    # The name takes the room it needs (up to three lines), the rest follows it.
    name, size = parts.fit(c.name, 11.1, 2.3, 44, 26, bold=True)
    name_h = len(wrap(name, 11.1 * 72, size, True)) * size * LINE / 72 + 0.15
    parts.text_box(slide, 1.0, 1.9, 11.3, name_h, c.name, 44, 26, bold=True, color=ACCENT)
    y = 1.9 + name_h + 0.1
    parts.text_box(slide, 1.0, y, 11.3, 0.9, c.subtitle, 18, 12, color=INK)
    y = max(y + 1.0, 4.6)
    parts.text_box(slide, 1.0, y, 11.3, 0.45, f"Document du {c.date_text}", 16, color=INK, bold=True)
    if c.flows is not None:
        note = (
            f"Chiffres Insee (recensement 2018, Filosofi 2019) ; flux {c.flows.kind_label} "
            f"{c.flows.nature_label} {c.flows.year} ; catalogue des coopérations de l'Observatoire."
        )
    else:
        note = (
            "Chiffres Insee (recensement 2018, Filosofi 2019) ; catalogue des coopérations de l'Observatoire."
        )
    parts.text_box(slide, 1.0, y + 0.55, 11.3, 0.8, note, 13, 10, color=MUTED)


def _slide_key_figures(prs, c: FicheContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    slide = parts.new_slide(prs, "Chiffres clés", c.name)
    ncol = 4
    gap = 0.25
    w = (SLIDE_W - 2 * MARGIN - (ncol - 1) * gap) / ncol
    h = 2.6
    for n, kf in enumerate(c.key_figures[:8]):
        x = MARGIN + (n % ncol) * (w + gap)
        y = CONTENT_TOP + 0.1 + (n // ncol) * (h + 0.25)
        edge = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(0.07), Inches(h))
        edge.fill.solid()
        edge.fill.fore_color.rgb = parts.rgb(ORANGE)
        edge.line.fill.background()
        # The value (big) and its short unit (smaller), on one line.
        size, usize = 30.0, 15.0
        unit = f" {kf.short_unit}" if kf.short_unit else ""
        avail = (w - 0.35) * 72
        while size > 16 and text_width_pt(kf.number_text, size, True) + text_width_pt(unit, usize) > avail:
            size -= 1
            usize = max(11.0, usize - 0.5)
        box = slide.shapes.add_textbox(Inches(x + 0.12), Inches(y), Inches(w - 0.12), Inches(0.75))
        tf = box.text_frame
        tf.word_wrap = True
        r = tf.paragraphs[0].add_run()
        r.text = kf.number_text
        r.font.size, r.font.bold, r.font.color.rgb = Pt(size), True, parts.rgb(INK)
        if unit:
            r2 = tf.paragraphs[0].add_run()
            r2.text = "\u00a0" + kf.short_unit
            r2.font.size, r2.font.color.rgb = Pt(usize), parts.rgb(INK)
        label = kf.label + (f" ({kf.unit})" if kf.unit else "")
        parts.text_box(slide, x + 0.12, y + 0.8, w - 0.12, 0.85, label, 14, 10.5)
        src = f"Source : {kf.source_short}, {kf.year}"
        parts.text_box(slide, x + 0.12, y + 1.65, w - 0.12, 0.55, src, 10.5, 8, color=MUTED)
        if kf.note:
            parts.text_box(
                slide, x + 0.12, y + 2.1, w - 0.12, 0.5, kf.note, 9.5, 7.5, color=MUTED, italic=True
            )


def _slide_map(prs, c: FicheContent) -> None:
    from pptx.util import Inches

    slide = parts.new_slide(prs, "Le territoire et ses principaux partenaires", c.name)
    w, h = SLIDE_W - 2 * MARGIN, 5.15
    if not c.has_map:
        parts.text_box(slide, MARGIN, CONTENT_TOP + 0.2, w, 1.0, c.map_caption(), 18, 12)
        return
    # Drawn smaller then enlarged: the map's 7 pt texts read at ~10 pt on the slide.
    scale = 1.45
    png = static_map.render(
        c, width_in=w / scale, height_in=h / scale, dpi=int(150 * scale), key_fraction=0.32
    )
    slide.shapes.add_picture(io.BytesIO(png), Inches(MARGIN), Inches(CONTENT_TOP), Inches(w), Inches(h))
    parts.text_box(slide, MARGIN, CONTENT_TOP + h + 0.05, w, 0.6, c.map_caption(), 11, 8.5, color=MUTED)


PANEL_TITLE = "Le territoire parmi ses pairs, en un coup d'œil"


def _slide_panel(prs, c: FicheContent) -> None:
    """The comparison panel as on the Comparer page (a picture, its sources in it)."""
    from pptx.util import Inches

    if not c.panel:
        return
    slide = parts.new_slide(prs, PANEL_TITLE, c.name)
    avail_w, avail_h = SLIDE_W - 2 * MARGIN, FOOTER_Y - CONTENT_TOP - 0.1
    scale = 1.35  # drawn smaller then enlarged: its 7.5-pt texts read at ~10 pt
    png = panel.render(c.panel, c.reference_names, c.name, width_in=avail_w / scale, dpi=int(150 * scale))
    w_px, h_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    w, h = avail_w, avail_w * h_px / w_px
    if h > avail_h:  # many indicators: fit the height
        w, h = avail_h * w_px / h_px, avail_h
    slide.shapes.add_picture(io.BytesIO(png), Inches(MARGIN), Inches(CONTENT_TOP), Inches(w), Inches(h))


def _slide_comparison(prs, c: FicheContent) -> None:
    slide = parts.new_slide(prs, "Comparaison avec les références et les pairs", c.name)
    n_ref = len(c.reference_names)
    first = 4.3
    rest = (SLIDE_W - 2 * MARGIN - first) / (n_ref + 3)
    widths = [first] + [rest] * (n_ref + 3)
    header = (
        ["Indicateur (unité, année)", truncate(c.name, 30)]
        + [truncate(n, 22) for n in c.reference_names]
        + ["Médiane des pairs", "Rang"]
    )
    rows = [[f"{r.label} ({r.unit}, {r.year})"] + r.cells() for r in c.comparison]
    _, used = parts.add_table(
        slide, MARGIN, CONTENT_TOP + 0.1, widths, header, rows, max_h=4.7, size=13, min_size=9, bold_col=1
    )
    sources = sorted({s.strip() for r in c.comparison for s in r.source.split(" ; ")})
    note = (
        f"Pairs : {c.peers_text}. Rang : 1 = valeur la plus forte parmi le territoire et ses pairs. "
        f"Sources : {' ; '.join(sources)}."
    )
    top = CONTENT_TOP + 0.1 + used + 0.1
    parts.text_box(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, FOOTER_Y - top - 0.05, note, 11, 8, color=MUTED)


def _slide_flows(prs, c: FicheContent) -> None:
    fb = c.flows
    if fb is None:
        slide = parts.new_slide(prs, "Flux domicile-travail", c.name)
        parts.text_box(slide, MARGIN, CONTENT_TOP + 0.2, SLIDE_W - 2 * MARGIN, 1.0, c.flows_absent, 18, 12)
        return
    slide = parts.new_slide(prs, f"Flux {fb.kind_label} : principaux partenaires ({fb.year})", c.name)
    color = ALERT if fb.estimated else INK
    parts.text_box(
        slide,
        MARGIN,
        CONTENT_TOP - 0.05,
        SLIDE_W - 2 * MARGIN,
        0.45,
        f"Flux {fb.nature_label}" + (" — ordres de grandeur, non observés" if fb.estimated else ""),
        16,
        12,
        bold=True,
        color=color,
    )
    cw, ch = 7.7, 4.85
    if not fb.chart:
        parts.text_box(
            slide,
            MARGIN,
            CONTENT_TOP + 0.6,
            cw,
            1.2,
            "Aucun flux avec un autre territoire dans ce jeu de données.",
            16,
            12,
        )
    else:
        _flow_chart(slide, fb, cw, ch)
    _flow_table(slide, c, fb, cw)


def _flow_chart(slide, fb, cw: float, ch: float) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
    from pptx.enum.dml import MSO_PATTERN
    from pptx.util import Inches, Pt

    data = CategoryChartData(number_format="0")  # (python-pptx writes this one unescaped)
    data.categories = [truncate(r["name"], 34) for r in fb.chart]
    data.add_series("Sortants (résidents qui partent)", [r["sortant"] for r in fb.chart])
    data.add_series("Entrants (actifs qui viennent)", [r["entrant"] for r in fb.chart])
    gf = slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_CLUSTERED, Inches(MARGIN), Inches(CONTENT_TOP + 0.42), Inches(cw), Inches(ch), data
    )
    chart = gf.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(11)
    chart.font.size = Pt(10.5 if len(fb.chart) <= 8 else 9)
    cat = chart.category_axis
    cat.reverse_order = True  # the first partner on top
    cat.tick_labels.font.size = Pt(10.5 if len(fb.chart) <= 8 else 9)
    cat.format.line.color.rgb = parts.rgb(RULE)
    val = chart.value_axis
    val.has_major_gridlines = True
    val.major_gridlines.format.line.color.rgb = parts.rgb((0xE3, 0xE6, 0xEA))
    val.tick_labels.number_format = NUMBER_FORMAT
    val.tick_labels.number_format_is_linked = False
    val.tick_labels.font.size = Pt(9)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = -10
    plot.has_data_labels = True
    dl = plot.data_labels
    dl.number_format = NUMBER_FORMAT
    dl.number_format_is_linked = False
    dl.position = XL_LABEL_POSITION.OUTSIDE_END
    dl.font.size = Pt(9)
    out_s, in_s = plot.series
    out_s.format.fill.solid()
    out_s.format.fill.fore_color.rgb = parts.rgb(OUT)
    # Entering flows hatched: told apart without colour, as on the map (solid / dashed).
    in_s.format.fill.patterned()
    in_s.format.fill.pattern = MSO_PATTERN.WIDE_UPWARD_DIAGONAL
    in_s.format.fill.fore_color.rgb = parts.rgb(ALERT)
    in_s.format.fill.back_color.rgb = parts.rgb((0xFF, 0xFF, 0xFF))
    in_s.format.line.color.rgb = parts.rgb(ALERT)
    in_s.format.line.width = Pt(0.75)


def _flow_table(slide, c: FicheContent, fb, cw: float) -> None:
    tx = MARGIN + cw + 0.25
    tw = SLIDE_W - MARGIN - tx
    rows = [[k, v] for k, v in fb.summary_rows()]
    _, used = parts.add_table(
        slide,
        tx,
        CONTENT_TOP + 0.5,
        [tw - 1.35, 1.35],
        ["Ensemble des navettes", "Actifs"],
        rows,
        max_h=3.1,
        size=12,
        min_size=9,
    )
    top = CONTENT_TOP + 0.5 + used + 0.12
    parts.text_box(
        slide,
        tx,
        top,
        tw,
        FOOTER_Y - top - 0.05,
        fb.coverage_sentence + f" Source : {fb.producer}.",
        11,
        8,
        color=ALERT if fb.estimated else MUTED,
    )


def _slide_cooperations(prs, c: FicheContent) -> int:
    """One or more slides (the table continues); returns how many."""
    title = "Coopérations auxquelles le territoire participe"
    if not c.cooperations:
        slide = parts.new_slide(prs, title, c.name)
        parts.text_box(
            slide,
            MARGIN,
            CONTENT_TOP + 0.2,
            SLIDE_W - 2 * MARGIN,
            1.2,
            "Aucune coopération recensée dans le catalogue de l'Observatoire pour ce territoire "
            f"({c.cooperation_scope}). {c.catalogue_coverage_short}",
            18,
            12,
        )
        return 1
    widths = [5.4, 2.5, 1.35, 0.9, SLIDE_W - 2 * MARGIN - 10.15]
    header = ["Coopération", "Forme", "Statut", "Début", "Source"]
    all_rows = [
        [truncate(k.name, 150), k.form, k.status, k.start or "—", truncate(k.source, 90)]
        for k in c.cooperations
    ]
    size, max_h = 12.0, 4.85
    chunks, cur, h = [], [], parts.row_height(header, widths, size - 1)
    for r in all_rows:
        rh = parts.row_height(
            [fit_lines(t, (w - 2 * CELL_MARGIN) * 72, size, 3) for t, w in zip(r, widths)], widths, size
        )
        if cur and (h + rh > max_h or len(cur) >= 9):
            chunks.append(cur)
            cur, h = [], parts.row_height(header, widths, size - 1)
        cur.append(r)
        h += rh
    chunks.append(cur)
    for i, rows in enumerate(chunks):
        t = title + (f" ({i + 1}/{len(chunks)})" if len(chunks) > 1 else "")
        slide = parts.new_slide(prs, t, c.name)
        _, used = parts.add_table(
            slide,
            MARGIN,
            CONTENT_TOP + 0.1,
            widths,
            header,
            rows,
            max_h=max_h,
            size=size,
            min_size=9,
            right_from=99,
        )
        note = (
            f"Catalogue de l'Observatoire : {c.cooperation_scope} ({len(c.cooperations)} au total). "
            f"Statut et sources tels que documentés dans le catalogue. {c.catalogue_coverage_short}"
        )
        top = CONTENT_TOP + 0.1 + used + 0.1
        parts.text_box(
            slide,
            MARGIN,
            top,
            SLIDE_W - 2 * MARGIN,
            min(0.6, FOOTER_Y - top - 0.05),
            note,
            11,
            8,
            color=MUTED,
        )
    return len(chunks)


def _slide_sources(prs, c: FicheContent) -> None:
    from pptx.util import Inches, Pt

    slide = parts.new_slide(prs, "Sources et millésimes", c.name)
    w, h = SLIDE_W - 2 * MARGIN, FOOTER_Y - CONTENT_TOP - 0.15
    size = 14.0
    while size > 8:
        lines = sum(len(wrap("• " + s, (w - 0.2) * 72, size)) for s in c.sources)
        if lines * size * LINE + len(c.sources) * size * 0.35 <= (h - 0.1) * 72:
            break
        size -= 0.5
    box = slide.shapes.add_textbox(Inches(MARGIN), Inches(CONTENT_TOP + 0.1), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    for i, s in enumerate(c.sources):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.space_after = Pt(size * 0.35)
        r = p.add_run()
        r.text = "• " + s
        r.font.size = Pt(size)
        r.font.color.rgb = parts.rgb(INK)


def render(c: FicheContent) -> bytes:
    """PPTX bytes of the fiche."""
    prs = parts.presentation(f"Fiche territoire — {c.name}", SLIDE_W, SLIDE_H)
    _slide_title(prs, c)
    _slide_key_figures(prs, c)
    _slide_map(prs, c)
    _slide_panel(prs, c)
    _slide_comparison(prs, c)
    _slide_flows(prs, c)
    _slide_cooperations(prs, c)
    _slide_sources(prs, c)
    n = len(prs.slides)
    for i, slide in enumerate(prs.slides, start=1):
        if i > 1:
            parts.footer(slide, c, i, n)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
