"""Ateliers for the pages: cached reads, the writes (each through the store's one write path,
:func:`observatoire.ui.actions._run`, with the version the editor saw) and the export.

A participant's remark is a write like the others — ``Database.write(edits=True,
backup="none")``: it goes to PostgreSQL when configured, to the file otherwise, under the
writer lock; no backup is kept for it (remarks arrive in bursts during a workshop, and the
next edit's backup, the history table and PostgreSQL's own backups keep them).
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from observatoire.edits import ateliers as edits
from observatoire.queries import ateliers as queries
from observatoire.queries import links
from observatoire.ui import data
from observatoire.ui.actions import _run

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
PARAM = "atelier"
VIEW_PARAM = "vue"
FORMATS = {"pptx": "Diaporama (PPTX 16:9)", "pdf": "Document (PDF)"}


# -- reads -------------------------------------------------------------------------------------
@data._cached(max_entries=32)
def listing(include_archived: bool = False) -> pd.DataFrame:
    return queries.list_ateliers(data.cursor(), include_archived)


@data._cached(max_entries=64)
def atelier(aid: str, include_hidden: bool = False) -> dict | None:
    return queries.get(data.cursor(), aid, include_hidden=include_hidden)


@data._cached(max_entries=32)
def history(aid: str) -> pd.DataFrame:
    return queries.history(data.cursor(), aid)


def requested() -> tuple[str | None, int | None]:
    """The atelier (and view number) asked for in the address, when well formed."""
    aid = st.query_params.get(PARAM)
    vue = st.query_params.get(VIEW_PARAM)
    aid = aid if aid and ID_RE.match(aid) else None
    return aid, int(vue) if vue and vue.isdigit() and 0 < int(vue) < 100 else None


def parse_link(link: str) -> links.Link | None:
    """A deep link checked (the French reason shown when refused)."""
    from observatoire.errors import ObservatoireError

    try:
        return links.parse(link)
    except ObservatoireError as exc:
        st.error(str(exc))
        return None


def current_link(page: str) -> links.Link:
    """The link of what is on screen: the page and the linked state values."""
    from observatoire.ui import state

    page = page or "accueil"
    params = {
        k: str(st.session_state[k]) for k in state.LINKED if k in st.session_state and k != state.PRESENTATION
    }
    view = st.query_params.get(state.VIEW)  # the open tab (state.view_tabs), when not the first
    if view and links.PARAMS[state.VIEW].match(view):
        params[state.VIEW] = view
    return links.Link(page, params)


def page_files() -> dict[str, str]:
    return {p: f for p, (f, _) in links.PAGES.items()}


# -- writes ------------------------------------------------------------------------------------
def create(title: str, user: str) -> str | None:
    return _run("création d'un atelier", lambda con: edits.create(con, title, user), edits=True)


def add_view(aid: str, link: str, title: str, note: str, questions: list[str], user: str, version: int):
    return _run(
        "ajout d'une vue à un atelier",
        lambda con: edits.add_view(con, aid, link, title, user, version, note=note, questions=questions),
        edits=True,
    )


def edit_view(aid: str, position: int, user: str, version: int, **changes):
    return _run(
        "modification d'une vue d'atelier",
        lambda con: edits.edit_view(con, aid, position, user, version, **changes),
        edits=True,
    )


def remove_view(aid: str, position: int, user: str, version: int):
    return _run(
        "retrait d'une vue d'atelier",
        lambda con: edits.remove_view(con, aid, position, user, version),
        edits=True,
    )


def reorder(aid: str, order: list[int], user: str, version: int):
    return _run(
        "nouvel ordre des vues d'un atelier",
        lambda con: edits.reorder(con, aid, order, user, version),
        edits=True,
    )


def rename(aid: str, title: str, user: str, version: int):
    return _run(
        "nouveau titre d'atelier", lambda con: edits.rename(con, aid, title, user, version), edits=True
    )


def archive(aid: str, user: str, version: int, archived: bool = True):
    return _run(
        "archivage d'un atelier" if archived else "désarchivage d'un atelier",
        lambda con: edits.archive(con, aid, user, version, archived),
        edits=True,
    )


def add_remark(aid: str, position: int, remark: str, author: str, version: int):
    """A participant's remark (no sign-in): one write, no backup (see the module docstring)."""
    return _run(
        "remarque d'un participant",
        lambda con: edits.add_remark(con, aid, position, remark, author, version),
        edits=True,
        backup="none",
    )


def hide_remark(aid: str, remark_id: int, user: str, version: int, hidden: bool = True):
    return _run(
        "masquage d'une remarque",
        lambda con: edits.hide_remark(con, aid, remark_id, user, version, hidden),
        edits=True,
    )


# -- export ------------------------------------------------------------------------------------
def export_bytes(aid: str, fmt: str) -> bytes:
    """The atelier as PPTX or PDF (built on click: a few seconds per view)."""
    from observatoire.queries import fiche as qfiche
    from observatoire.queries import territories
    from observatoire.render import atelier as render
    from observatoire.render import fiche

    con = data.cursor()
    rec = queries.get(con, aid)

    def gather(level, code):
        if level == "france":
            return render.figures_of(territories.profile(con, level, code))
        return fiche.assemble(qfiche.gather(con, level, code))

    return render.export(rec, fmt, gather)


def export_name(aid: str, fmt: str) -> str:
    from observatoire.render import atelier as render

    return render.file_name(aid, fmt)


def mime(fmt: str) -> str:
    from observatoire.render import atelier as render

    return render.FORMATS[fmt]


def md(text: str) -> str:
    """User text for a Markdown label (headers, expanders): every Markdown sign escaped, so
    that it reads as typed (Streamlit never renders its HTML anyway)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))
