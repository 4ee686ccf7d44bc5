"""The building blocks of the fiche's slides (python-pptx): the deck's geometry and colours, text
boxes that never overflow (measured with DejaVu Sans metrics, wider than the theme's Calibri:
long texts wrap, then shrink, then end with "…"), titles, footers, native tables whose rows are
sized for their text."""

from __future__ import annotations

from observatoire.render.fiche.content import FicheContent
from observatoire.render.fiche.formatting import fit_lines, truncate, wrap

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


AUTHOR = "Observatoire des coopérations interterritoriales"


def presentation(title: str, width_in: float, height_in: float):
    """An empty presentation of the given size (inches), its title, author and language set."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(width_in), Inches(height_in)
    prs.core_properties.title = title
    prs.core_properties.author = AUTHOR
    prs.core_properties.language = "fr-FR"
    return prs


def rgb(c):
    from pptx.dml.color import RGBColor

    return RGBColor(*c)


def fit(
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


def text_box(
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
    text, size = fit(text, inner_w, inner_h, size, min_size or size, bold)
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
    f.color.rgb = rgb(color)
    return box


def slide_title(slide, text: str, kicker: str = "") -> None:
    from pptx.util import Inches

    if kicker:
        text_box(slide, MARGIN, 0.25, SLIDE_W - 2 * MARGIN, 0.35, kicker, 11, color=MUTED)
    title = slide.shapes.title
    if title is None:
        text_box(slide, MARGIN, 0.5, SLIDE_W - 2 * MARGIN, 0.7, text, 26, 18, bold=True, color=ACCENT)
        return
    t, size = fit(text, SLIDE_W - 2 * MARGIN - 0.2, 0.65, 26, 18, bold=True)
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
            r.font.color.rgb = rgb(ACCENT)


def footer(slide, c: FicheContent, i: int, n: int) -> None:
    from pptx.enum.text import PP_ALIGN

    left = f"Observatoire des coopérations interterritoriales — Fiche territoire : {c.name}"
    text_box(slide, MARGIN, FOOTER_Y, 8.6, 0.32, truncate(left, 110), 9, 7, color=MUTED)
    text_box(
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


def new_slide(prs, title: str | None = None, kicker: str = ""):
    layout = prs.slide_layouts[5]  # "Title Only": the titles make the deck's outline
    slide = prs.slides.add_slide(layout)
    if title is not None:
        slide_title(slide, title, kicker)
    return slide


# --- tables ----------------------------------------------------------------------------------


def row_height(cells: list[str], widths: list[float], size: float, bold_first: bool = False) -> float:
    lines = max(
        len(wrap(t, (w - 2 * CELL_MARGIN) * 72, size, bold_first and j == 0))
        for j, (t, w) in enumerate(zip(cells, widths))
    )
    return (lines * size * LINE) / 72 + 2 * 0.05 + 0.02


def add_table(
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
        heights = [row_height(header, widths, hs, False)] + [row_height(r, widths, s) for r in rows]
        if sum(heights) <= max_h or s <= min_size:
            break
        s -= 0.5
    if sum(heights) > max_h:
        rows = [
            [fit_lines(t, (w - 2 * CELL_MARGIN) * 72, s, max_lines) for t, w in zip(r, widths)] for r in rows
        ]
        heights = [row_height(header, widths, hs, False)] + [row_height(r, widths, s) for r in rows]
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
            cell.fill.fore_color.rgb = rgb(
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
            run.font.color.rgb = rgb(INK)
    return shape, sum(heights)
