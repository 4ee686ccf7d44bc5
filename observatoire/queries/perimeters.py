"""Perimeters as saved in the store: the list, the members of one, its communes (read-only;
saving a perimeter is :mod:`observatoire.edits.perimeters`)."""

from __future__ import annotations

import pandas as pd

from observatoire.errors import NotFoundError


def list_perimeters(con) -> pd.DataFrame:
    return con.execute("""SELECT p.id, p.name, p.kind, p.source, p.note, p.shipped, t.n_communes,
        t.area_km2, (SELECT count(*) FROM perimeter_member m WHERE m.perimeter_id = p.id) AS n_members
        FROM perimeter p JOIN territory t ON t.level = 'perimetre' AND t.code = p.id
        ORDER BY p.shipped DESC, p.name""").df()


def members(con, id: str) -> pd.DataFrame:
    """The members (level, code, name, type) of a perimeter; NotFoundError when unknown."""
    df = con.execute(
        """SELECT m.level, m.code, t.name, t.type FROM perimeter_member m
        LEFT JOIN territory t ON t.level = m.level AND t.code = m.code
        WHERE m.perimeter_id = ? ORDER BY m.level, t.name""",
        [id],
    ).df()
    if df.empty:
        raise NotFoundError(f"Périmètre inconnu : {id}")
    return df


def communes(con, id: str) -> list[str]:
    return [
        r[0]
        for r in con.execute("SELECT commune FROM perimeter_commune WHERE perimeter_id = ?", [id]).fetchall()
    ]
