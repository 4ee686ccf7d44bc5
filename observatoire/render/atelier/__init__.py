"""An atelier taken away: one PPTX (16:9) or one PDF, a slide per view.

Each slide shows the view statically — the map, key figures and chart of the view's territory,
with their sources (the fiche territoire's content and renderers) — with its note, its
questions and the participants' remarks (plain text). A view whose territory or dataset is gone
says so on its slide. Pure: the caller gives the atelier (``queries.ateliers.get``) and a
function that gathers a territory's fiche content; nothing here reads the store.

    data = atelier.export(rec, "pptx", gather=lambda lv, c: fiche.assemble(qfiche.gather(con, lv, c)))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from observatoire.errors import ObservatoireError
from observatoire.render.fiche.content import FicheContent, KeyFigure
from observatoire.text import date_fr

FORMATS = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# What each page's slide shows besides the map and key figures.
CHART_PAGES = {"flux": "flows", "reseau": "flows", "comparer": "comparison"}


@dataclass
class ViewSlide:
    """One view, ready to lay out."""

    number: int
    total: int
    title: str
    page_title: str
    link: str
    note: str
    questions: list[str]
    remarks: list[tuple[str, str]]  # (author or "", text)
    problem: str | None = None
    content: FicheContent | None = None
    figures: list[KeyFigure] = field(default_factory=list)
    territory_name: str = ""
    chart: str | None = None  # "flows" / "comparison" / None

    @property
    def kicker(self) -> str:
        where = f" — {self.territory_name}" if self.territory_name else ""
        return f"Vue {self.number} / {self.total} — page {self.page_title}{where}"

    def sources(self) -> list[str]:
        if self.content is not None:
            return list(self.content.sources)
        return sorted({f"{k.source}, {k.year}" for k in self.figures})


@dataclass
class Deck:
    title: str
    atelier_id: str
    date_text: str
    slides: list[ViewSlide]
    other_remarks: list[tuple[str, str]] = field(default_factory=list)  # of removed views


Gather = Callable[[str, str], "FicheContent | list[KeyFigure]"]


def deck(rec: dict, gather: Gather, today: dt.date | None = None) -> Deck:
    """The slides of an atelier (``queries.ateliers.get``). ``gather(level, code)`` returns the
    fiche content of a territory, or only its key figures (France), or raises
    ObservatoireError (the slide then says why)."""
    views = rec["views"]
    remarks = [r for r in rec["remarks"] if not r.get("hidden")]
    cache: dict[tuple[str, str], object] = {}
    slides = []
    for v in views:
        s = ViewSlide(
            number=v["position"],
            total=len(views),
            title=v["title"],
            page_title=v.get("page_title") or "",
            link=v["deep_link"],
            note=v.get("note") or "",
            questions=list(v.get("questions") or []),
            remarks=[(r["author"], r["text"]) for r in remarks if r["view_position"] == v["position"]],
            problem=v.get("problem"),
            chart=CHART_PAGES.get(v.get("page") or ""),
        )
        terr = v.get("territory")
        if terr and not s.problem:
            key = tuple(terr)
            if key not in cache:
                try:
                    cache[key] = gather(*key)
                except ObservatoireError as exc:
                    cache[key] = exc
            got = cache[key]
            if isinstance(got, ObservatoireError):
                s.problem = str(got)
            elif isinstance(got, FicheContent):
                s.content, s.figures, s.territory_name = got, got.key_figures, got.name
            else:
                s.figures = list(got)
        slides.append(s)
    positions = {v["position"] for v in views}
    others = [(r["author"], r["text"]) for r in remarks if r["view_position"] not in positions]
    today = today or dt.date.today()
    return Deck(rec["title"], rec["id"], date_fr(today), slides, others)


def render(d: Deck, fmt: str) -> bytes:
    if fmt == "pptx":
        from observatoire.render.atelier import pptx

        return pptx.render(d)
    if fmt == "pdf":
        from observatoire.render.atelier import pdf

        return pdf.render(d)
    raise ObservatoireError(f"Format d'export inconnu : « {fmt} » (attendu : pdf ou pptx).")


def export(rec: dict, fmt: str, gather: Gather, today: dt.date | None = None) -> bytes:
    """The atelier as PPTX or PDF bytes."""
    if fmt not in FORMATS:
        raise ObservatoireError(f"Format d'export inconnu : « {fmt} » (attendu : pdf ou pptx).")
    return render(deck(rec, gather, today), fmt)


def file_name(atelier_id: str, fmt: str, today: dt.date | None = None) -> str:
    return f"atelier-{atelier_id[:60]}-{(today or dt.date.today()).isoformat()}.{fmt}"


def remark_line(author: str, text: str) -> str:
    return f"{author or 'Anonyme'} : {text}"


def figures_of(profile) -> list[KeyFigure]:
    """The key figures of a profile without a fiche (France on the home page)."""
    from observatoire.render.fiche.content import _key_figures

    return _key_figures(profile)
