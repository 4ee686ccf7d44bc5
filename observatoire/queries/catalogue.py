"""The catalogue of cooperations as stored: one entry with its partners, the filtered
catalogue (accent-insensitive search), counts, an entry's history, the tables in the import
format (read-only; every write is :mod:`observatoire.edits.catalogue`)."""

from __future__ import annotations

import pandas as pd

from observatoire import text
from observatoire.queries import catalogue_stats


def known_epci(con) -> set[str]:
    """The SIREN of every current EPCI (the partners a row may name)."""
    return {r[0] for r in con.execute("SELECT code FROM territory WHERE level = 'epci'").fetchall()}


def get(con, cid: str) -> dict | None:
    """One cooperation with its partners (None if unknown)."""
    cur = con  # not a new cursor: an open transaction must see its own writes
    row = cur.execute("SELECT * FROM cooperation WHERE id = ?", [cid]).fetchone()
    if row is None:
        return None
    cols = [d[0] for d in cur.description]
    rec = dict(zip(cols, row))
    rec["partners"] = (
        cur.execute(
            """SELECT partner_kind, epci_siren, name, body_type, role, note
        FROM cooperation_partner WHERE cooperation_id = ? ORDER BY role, name""",
            [cid],
        )
        .df()
        .to_dict("records")
    )
    return rec


def search(
    con,
    query: str = "",
    metropole: str | None = None,
    theme: str | None = None,
    form: str | None = None,
    status: str | None = None,
    year: int | None = None,
    partner_epci: str | None = None,
    region: str | None = None,
    include_retired: bool = False,
    confidence: str | None = None,
) -> pd.DataFrame:
    """Filtered catalogue, full-text search accent-insensitive over name, summary, notes and
    partner names."""
    df = con.execute("""SELECT c.id, c.name, c.summary, c.form, c.themes, c.status, c.date_start,
            c.date_end, c.metropoles, c.source_doc, c.source_page, c.source_url, c.source_read,
            c.confidence, c.notes, c.retired, c.version,
            c.updated_at,
            list(p.name ORDER BY p.name) AS partner_names,
            list(p.epci_siren ORDER BY p.name) FILTER (WHERE p.epci_siren IS NOT NULL) AS partner_epci
        FROM cooperation c LEFT JOIN cooperation_partner p ON p.cooperation_id = c.id
        GROUP BY ALL ORDER BY c.name""").df()
    if df.empty:
        return df
    if not include_retired:
        df = df[~df["retired"]]
    q = text.normalize(query)
    if q:
        hay = (
            df["name"].fillna("")
            + " "
            + df["summary"].fillna("")
            + " "
            + df["notes"].fillna("")
            + " "
            + df["partner_names"].map(lambda x: " ".join(x) if x is not None else "")
        )
        hay = hay.map(text.normalize)
        for w in q.split():
            df = df[hay.loc[df.index].str.contains(w, regex=False)]

    def has(col, v):
        return df[col].map(lambda xs: xs is not None and v in list(xs))

    if metropole:
        df = df[has("metropoles", metropole)]
    if theme:
        df = df[has("themes", theme)]
    if form:
        df = df[df["form"] == form]
    if status:
        df = df[df["status"] == status]
    if confidence:
        df = df[df["confidence"] == confidence]
    if year:
        df = df[df["date_start"].fillna("").str[:4] == str(year)]
    if partner_epci:
        df = df[has("partner_epci", partner_epci) | has("metropoles", partner_epci)]
    if region:
        regs = {
            r[0]
            for r in con.execute(
                "SELECT code FROM territory WHERE level='epci' AND reg = ?", [region]
            ).fetchall()
        }
        df = df[
            df["partner_epci"].map(lambda xs: xs is not None and bool(regs & set(xs)))
            | df["metropoles"].map(lambda xs: xs is not None and bool(regs & set(xs)))
        ]
    return df.reset_index(drop=True)


def statistics(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Counts by theme, form, status and métropole of a (filtered) catalogue."""

    def explode(col):
        return df[col].explode().dropna().value_counts()

    return {
        "themes": explode("themes"),
        "form": df["form"].value_counts(),
        "status": df["status"].value_counts(),
        "metropoles": explode("metropoles"),
    }


def coverage_sentence(con) -> str:
    """The catalogue's coverage in one paragraph (see observatoire.queries.catalogue_stats)."""
    return " ".join(catalogue_stats.sentences(catalogue_stats.coverage(con)))


def history(con, cid: str) -> pd.DataFrame:
    """The versions of an entry, newest first (who, when, what, before/after as JSON)."""
    return con.execute(
        """SELECT version, action, changed_at, changed_by, before, after
        FROM cooperation_history WHERE cooperation_id = ? ORDER BY version DESC""",
        [cid],
    ).df()


def export_tables(con, include_retired: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalogue in the import format (round-trips through :func:`import_files`)."""
    coops = con.execute(f"""SELECT id, name, summary, form, array_to_string(themes, '|') AS themes,
        status, date_start, date_end, array_to_string(metropoles, '|') AS metropoles, source_doc,
        source_page, source_url, notes, confidence, source_read FROM cooperation
        {"" if include_retired else "WHERE NOT retired"} ORDER BY id""").df()
    parts = con.execute(
        """SELECT cooperation_id, partner_kind, epci_siren, name, body_type, role, note
        FROM cooperation_partner WHERE cooperation_id IN (SELECT unnest(?)) ORDER BY cooperation_id, name""",
        [coops["id"].tolist()],
    ).df()
    return coops, parts
