"""Ateliers: create, add / edit / remove / reorder views, rename, archive; remarks.

Every change of an atelier is a new version with who and when, before and after in
``atelier_history`` (like the catalogue); each function takes the version the editor saw
(``expected_version``) and refuses the second of two editors of one version (ConflictError).
Participants' remarks do not change the atelier's version (a facilitator editing during the
workshop is not refused because someone spoke); they are kept in the history all the same.
Texts are stored as typed and are only ever shown as plain text.

Each function runs in one transaction on the connection given by the store's one door
(:meth:`observatoire.store.database.Database.write` with ``edits=True``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import duckdb

from observatoire import store, text
from observatoire.edits.catalogue import ConflictError, to_json
from observatoire.errors import NotFoundError, ObservatoireError
from observatoire.queries import ateliers as queries
from observatoire.queries import links

__all__ = ["ConflictError", "add_remark", "add_view", "archive", "create", "edit_view", "hide_remark"]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
MAX_TITLE, MAX_NOTE, MAX_QUESTION, MAX_QUESTIONS = 120, 1500, 300, 10
MAX_REMARK, MAX_AUTHOR = 2000, 80
ANONYMOUS = "participant anonyme"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _clean(value, what: str, limit: int, required: bool = False) -> str:
    """A text as typed (control characters removed), checked for length."""
    s = _CONTROL.sub("", str(value or "")).strip()
    if required and not s:
        raise ObservatoireError(f"{what} manquant.")
    if len(s) > limit:
        raise ObservatoireError(f"{what} trop long ({len(s)} caractères, {limit} au plus).")
    return s


def _questions(questions) -> list[str]:
    qs = [q for q in (_clean(q, "Question", MAX_QUESTION) for q in questions or []) if q]
    if len(qs) > MAX_QUESTIONS:
        raise ObservatoireError(f"Trop de questions ({len(qs)}, {MAX_QUESTIONS} au plus par vue).")
    return qs


def _require_user(user: str) -> None:
    if not user:
        raise ObservatoireError("Modification refusée : connectez-vous pour modifier un atelier.")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.normalize(title)).strip("-")[:60] or "atelier"


def _history(con, aid: str, version: int, action: str, user: str, now, before, after) -> None:
    con.execute(
        "INSERT INTO atelier_history VALUES (?, ?, ?, ?, ?, ?, ?)",
        [aid, version, action, now, user, to_json(before) if before else None, to_json(after)],
    )


def create(con: duckdb.DuckDBPyConnection, title: str, user: str) -> str:
    """A new, empty atelier; returns its id (from the title, made unique)."""
    _require_user(user)
    title = _clean(title, "Titre de l'atelier", MAX_TITLE, required=True)
    now = _now()
    with store.transaction(con):
        base, n = slug(title), 1
        aid = base
        while con.execute("SELECT count(*) FROM atelier WHERE id = ?", [aid]).fetchone()[0]:
            n += 1
            aid = f"{base}-{n}"
        con.execute(
            "INSERT INTO atelier (id, title, archived, version, updated_by, updated_at) "
            "VALUES (?, ?, FALSE, 1, ?, ?)",
            [aid, title, user, now],
        )
        _history(con, aid, 1, "création", user, now, None, queries.record(con, aid))
    return aid


def _current(con, aid: str, expected_version: int | None) -> dict:
    """The atelier as stored now; ConflictError when it is no longer ``expected_version``."""
    rec = queries.record(con, aid)
    if rec is None:
        raise NotFoundError(f"Atelier inconnu : « {aid} ».")
    if expected_version is not None and rec["version"] != expected_version:
        raise ConflictError(
            f"Cet atelier a été modifié par {rec['updated_by']} depuis son ouverture (version "
            f"{rec['version']} au lieu de {expected_version}) : rechargez-le, vos changements "
            "n'ont pas été enregistrés."
        )
    return rec


def _write_views(con, aid: str, views: list[dict]) -> None:
    con.execute("DELETE FROM atelier_view WHERE atelier_id = ?", [aid])
    for i, v in enumerate(views, start=1):
        con.execute(
            "INSERT INTO atelier_view VALUES (?, ?, ?, ?, ?, ?)",
            [aid, i, v["deep_link"], v["title"], v["note"] or None, to_json(v["questions"])],
        )


def _move_remarks(con, aid: str, mapping: dict[int, int | None]) -> None:
    """Remarks follow their view: old position -> new position (None: the view was removed)."""
    for old, new in mapping.items():  # negative first: no clash between old and new numbers
        con.execute(
            "UPDATE atelier_remark SET view_position = ? WHERE atelier_id = ? AND view_position = ?",
            [None if new is None else -new, aid, old],
        )
    con.execute(
        "UPDATE atelier_remark SET view_position = -view_position WHERE atelier_id = ? AND view_position < 0",
        [aid],
    )


def _change(
    con, aid: str, user: str, expected_version: int | None, action: str, apply: Callable[[dict], None]
) -> int:
    """One versioned change: check the version, ``apply(before)`` the writes, bump the version,
    record before/after. Returns the new version."""
    _require_user(user)
    now = _now()
    with store.transaction(con):
        before = _current(con, aid, expected_version)
        apply(before)
        version = before["version"] + 1
        con.execute(
            "UPDATE atelier SET version = ?, updated_by = ?, updated_at = ? WHERE id = ?",
            [version, user, now, aid],
        )
        _history(con, aid, version, action, user, now, before, queries.record(con, aid))
    return version


def _view(deep_link: str, title: str, note: str, questions) -> dict:
    link = links.parse(deep_link)  # refused when not one of the app's own views
    return {
        "deep_link": link.url(),
        "title": _clean(title, "Titre de la vue", MAX_TITLE, required=True),
        "note": _clean(note, "Note", MAX_NOTE),
        "questions": _questions(questions),
    }


def _check_open(rec: dict) -> None:
    if rec["archived"]:
        raise ObservatoireError("Cet atelier est archivé : désarchivez-le pour le modifier.")


def add_view(
    con,
    aid: str,
    deep_link: str,
    title: str,
    user: str,
    expected_version: int | None,
    note: str = "",
    questions: list[str] | None = None,
) -> int:
    """Append a view (a deep link of the app, its title, note and questions)."""
    view = _view(deep_link, title, note, questions)

    def apply(before):
        _check_open(before)
        if len(before["views"]) >= 50:
            raise ObservatoireError("Un atelier compte 50 vues au plus.")
        _write_views(con, aid, [*before["views"], view])

    return _change(con, aid, user, expected_version, f"ajout de la vue {view['title']}", apply)


def _position(before: dict, position: int) -> int:
    if not 1 <= position <= len(before["views"]):
        raise ObservatoireError(f"Vue {position} introuvable (l'atelier en compte {len(before['views'])}).")
    return position


def edit_view(
    con,
    aid: str,
    position: int,
    user: str,
    expected_version: int | None,
    *,
    deep_link: str | None = None,
    title: str | None = None,
    note: str | None = None,
    questions: list[str] | None = None,
) -> int:
    """Change a view's link, title, note or questions (what is None stays as it was)."""

    def apply(before):
        _check_open(before)
        views = list(before["views"])
        old = views[_position(before, position) - 1]
        views[position - 1] = _view(
            old["deep_link"] if deep_link is None else deep_link,
            old["title"] if title is None else title,
            old["note"] if note is None else note,
            old["questions"] if questions is None else questions,
        )
        _write_views(con, aid, views)

    return _change(con, aid, user, expected_version, f"modification de la vue {position}", apply)


def remove_view(con, aid: str, position: int, user: str, expected_version: int | None) -> int:
    """Remove a view; its remarks stay in the atelier (without a view)."""

    def apply(before):
        _check_open(before)
        views = list(before["views"])
        del views[_position(before, position) - 1]
        _write_views(con, aid, views)
        n = len(before["views"])
        _move_remarks(con, aid, {p: (None if p == position else p - (p > position)) for p in range(1, n + 1)})

    return _change(con, aid, user, expected_version, f"retrait de la vue {position}", apply)


def reorder(con, aid: str, order: list[int], user: str, expected_version: int | None) -> int:
    """Put the views in ``order`` (the current positions, in their new order); remarks follow."""

    def apply(before):
        _check_open(before)
        n = len(before["views"])
        if sorted(order) != list(range(1, n + 1)):
            raise ObservatoireError(f"Nouvel ordre invalide : chaque vue de 1 à {n} une fois exactement.")
        _write_views(con, aid, [before["views"][p - 1] for p in order])
        _move_remarks(con, aid, {old: new for new, old in enumerate(order, start=1)})

    return _change(con, aid, user, expected_version, "nouvel ordre des vues", apply)


def rename(con, aid: str, title: str, user: str, expected_version: int | None) -> int:
    title = _clean(title, "Titre de l'atelier", MAX_TITLE, required=True)

    def apply(before):
        _check_open(before)
        con.execute("UPDATE atelier SET title = ? WHERE id = ?", [title, aid])

    return _change(con, aid, user, expected_version, "nouveau titre", apply)


def archive(con, aid: str, user: str, expected_version: int | None, archived: bool = True) -> int:
    """Archive (or bring back) an atelier: never deleted, still readable at its address."""

    def apply(before):
        con.execute("UPDATE atelier SET archived = ? WHERE id = ?", [archived, aid])

    return _change(con, aid, user, expected_version, "archivage" if archived else "désarchivage", apply)


def add_remark(
    con, aid: str, view_position: int, remark: str, author: str = "", expected_version: int | None = None
) -> int:
    """A participant's remark on a view (name optional); returns its id. ``expected_version``:
    the atelier's version the participant saw; if the atelier changed since, the remark is
    still taken when the view at that place is the same, refused (ConflictError) otherwise."""
    remark = _clean(remark, "Texte de la remarque", MAX_REMARK, required=True)
    author = _clean(author, "Nom", MAX_AUTHOR)
    now = _now()
    with store.transaction(con):
        rec = _current(con, aid, None)
        _check_open(rec)
        _position(rec, view_position)
        if expected_version is not None and expected_version != rec["version"]:
            seen = queries.version_snapshot(con, aid, expected_version) or {"views": []}
            was = seen["views"][view_position - 1] if view_position <= len(seen["views"]) else None
            now_view = rec["views"][view_position - 1]
            if was is None or (was["deep_link"], was["title"]) != (now_view["deep_link"], now_view["title"]):
                raise ConflictError(
                    "Les vues de cet atelier ont changé depuis son ouverture : rechargez la page, "
                    "votre remarque n'a pas été enregistrée (copiez-la avant)."
                )
        rid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM atelier_remark").fetchone()[0]
        con.execute(
            "INSERT INTO atelier_remark VALUES (?, ?, ?, ?, ?, FALSE, ?)",
            [rid, aid, view_position, author or None, remark, now],
        )
        row = {"id": rid, "view_position": view_position, "author": author, "text": remark}
        _history(con, aid, rec["version"], "remarque ajoutée", author or ANONYMOUS, now, None, row)
    return rid


def hide_remark(
    con, aid: str, remark_id: int, user: str, expected_version: int | None, hidden: bool = True
) -> int:
    """The facilitator hides (or shows again) a remark: kept in the base and the history."""

    def apply(before):
        if not any(r["id"] == remark_id for r in before["remarks"]):
            raise NotFoundError(f"Remarque {remark_id} introuvable dans cet atelier.")
        con.execute(
            "UPDATE atelier_remark SET hidden = ? WHERE atelier_id = ? AND id = ?", [hidden, aid, remark_id]
        )

    action = f"remarque {remark_id} {'masquée' if hidden else 'réaffichée'}"
    return _change(con, aid, user, expected_version, action, apply)
