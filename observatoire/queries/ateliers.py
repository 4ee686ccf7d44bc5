"""Ateliers (workshops): list, one atelier with its views and remarks, its history.

A view whose territory, indicator or flow dataset no longer exists in the store is returned with
a French ``problem`` instead of failing: the workshop goes on, the slide says so.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from observatoire.errors import ObservatoireError
from observatoire.queries import links
from observatoire.vocabulary import KIND_FR, LEVEL_FR

TABLES = ("atelier", "atelier_view", "atelier_remark", "atelier_history")


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has the ateliers' tables (a store built before their migration has
    none until its next write)."""
    try:
        con.execute("SELECT 1 FROM atelier LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def list_ateliers(con: duckdb.DuckDBPyConnection, include_archived: bool = False) -> pd.DataFrame:
    """id, title, archived, version, updated_by, updated_at, n_views, n_remarks (newest first)."""
    cols = ["id", "title", "archived", "version", "updated_by", "updated_at", "n_views", "n_remarks"]
    if not available(con):
        return pd.DataFrame(columns=cols)
    return con.execute(
        """SELECT a.id, a.title, a.archived, a.version, a.updated_by, a.updated_at,
            (SELECT count(*) FROM atelier_view v WHERE v.atelier_id = a.id) AS n_views,
            (SELECT count(*) FROM atelier_remark r WHERE r.atelier_id = a.id AND NOT r.hidden) AS n_remarks
        FROM atelier a WHERE ? OR NOT a.archived ORDER BY a.updated_at DESC, a.id""",
        [include_archived],
    ).df()[cols]


def _questions(raw) -> list[str]:
    if raw is None:
        return []
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [str(q) for q in value or []]


def record(con: duckdb.DuckDBPyConnection, atelier_id: str) -> dict | None:
    """The stored atelier (title, version, views, every remark), or None: what the history keeps."""
    if not available(con):
        return None
    row = con.execute(
        "SELECT id, title, archived, version, updated_by, updated_at FROM atelier WHERE id = ?",
        [atelier_id],
    ).fetchone()
    if row is None:
        return None
    out = dict(zip(["id", "title", "archived", "version", "updated_by", "updated_at"], row))
    out["updated_at"] = str(out["updated_at"])
    views = con.execute(
        """SELECT position, deep_link, title, note, questions FROM atelier_view
        WHERE atelier_id = ? ORDER BY position""",
        [atelier_id],
    ).fetchall()
    out["views"] = [
        {"position": p, "deep_link": link, "title": t, "note": n or "", "questions": _questions(q)}
        for p, link, t, n, q in views
    ]
    remarks = con.execute(
        """SELECT id, view_position, author, text, hidden, created_at FROM atelier_remark
        WHERE atelier_id = ? ORDER BY created_at, id""",
        [atelier_id],
    ).fetchall()
    out["remarks"] = [
        {
            "id": i,
            "view_position": p,
            "author": a or "",
            "text": t,
            "hidden": bool(h),
            "created_at": str(c),
        }
        for i, p, a, t, h, c in remarks
    ]
    return out


def view_problem(con: duckdb.DuckDBPyConnection, link: links.Link) -> str | None:
    """Why a view cannot be shown as it was saved (French), or None when it can."""
    terr = link.territory
    if terr:
        level, code = terr
        found = con.execute(
            "SELECT count(*) FROM territory WHERE level = ? AND code = ?", [level, code]
        ).fetchone()[0]
        if not found:
            what = "Le périmètre" if level == "perimetre" else f"Le territoire ({LEVEL_FR.get(level, level)})"
            return f"{what} « {code} » de cette vue n'existe plus dans la base."
    ind = link.params.get("indicateur")
    if ind and not con.execute("SELECT count(*) FROM indicator WHERE id = ?", [ind]).fetchone()[0]:
        return f"L'indicateur « {ind} » de cette vue n'existe plus dans la base."
    year, kind = link.params.get("annee"), link.params.get("flux", "travail")
    if year and year != "auto" and link.page in ("flux", "reseau"):
        n = con.execute(
            "SELECT count(*) FROM flow_dataset WHERE kind = ? AND year = ?", [kind, int(year)]
        ).fetchone()[0]
        if not n:
            return f"Aucun jeu de flux {KIND_FR.get(kind, kind)} {year} dans la base : le jeu de cette vue a été retiré."
    return None


def get(con: duckdb.DuckDBPyConnection, atelier_id: str, include_hidden: bool = False) -> dict | None:
    """The atelier with its views (each with its page, territory and ``problem``) and its
    remarks (hidden ones only when ``include_hidden``), or None when unknown."""
    rec = record(con, atelier_id)
    if rec is None:
        return None
    for v in rec["views"]:
        try:
            link = links.parse(v["deep_link"])
        except ObservatoireError as exc:  # a link valid when saved, refused by today's rules
            v.update(page=None, page_title="", params={}, territory=None, problem=str(exc))
            continue
        v.update(
            page=link.page,
            page_title=link.page_title,
            params=link.params,
            territory=link.territory,
            problem=view_problem(con, link),
        )
    if not include_hidden:
        rec["remarks"] = [r for r in rec["remarks"] if not r["hidden"]]
    return rec


def history(con: duckdb.DuckDBPyConnection, atelier_id: str) -> pd.DataFrame:
    """Every change of an atelier, newest first: version, action, when, who, before, after."""
    if not available(con):
        return pd.DataFrame(columns=["version", "action", "changed_at", "changed_by", "before", "after"])
    return con.execute(
        """SELECT version, action, changed_at, changed_by, before, after FROM atelier_history
        WHERE atelier_id = ? ORDER BY changed_at DESC, version DESC""",
        [atelier_id],
    ).df()


def version_snapshot(con: duckdb.DuckDBPyConnection, atelier_id: str, version: int) -> dict | None:
    """The atelier as it was saved at ``version`` (from the history), or None."""
    if not available(con):
        return None
    row = con.execute(
        """SELECT after FROM atelier_history WHERE atelier_id = ? AND version = ?
        AND action <> 'remarque ajoutée' ORDER BY changed_at DESC LIMIT 1""",
        [atelier_id, version],
    ).fetchone()
    return json.loads(row[0]) if row and row[0] else None
