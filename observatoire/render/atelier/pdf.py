"""An atelier as a PDF (A4 landscape, reportlab): a cover page, then one page per view — map
left, key figures (and the view's flows or comparison) right, then note, questions, remarks
and sources. Every text is escaped: what participants typed is printed, never interpreted."""

from __future__ import annotations

import io

from observatoire.render.atelier import Deck, ViewSlide, remark_line
from observatoire.render.fiche import static_map
from observatoire.render.fiche.pdf import _p, _register_fonts, _styles, _table, document
from observatoire.text import number


def _grid(rows: list[list[str]], st, widths: list[float]):
    """A table of paragraphs (wrapped, escaped): header row bold, numbers right-aligned."""
    out = [[_p(t, st["head"] if i == 0 else st["headr"]) for i, t in enumerate(rows[0])]]
    out += [[_p(t, st["cell"] if i == 0 else st["cellr"]) for i, t in enumerate(r)] for r in rows[1:]]
    return _table(out, widths)


def _right(s: ViewSlide, st, width: float) -> list:
    from reportlab.platypus import Spacer

    out: list = []
    rows = [["Chiffre clé", "Valeur", "Source"]]
    for kf in s.figures[: 4 if s.chart else 7]:
        label = kf.label + (f" ({kf.unit})" if kf.unit else "")
        rows.append([label, kf.text, f"{kf.source_short}, {kf.year}"])
    if len(rows) > 1:
        out.append(_grid(rows, st, [width * 0.42, width * 0.24, width * 0.34]))
    c = s.content
    if s.chart == "flows" and c is not None:
        fb = c.flows
        out.append(Spacer(1, 6))
        if fb is None:
            out.append(_p(c.flows_absent, st["small"]))
        else:
            out.append(_p(f"Flux {fb.kind_label} {fb.year} ({fb.nature_label}) — {fb.producer}", st["h3"]))
            flows = [["Partenaire", "Sortants", "Entrants"]]
            flows += [[r["name"], number(r["sortant"]), number(r["entrant"])] for r in fb.chart[:6]]
            out.append(_grid(flows, st, [width * 0.5, width * 0.25, width * 0.25]))
            out.append(_p(fb.coverage_sentence, st["small"]))
    if s.chart == "comparison" and c is not None and c.comparison:
        out.append(Spacer(1, 6))
        out.append(_p(f"Comparaison — pairs : {c.peers_text}", st["h3"]))
        comp = [["Indicateur", "Valeur", "Médiane des pairs", "Rang"]]
        for row in c.comparison[:6]:
            cells = row.cells()
            comp.append([row.label, cells[0], cells[-2], cells[-1]])
        out.append(_grid(comp, st, [width * 0.46, width * 0.18, width * 0.2, width * 0.16]))
    return out


def _view(s: ViewSlide, st, width: float, height: float) -> list:
    from reportlab.platypus import Image, PageBreak, Spacer, Table, TableStyle

    story: list = [_p(s.kicker, st["kicker"]), _p(s.title, st["title"])]
    left_w, right_w = width * 0.52, width * 0.46
    map_h = height * 0.5
    if s.problem:
        left = [_p(f"Vue indisponible : {s.problem}", st["alert"])]
    elif s.content is not None and s.content.has_map:
        png = static_map.render(s.content, width_in=left_w / 72, height_in=map_h / 72, dpi=150)
        left = [Image(io.BytesIO(png), width=left_w, height=map_h)]
    else:
        left = [_p("Vue d'ensemble : pas de carte statique à ce niveau.", st["small"])]
    right = [] if s.problem else _right(s, st, right_w)
    grid = Table([[left, right]], colWidths=[left_w + 6, right_w])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [grid, Spacer(1, 6)]
    story.append(_p("Note", st["h3"]))
    story.append(_p(s.note or "—", st["base"]))
    story.append(_p("Questions pour le débat", st["h3"]))
    story += [_p(f"• {q}", st["base"]) for q in s.questions] or [_p("—", st["base"])]
    story.append(_p("Remarques des participants", st["h3"]))
    story += [_p(remark_line(a, t), st["base"]) for a, t in s.remarks] or [_p("—", st["base"])]
    sources = "; ".join(s.sources()[:4])
    story.append(Spacer(1, 4))
    story.append(
        _p(f"Vue en direct : {s.link}" + (f" — Sources : {sources}" if sources else ""), st["small"])
    )
    story.append(PageBreak())
    return story


def render(d: Deck) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak

    _register_fonts()
    st = _styles()
    size = landscape(A4)
    margin = 1.2 * cm
    width, height = size[0] - 2 * margin - 12, size[1] - 2 * margin - 12
    buf = io.BytesIO()
    doc = document(buf, size, (margin, margin, margin), f"Atelier — {d.title}")
    story: list = [
        _p(f"Observatoire des coopérations interterritoriales — atelier — {d.date_text}", st["kicker"]),
        _p(d.title, st["title"]),
    ]
    for s in d.slides:
        where = f" ({s.territory_name})" if s.territory_name else ""
        story.append(_p(f"{s.number}. {s.title} — page {s.page_title}{where}", st["base"]))
    story.append(PageBreak())
    for s in d.slides:
        story += _view(s, st, width, height)
    if d.other_remarks:
        story.append(_p("Autres remarques (vues retirées depuis)", st["h2"]))
        story += [_p(remark_line(a, t), st["base"]) for a, t in d.other_remarks]
    doc.build(story)
    return buf.getvalue()
