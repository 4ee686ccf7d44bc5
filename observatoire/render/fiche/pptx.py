"""The fiche as a PowerPoint deck (16:9), built with python-pptx: one idea per slide.

Slides: title; key figures; map; comparison (native table); flows (native bar chart of the
top partners + table); cooperations (native table, continued on more slides if long);
sources. Every text is measured before it is placed (DejaVu Sans metrics, wider than the
theme's Calibri): long texts wrap, then shrink, then end with "…" — nothing overflows.
"""

from __future__ import annotations

import io

from observatoire.render.fiche import static_map
from observatoire.render.fiche.content import FicheContent
from observatoire.render.fiche.formatting import fit_lines, text_width_pt, truncate, wrap

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches
MARGIN = 0.5
CONTENT_TOP = 1.25
FOOTER_Y = 7.05
INK = (0x1F, 0x29, 0x33)
MUTED = (0x5B, 0x66, 0x70)
ACCENT = (0x7A, 0x34, 0x08)
ORANGE = (0xE0, 0x7B, 0x39)
ALERT = (0x9C, 0x2F, 0x3F)
OUT = (0x1D, 0x3A, 0x6E)
HEAD_BG = (0xEE, 0xF1, 0xF4)
RULE = (0xC9, 0xCE, 0xD4)
LINE = 1.2  # line height, in font sizes
# French thousands whatever the viewer's locale ("#,##0" would print 10,683 in an English
# Office): a literal space, with sections so that small numbers get no leading space.
NUMBER_FORMAT = "[<1000]0;[<1000000]# ##0;# ### ##0"
CELL_MARGIN = 0.06  # inches, each side of a table cell


def _rgb(c):
    from pptx.dml.color import RGBColor

    return RGBColor(*c)


def _fit(
    text: str, width_in: float, height_in: float, size: float, min_size: float, bold: bool = False
) -> tuple[str, float]:
    """The largest size (down to ``min_size``) at which ``text`` fits the box; at
    ``min_size`` the text is cut with "…" to the lines that fit."""
    width_pt, height_pt = width_in * 72, height_in * 72
    s = size
    while s >= min_size:
        if len(wrap(text, width_pt, s, bold)) * s * LINE <= height_pt:
            return text, s
        s -= 0.5
    s = min_size
    max_lines = max(1, int(height_pt // (s * LINE)))
    return fit_lines(text, width_pt, s, max_lines, bold), s


def _text(
    slide,
    x,
    y,
    w,
    h,
    text,
    size=14.0,
    min_size=None,
    bold=False,
    color=INK,
    italic=False,
    align=None,
    anchor=None,
):
    """A text box that never overflows (see module docstring)."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    inner_w, inner_h = w - 0.2, h - 0.1  # the box's own insets
    text, size = _fit(text, inner_w, inner_h, size, min_size or size, bold)
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = Inches(0.1)
    tf.margin_top = tf.margin_bottom = Inches(0.05)
    if anchor:
        tf.vertical_anchor = {"middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}[anchor]
    p = tf.paragraphs[0]
    if align:
        p.alignment = align
    run = p.add_run()
    run.text = text
    f = run.font
    f.size = Pt(size)
    f.bold = bold
    f.italic = italic
    f.color.rgb = _rgb(color)
    return box


def _title(slide, text: str, kicker: str = "") -> None:
    from pptx.util import Inches

    if kicker:
        _text(slide, MARGIN, 0.25, SLIDE_W - 2 * MARGIN, 0.35, kicker, 11, color=MUTED)
    title = slide.shapes.title
    if title is None:
        _text(slide, MARGIN, 0.5, SLIDE_W - 2 * MARGIN, 0.7, text, 26, 18, bold=True, color=ACCENT)
        return
    t, size = _fit(text, SLIDE_W - 2 * MARGIN - 0.2, 0.65, 26, 18, bold=True)
    title.left, title.top = Inches(MARGIN), Inches(0.52)
    title.width, title.height = Inches(SLIDE_W - 2 * MARGIN), Inches(0.7)
    tf = title.text_frame
    tf.word_wrap = True
    tf.text = t
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = MSO_ANCHOR.TOP
    for p in tf.paragraphs:
        p.alignment = PP_ALIGN.LEFT
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = True
            r.font.color.rgb = _rgb(ACCENT)


def _footer(slide, c: FicheContent, i: int, n: int) -> None:
    from pptx.enum.text import PP_ALIGN

    left = f"Observatoire des coopérations interterritoriales — Fiche territoire : {c.name}"
    _text(slide, MARGIN, FOOTER_Y, 8.6, 0.32, truncate(left, 110), 9, 7, color=MUTED)
    _text(
        slide,
        SLIDE_W - MARGIN - 3.6,
        FOOTER_Y,
        3.6,
        0.32,
        f"{c.date_text} — {i} / {n}",
        9,
        color=MUTED,
        align=PP_ALIGN.RIGHT,
    )


def _new_slide(prs, title: str | None = None, kicker: str = ""):
    layout = prs.slide_layouts[5]  # "Title Only": the titles make the deck's outline
    slide = prs.slides.add_slide(layout)
    if title is not None:
        _title(slide, title, kicker)
    return slide


# --- tables ----------------------------------------------------------------------------------


def _row_height(cells: list[str], widths: list[float], size: float, bold_first: bool = False) -> float:
    lines = max(
        len(wrap(t, (w - 2 * CELL_MARGIN) * 72, size, bold_first and j == 0))
        for j, (t, w) in enumerate(zip(cells, widths))
    )
    return (lines * size * LINE) / 72 + 2 * 0.05 + 0.02


def _table(
    slide,
    x,
    y,
    widths,
    header,
    rows,
    max_h,
    size=13.0,
    min_size=9.0,
    right_from=1,
    bold_col: int | None = None,
    max_lines: int = 3,
):
    """A native table whose rows are sized for their text: the font shrinks until the whole
    table fits ``max_h`` inches; past ``min_size`` long cells are cut with "…"."""
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches, Pt

    s = size
    while True:
        hs = max(s - 1, min_size)
        heights = [_row_height(header, widths, hs, False)] + [_row_height(r, widths, s) for r in rows]
        if sum(heights) <= max_h or s <= min_size:
            break
        s -= 0.5
    if sum(heights) > max_h:
        rows = [
            [fit_lines(t, (w - 2 * CELL_MARGIN) * 72, s, max_lines) for t, w in zip(r, widths)] for r in rows
        ]
        heights = [_row_height(header, widths, hs, False)] + [_row_height(r, widths, s) for r in rows]
    shape = slide.shapes.add_table(
        len(rows) + 1, len(widths), Inches(x), Inches(y), Inches(sum(widths)), Inches(sum(heights))
    )
    table = shape.table
    # A plain look that prints well: no theme banding.
    tbl_pr = shape._element.graphic.graphicData.tbl.tblPr
    tbl_pr.set("bandRow", "0")
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, h in enumerate(heights):
        table.rows[i].height = Inches(h)
    for i, r in enumerate([header] + rows):
        for j, t in enumerate(r):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(CELL_MARGIN)
            cell.margin_top = cell.margin_bottom = Inches(0.05)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(
                HEAD_BG if i == 0 else ((0xFF,) * 3 if i % 2 else (0xF8, 0xF9, 0xFA))
            )
            tf = cell.text_frame
            tf.word_wrap = True
            p = tf.paragraphs[0]
            p.alignment = PP_ALIGN.RIGHT if j >= right_from else PP_ALIGN.LEFT
            run = p.add_run()
            run.text = t
            run.font.size = Pt(hs if i == 0 else s)
            run.font.bold = i == 0 or (bold_col is not None and j == bold_col)
            run.font.color.rgb = _rgb(INK)
    return shape, sum(heights)


# --- slides ----------------------------------------------------------------------------------


def _slide_title(prs, c: FicheContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0), Inches(0), Inches(0.35), Inches(SLIDE_H))
    bar.fill.solid()
    bar.fill.fore_color.rgb = _rgb(ORANGE)
    bar.line.fill.background()
    _text(
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
    name, size = _fit(c.name, 11.1, 2.3, 44, 26, bold=True)
    name_h = len(wrap(name, 11.1 * 72, size, True)) * size * LINE / 72 + 0.15
    _text(slide, 1.0, 1.9, 11.3, name_h, c.name, 44, 26, bold=True, color=ACCENT)
    y = 1.9 + name_h + 0.1
    _text(slide, 1.0, y, 11.3, 0.9, c.subtitle, 18, 12, color=INK)
    y = max(y + 1.0, 4.6)
    _text(slide, 1.0, y, 11.3, 0.45, f"Document du {c.date_text}", 16, color=INK, bold=True)
    if c.flows is not None:
        note = (
            f"Chiffres Insee (recensement 2018, Filosofi 2019) ; flux {c.flows.kind_label} "
            f"{c.flows.nature_label} {c.flows.year} ; catalogue des coopérations de l'Observatoire."
        )
    else:
        note = (
            "Chiffres Insee (recensement 2018, Filosofi 2019) ; catalogue des coopérations de l'Observatoire."
        )
    _text(slide, 1.0, y + 0.55, 11.3, 0.8, note, 13, 10, color=MUTED)


def _slide_key_figures(prs, c: FicheContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    slide = _new_slide(prs, "Chiffres clés", c.name)
    ncol = 4
    gap = 0.25
    w = (SLIDE_W - 2 * MARGIN - (ncol - 1) * gap) / ncol
    h = 2.6
    for n, kf in enumerate(c.key_figures[:8]):
        x = MARGIN + (n % ncol) * (w + gap)
        y = CONTENT_TOP + 0.1 + (n // ncol) * (h + 0.25)
        edge = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(0.07), Inches(h))
        edge.fill.solid()
        edge.fill.fore_color.rgb = _rgb(ORANGE)
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
        r.font.size, r.font.bold, r.font.color.rgb = Pt(size), True, _rgb(INK)
        if unit:
            r2 = tf.paragraphs[0].add_run()
            r2.text = "\u00a0" + kf.short_unit
            r2.font.size, r2.font.color.rgb = Pt(usize), _rgb(INK)
        label = kf.label + (f" ({kf.unit})" if kf.unit else "")
        _text(slide, x + 0.12, y + 0.8, w - 0.12, 0.85, label, 14, 10.5)
        src = f"Source : {kf.source_short}, {kf.year}"
        _text(slide, x + 0.12, y + 1.65, w - 0.12, 0.55, src, 10.5, 8, color=MUTED)
        if kf.note:
            _text(slide, x + 0.12, y + 2.1, w - 0.12, 0.5, kf.note, 9.5, 7.5, color=MUTED, italic=True)


def _slide_map(prs, c: FicheContent) -> None:
    from pptx.util import Inches

    slide = _new_slide(prs, "Le territoire et ses principaux partenaires", c.name)
    w, h = SLIDE_W - 2 * MARGIN, 5.15
    if not c.has_map:
        _text(slide, MARGIN, CONTENT_TOP + 0.2, w, 1.0, c.map_caption(), 18, 12)
        return
    # Drawn smaller then enlarged: the map's 7 pt texts read at ~10 pt on the slide.
    scale = 1.45
    png = static_map.render(
        c, width_in=w / scale, height_in=h / scale, dpi=int(150 * scale), key_fraction=0.32
    )
    slide.shapes.add_picture(io.BytesIO(png), Inches(MARGIN), Inches(CONTENT_TOP), Inches(w), Inches(h))
    _text(slide, MARGIN, CONTENT_TOP + h + 0.05, w, 0.6, c.map_caption(), 11, 8.5, color=MUTED)


def _slide_comparison(prs, c: FicheContent) -> None:
    slide = _new_slide(prs, "Comparaison avec les références et les pairs", c.name)
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
    _, used = _table(
        slide, MARGIN, CONTENT_TOP + 0.1, widths, header, rows, max_h=4.7, size=13, min_size=9, bold_col=1
    )
    sources = sorted({s.strip() for r in c.comparison for s in r.source.split(" ; ")})
    note = (
        f"Pairs : {c.peers_text}. Rang : 1 = valeur la plus forte parmi le territoire et ses pairs. "
        f"Sources : {' ; '.join(sources)}."
    )
    top = CONTENT_TOP + 0.1 + used + 0.1
    _text(slide, MARGIN, top, SLIDE_W - 2 * MARGIN, FOOTER_Y - top - 0.05, note, 11, 8, color=MUTED)


def _slide_flows(prs, c: FicheContent) -> None:
    fb = c.flows
    if fb is None:
        slide = _new_slide(prs, "Flux domicile-travail", c.name)
        _text(slide, MARGIN, CONTENT_TOP + 0.2, SLIDE_W - 2 * MARGIN, 1.0, c.flows_absent, 18, 12)
        return
    slide = _new_slide(prs, f"Flux {fb.kind_label} : principaux partenaires ({fb.year})", c.name)
    color = ALERT if fb.estimated else INK
    _text(
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
        _text(
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
    cat.format.line.color.rgb = _rgb(RULE)
    val = chart.value_axis
    val.has_major_gridlines = True
    val.major_gridlines.format.line.color.rgb = _rgb((0xE3, 0xE6, 0xEA))
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
    out_s.format.fill.fore_color.rgb = _rgb(OUT)
    # Entering flows hatched: told apart without colour, as on the map (solid / dashed).
    in_s.format.fill.patterned()
    in_s.format.fill.pattern = MSO_PATTERN.WIDE_UPWARD_DIAGONAL
    in_s.format.fill.fore_color.rgb = _rgb(ALERT)
    in_s.format.fill.back_color.rgb = _rgb((0xFF, 0xFF, 0xFF))
    in_s.format.line.color.rgb = _rgb(ALERT)
    in_s.format.line.width = Pt(0.75)


def _flow_table(slide, c: FicheContent, fb, cw: float) -> None:
    tx = MARGIN + cw + 0.25
    tw = SLIDE_W - MARGIN - tx
    rows = [[k, v] for k, v in fb.summary_rows()]
    _, used = _table(
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
    _text(
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
        slide = _new_slide(prs, title, c.name)
        _text(
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
    chunks, cur, h = [], [], _row_height(header, widths, size - 1)
    for r in all_rows:
        rh = _row_height(
            [fit_lines(t, (w - 2 * CELL_MARGIN) * 72, size, 3) for t, w in zip(r, widths)], widths, size
        )
        if cur and (h + rh > max_h or len(cur) >= 9):
            chunks.append(cur)
            cur, h = [], _row_height(header, widths, size - 1)
        cur.append(r)
        h += rh
    chunks.append(cur)
    for i, rows in enumerate(chunks):
        t = title + (f" ({i + 1}/{len(chunks)})" if len(chunks) > 1 else "")
        slide = _new_slide(prs, t, c.name)
        _, used = _table(
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
        _text(
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

    slide = _new_slide(prs, "Sources et millésimes", c.name)
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
        r.font.color.rgb = _rgb(INK)


def render(c: FicheContent) -> bytes:
    """PPTX bytes of the fiche."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = f"Fiche territoire — {c.name}"
    prs.core_properties.author = "Observatoire des coopérations interterritoriales"
    prs.core_properties.language = "fr-FR"
    _slide_title(prs, c)
    _slide_key_figures(prs, c)
    _slide_map(prs, c)
    _slide_comparison(prs, c)
    _slide_flows(prs, c)
    _slide_cooperations(prs, c)
    _slide_sources(prs, c)
    n = len(prs.slides)
    for i, slide in enumerate(prs.slides, start=1):
        if i > 1:
            _footer(slide, c, i, n)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
