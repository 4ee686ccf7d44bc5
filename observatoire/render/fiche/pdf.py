"""The fiche as a PDF (A4 portrait), laid out with reportlab platypus.

Page 1: title, key figures, map. Then the comparison, the flows, the cooperations and the
sources, flowing onto as many pages as needed (tables repeat their header row).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from observatoire.render.fiche import panel, static_map
from observatoire.render.fiche.content import FicheContent
from observatoire.render.fiche.formatting import font_path, text_width_pt, truncate
from observatoire.text import NBSP, NNBSP, number, share

FONT, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
INK = "#1f2933"
MUTED = "#5b6670"
ACCENT = "#7a3408"
ALERT = "#9c2f3f"
RULE = "#c9ced4"
HEAD_BG = "#eef1f4"


def document(buf, pagesize, margins: tuple[float, float, float], title: str, subject: str | None = None):
    """A reportlab document writing into `buf`: side, top and bottom margins (points), its
    title, subject, author and language set."""
    from reportlab.platypus import SimpleDocTemplate

    side, top, bottom = margins
    return SimpleDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=side,
        rightMargin=side,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author="Observatoire des coopérations interterritoriales",
        subject=subject,
        lang="fr-FR",
    )


def _register_fonts() -> None:
    import os

    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf = os.path.dirname(font_path())
    pdfmetrics.registerFont(TTFont(FONT, font_path()))
    pdfmetrics.registerFont(TTFont(BOLD, font_path(bold=True)))
    pdfmetrics.registerFont(TTFont(ITALIC, os.path.join(ttf, "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-BoldOblique", os.path.join(ttf, "DejaVuSans-BoldOblique.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, BOLD)
    addMapping(FONT, 0, 1, ITALIC)
    addMapping(FONT, 1, 1, "DejaVuSans-BoldOblique")


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11, textColor=colors.HexColor(INK))
    return {
        "base": base,
        "kicker": ParagraphStyle(
            "kicker", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor(MUTED)
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD,
            fontSize=20,
            leading=24,
            textColor=colors.HexColor(ACCENT),
            spaceBefore=2,
            spaceAfter=3,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=9, leading=12, textColor=colors.HexColor(MUTED)
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor(ACCENT),
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3
        ),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7, leading=9, textColor=colors.HexColor(MUTED)
        ),
        "alert": ParagraphStyle(
            "alert", parent=base, fontName=BOLD, fontSize=9, leading=12, textColor=colors.HexColor(ALERT)
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=BOLD, fontSize=7.8, leading=9.6),
        "cellr": ParagraphStyle("cellr", parent=base, fontSize=7.8, leading=9.6, alignment=TA_RIGHT),
        "cellrb": ParagraphStyle(
            "cellrb", parent=base, fontName=BOLD, fontSize=7.8, leading=9.6, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7.3, leading=9),
        "headr": ParagraphStyle(
            "headr", parent=base, fontName=BOLD, fontSize=7.3, leading=9, alignment=TA_RIGHT
        ),
        "kvalue": ParagraphStyle(
            "kvalue", parent=base, fontName=BOLD, fontSize=14, leading=17, textColor=colors.HexColor(INK)
        ),
        "klabel": ParagraphStyle("klabel", parent=base, fontSize=7.8, leading=9.5),
        "ksource": ParagraphStyle(
            "ksource", parent=base, fontSize=6.3, leading=7.8, textColor=colors.HexColor(MUTED)
        ),
        "bullet": ParagraphStyle(
            "bullet", parent=base, fontSize=7.8, leading=10, leftIndent=10, bulletIndent=0, spaceAfter=2
        ),
    }


def _markup(text, size: float) -> str:
    """Escaped Paragraph markup. reportlab breaks lines at U+202F (and would print a plain
    space): the narrow no-break space becomes a no-break space set smaller, which keeps
    « 210 047 » together and narrow."""
    return escape(str(text)).replace(NNBSP, f'<font size="{size * 0.55:.1f}">{NBSP}</font>')


def _p(text, style) -> object:
    from reportlab.platypus import Paragraph

    return Paragraph(_markup(text, style.fontSize), style)


def _table(rows, widths, header_rows: int = 1, zebra: bool = True, align_right_from: int | None = None):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    t = Table(rows, colWidths=widths, repeatRows=header_rows)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, colors.HexColor(INK)),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, colors.HexColor(RULE)),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor(HEAD_BG)))
    t.setStyle(TableStyle(style))
    return t


def _key_figures(c: FicheContent, st, width):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    cells = []
    for kf in c.key_figures:
        label = kf.label + (f" ({kf.unit})" if kf.unit else "")
        src = f"Source : {kf.source_short}, {kf.year}"
        block = [_value(kf, st, width / 4 - 12), _p(label, st["klabel"]), _p(src, st["ksource"])]
        if kf.note:
            block.append(_p(kf.note, st["ksource"]))
        cells.append(block)
    ncol = 4
    while len(cells) % ncol:
        cells.append("")
    rows = [cells[i : i + ncol] for i in range(0, len(cells), ncol)]
    t = Table(rows, colWidths=[width / ncol] * ncol)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBEFORE", (0, 0), (-1, -1), 2, colors.HexColor("#e07b39")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return t


def _value(kf, st, avail: float):
    """The big figure and its short unit, on one line (smaller figure if needed)."""
    from reportlab.platypus import Paragraph

    size, usize = 14.0, 8.5
    unit = f" {kf.short_unit}" if kf.short_unit else ""
    while size > 10 and (text_width_pt(kf.number_text, size, bold=True) + text_width_pt(unit, usize)) > avail:
        size -= 0.5
    sep = (
        NBSP if text_width_pt(kf.number_text, size, bold=True) + text_width_pt(unit, usize) <= avail else " "
    )
    markup = _markup(kf.number_text, size)
    if unit:
        markup += f'<font name="{FONT}" size="{usize}">{sep}{_markup(kf.short_unit, usize)}</font>'
    return Paragraph(markup, st["kvalue"].clone("kv", fontSize=size, leading=size * 1.25))


def _comparison(c: FicheContent, st, width):
    from reportlab.lib.units import cm

    head = (
        ["Indicateur (unité, année)", truncate(c.name, 28)]
        + [truncate(n, 18) for n in c.reference_names]
        + ["Médiane des pairs", "Rang"]
    )
    rows = [[_p(head[0], st["head"])] + [_p(h, st["headr"]) for h in head[1:]]]
    for r in c.comparison:
        label = f"{r.label} ({r.unit}, {r.year})"
        cells = r.cells()
        rows.append(
            [_p(label, st["cell"]), _p(cells[0], st["cellrb"])] + [_p(x, st["cellr"]) for x in cells[1:]]
        )
    n_num = len(head) - 1
    first = 6.2 * cm
    return _table(rows, [first] + [(width - first) / n_num] * n_num)


def _panel(c: FicheContent, st, width) -> list:
    """The comparison panel at a glance (as on the Comparer page), its sources under it."""
    from reportlab.platypus import Image, KeepTogether, Spacer

    if not c.panel:
        return []
    png = panel.render(c.panel, c.reference_names, c.name, width_in=width / 72, dpi=200)
    w, h = _png_size(png)
    img = Image(io.BytesIO(png), width=width, height=width * h / w)
    return [
        KeepTogether([_p("Le territoire parmi ses pairs, en un coup d'œil", st["h3"]), img]),
        Spacer(1, 6),
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _flows(c: FicheContent, st, width):
    from reportlab.lib.units import cm
    from reportlab.platypus import Spacer, Table, TableStyle

    fb = c.flows
    out = []
    if fb is None:
        out.append(_p(c.flows_absent, st["base"]))
        return out
    head = f"Flux {fb.kind_label} {fb.nature_label}, {fb.year}"
    out.append(_p(head, st["alert"] if fb.estimated else st["h3"]))
    out.append(_p(fb.coverage_sentence, st["small"]))
    out.append(Spacer(1, 4))
    summary = [[_p(k, st["cell"]), _p(v, st["cellrb"])] for k, v in fb.summary_rows()]
    t = _table(
        [[_p("Ensemble des navettes", st["head"]), _p("Actifs", st["headr"])]] + summary, [9 * cm, 3 * cm]
    )
    t.hAlign = "LEFT"
    out.append(t)
    out.append(Spacer(1, 6))

    def top(parts, title):
        rows = [
            [_p("#", st["head"]), _p(title, st["head"]), _p("Actifs", st["headr"]), _p("Part", st["headr"])]
        ]
        for p in parts:
            rows.append(
                [
                    _p(str(p.rank), st["cell"]),
                    _p(truncate(p.name, 60), st["cell"]),
                    _p(number(p.value), st["cellr"]),
                    _p(share(p.share), st["cellr"]),
                ]
            )
        if len(rows) == 1:
            gone = (parts is fb.top_out and "sortant" in fb.uncovered) or (
                parts is fb.top_in and "entrant" in fb.uncovered
            )
            text = "non calculable à partir de ce fichier" if gone else "aucun flux connu"
            rows.append(["", _p(text, st["cell"]), "", ""])
        half = (width - 0.4 * cm) / 2
        return _table(rows, [0.6 * cm, half - 3.6 * cm, 1.7 * cm, 1.3 * cm])

    pair = Table(
        [
            [
                top(fb.top_out, "Principales destinations (sortants)"),
                top(fb.top_in, "Principales origines (entrants)"),
            ]
        ],
        colWidths=[width / 2, width / 2],
    )
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    out.append(pair)
    level = {"epci": "EPCI", "commune": "communes", "departement": "départements"}.get(
        fb.partner_level, fb.partner_level
    )
    out.append(Spacer(1, 3))
    out.append(
        _p(
            f"Partenaires regroupés par {level} ; part = part du total de chaque sens. "
            f"Source : {fb.producer} ({fb.label}).",
            st["small"],
        )
    )
    return out


def _cooperations(c: FicheContent, st, width):
    from reportlab.lib.units import cm

    if not c.cooperations:
        return [
            _p(
                "Aucune coopération recensée dans le catalogue de l'Observatoire pour ce territoire "
                f"({c.cooperation_scope}).",
                st["base"],
            )
        ]
    rows = [[_p(h, st["head"]) for h in ("Coopération", "Forme", "Statut", "Début", "Source")]]
    for k in c.cooperations:
        rows.append(
            [
                _p(truncate(k.name, 140), st["cell"]),
                _p(k.form, st["cell"]),
                _p(k.status, st["cell"]),
                _p(k.start or "—", st["cell"]),
                _p(truncate(k.source, 90), st["cell"]),
            ]
        )
    w = [7.4 * cm, 3.3 * cm, 1.9 * cm, 1.3 * cm]
    return [_table(rows, w + [width - sum(w)])]


def render(c: FicheContent) -> bytes:
    """PDF bytes of the fiche."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        Spacer,
    )

    _register_fonts()
    st = _styles()
    margin = 1.5 * cm
    top, bottom = 1.3 * cm, 1.6 * cm
    width = A4[0] - 2 * margin - 12  # the frame's own 6 pt paddings
    frame_h = A4[1] - top - bottom - 12
    footer_left = truncate(
        f"Observatoire des coopérations interterritoriales — Fiche territoire : {c.name}", 95
    )

    class NumberedCanvas(rl_canvas.Canvas):
        """Footer with « page n / N » (needs every page first)."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 6.8)
                self.setFillColor(colors.HexColor(MUTED))
                self.setStrokeColor(colors.HexColor(RULE))
                self.line(margin, 1.15 * cm, A4[0] - margin, 1.15 * cm)
                self.drawString(margin, 0.8 * cm, footer_left)
                self.drawRightString(
                    A4[0] - margin, 0.8 * cm, f"{c.date_text} — page {self._pageNumber} / {total}"
                )
                super().showPage()
            super().save()

    buf = io.BytesIO()
    doc = document(
        buf, A4, (margin, top, bottom), f"Fiche territoire — {c.name}", f"{c.level_label} {c.code}"
    )
    story: list = [
        _p(
            f"Observatoire des coopérations interterritoriales — fiche territoire — {c.date_text}",
            st["kicker"],
        ),
        _p(c.name, st["title"]),
        _p(c.subtitle, st["subtitle"]),
        Spacer(1, 4),
        _p("Chiffres clés", st["h2"]),
        _key_figures(c, st, width),
    ]
    # The map takes the rest of page 1.
    heading = _p("Le territoire et ses principaux partenaires", st["h2"])
    caption = _p(c.map_caption(), st["small"])
    used = sum(
        f.wrap(width, frame_h)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in [*story, heading, caption]
    )
    map_h = max(min(width * 0.95, frame_h - used - 14), width * 0.5)
    if c.has_map:
        png = static_map.render(c, width_in=width / 72, height_in=map_h / 72, dpi=200)
        img = Image(io.BytesIO(png), width=width, height=map_h)
        story += [KeepTogether([heading, img, caption]), PageBreak()]
    else:
        story += [heading, caption, PageBreak()]

    story += [
        _p("Comparaison avec les territoires de référence et les pairs", st["h2"]),
        _p(
            f"Pairs : {c.peers_text}. Rang : 1 = valeur la plus forte parmi le territoire et ses pairs.",
            st["small"],
        ),
        Spacer(1, 4),
        *_panel(c, st, width),
        _comparison(c, st, width),
    ]
    sources = sorted({s.strip() for r in c.comparison for s in r.source.split(" ; ")})
    story.append(Spacer(1, 3))
    story.append(_p("Sources : " + " ; ".join(sources) + ".", st["small"]))
    story += [CondPageBreak(8 * cm), _p("Flux domicile-travail : principaux partenaires", st["h2"])]
    story += _flows(c, st, width)
    story += [
        CondPageBreak(5 * cm),
        _p("Coopérations auxquelles le territoire participe", st["h2"]),
        _p(f"Catalogue de l'Observatoire : {c.cooperation_scope} ({len(c.cooperations)}).", st["small"]),
        *[_p(sentence, st["small"]) for sentence in c.catalogue_coverage],
        Spacer(1, 3),
    ]
    story += _cooperations(c, st, width)
    story += [CondPageBreak(4 * cm), _p("Sources et millésimes", st["h2"])]
    for s in c.sources:
        story.append(Paragraph(_markup(s, st["bullet"].fontSize), st["bullet"], bulletText="•"))
    doc.build(story, canvasmaker=NumberedCanvas)
    return buf.getvalue()
