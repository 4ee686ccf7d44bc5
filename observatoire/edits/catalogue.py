"""Every write of the catalogue of cooperations: an entry saved with its history (who, when,
before/after), optimistic concurrency (the version the editor saw), retire and restore (never a
hard delete), a whole catalogue imported all-or-nothing, the shipped one loaded at build time,
exports. The reads (:mod:`observatoire.queries.catalogue`) and the file format
(:mod:`observatoire.sources.catalogue_files`) are re-exported here for callers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import store
from observatoire.errors import ObservatoireError, SourceFileError
from observatoire.queries.catalogue import (
    coverage_sentence,
    export_tables,
    get,
    history,
    known_epci,
    search,
    statistics,
)
from observatoire.sources.catalogue_files import (
    COLUMNS,
    DATA_MD_RE,
    DATE_RE,
    ID_RE,
    LATER_COLUMNS,
    MIRROR_HOSTS,
    PARTNER_COLUMNS,
    SEED_RE,
    SIREN_RE,
    URL_RE,
    WEB_RE,
    CatalogueError,
    read_bytes,
    read_table,
    source_label,
    split_values,
    validate,
)
from observatoire.store.schema import clean_json_text, to_json
from observatoire.vocabulary import BODY_TYPES, CENSUS, CONFIDENCES, FORMS, STATUSES, THEMES

__all__ = [  # the vocabulary, the file format and the reads, re-exported for callers
    "BODY_TYPES",
    "CENSUS",
    "COLUMNS",
    "CONFIDENCES",
    "DATA_MD_RE",
    "DATE_RE",
    "FORMS",
    "ID_RE",
    "LATER_COLUMNS",
    "MIRROR_HOSTS",
    "PARTNER_COLUMNS",
    "SEED_RE",
    "SIREN_RE",
    "STATUSES",
    "THEMES",
    "URL_RE",
    "WEB_RE",
    "CatalogueError",
    "clean_json_text",
    "coverage_sentence",
    "export_tables",
    "get",
    "history",
    "known_epci",
    "read_bytes",
    "read_table",
    "search",
    "source_label",
    "statistics",
    "to_json",
    "validate",
]


class ConflictError(ObservatoireError):
    """Someone else saved the entry since it was opened."""


ROW_COLUMNS = [*COLUMNS, "version", "retired", "updated_at", "updated_by"]


def _row_params(r: dict, version: int, now, user: str, retired: bool = False) -> list:
    def s(k):
        v = r.get(k)
        return (
            None if v is None or (isinstance(v, float) and v != v) or str(v).strip() == "" else str(v).strip()
        )

    return [
        s("id"),
        s("name"),
        s("summary"),
        s("form"),
        split_values(r.get("themes")),
        s("status"),
        s("date_start"),
        s("date_end"),
        split_values(r.get("metropoles")),
        s("source_doc"),
        s("source_page"),
        s("source_url"),
        s("notes"),
        s("confidence"),
        s("source_read"),
        version,
        retired,
        now,
        user,
    ]


def _write_version(
    con,
    r: dict,
    partners: list[dict],
    before: dict | None,
    user: str,
    now,
    action: str,
    retired: bool = False,
) -> int:
    """Replace the current row of ``r["id"]`` (if any) by a new version and record the change
    (who, when, before/after) in the history; the caller holds the transaction."""
    version = 1 if before is None else before["version"] + 1
    if before is not None:
        con.execute("DELETE FROM cooperation WHERE id = ?", [r["id"]])
        con.execute("DELETE FROM cooperation_partner WHERE cooperation_id = ?", [r["id"]])
    con.execute(
        f"INSERT INTO cooperation ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})",  # noqa: S608 — fixed names
        _row_params(r, version, now, user, retired),
    )
    for p in partners:
        con.execute(
            "INSERT INTO cooperation_partner VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                r["id"],
                p.get("partner_kind"),
                p.get("epci_siren") or None,
                p.get("name"),
                p.get("body_type") or None,
                p.get("role") or None,
                p.get("note") or None,
            ],
        )
    after = get(con, r["id"])
    con.execute(
        "INSERT INTO cooperation_history VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            r["id"],
            version,
            action,
            now,
            user,
            to_json(before) if before else None,
            to_json(after),
        ],
    )
    return version


def replace_all(con, coops: pd.DataFrame, partners: pd.DataFrame, user: str, transaction: bool = True) -> int:
    """Validate then write a whole catalogue (all-or-nothing); history keeps every change."""
    coops = coops.fillna("")
    partners = partners.fillna("")
    problems = validate(coops, partners, known_epci(con))
    if problems:
        raise CatalogueError(
            f"Catalogue refusé : {len(problems)} problème(s), rien n'a été modifié.", problems
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def write():
        for r in coops.to_dict("records"):
            ps = partners[partners["cooperation_id"] == r["id"]].to_dict("records")
            before = get(con, r["id"])
            _write_version(
                con, r, ps, before, user, now, "import" if before is None else "modification (import)"
            )

    if transaction:
        with store.transaction(con):
            write()
    else:
        write()
    return len(coops)


def load_shipped(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Build step: the curated catalogue in ``data/catalogue``."""
    folder = data / "catalogue"
    if not (folder / "cooperations.csv").exists():
        return
    try:
        coops = pd.read_csv(folder / "cooperations.csv", dtype=str)
        partners = pd.read_csv(folder / "partners.csv", dtype=str)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFileError(folder, f"catalogue illisible ({exc})") from exc
    try:
        replace_all(con, coops, partners, user="catalogue livré", transaction=False)
    except CatalogueError as exc:
        raise SourceFileError(folder / "cooperations.csv", str(exc)) from exc


def save(
    con,
    record: dict,
    partners: list[dict],
    user: str,
    expected_version: int | None,
    action: str | None = None,
) -> int:
    """Create (``expected_version`` None) or update an entry; the second of two editors who
    opened the same version is refused (ConflictError). Returns the new version."""
    if not user:
        raise ObservatoireError("Modification refusée : connectez-vous pour modifier le catalogue.")
    coops = pd.DataFrame([{c: record.get(c, "") for c in COLUMNS}])
    coops["themes"] = coops["themes"].map(lambda v: "|".join(v) if isinstance(v, list) else v)
    coops["metropoles"] = coops["metropoles"].map(lambda v: "|".join(v) if isinstance(v, list) else v)
    parts = pd.DataFrame(partners, columns=PARTNER_COLUMNS).assign(cooperation_id=record.get("id"))
    problems = validate(coops.fillna(""), parts.fillna(""), known_epci(con))
    if problems:
        raise CatalogueError("Fiche refusée :", problems)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction(con):
        before = get(con, record["id"])
        if expected_version is None and before is not None:
            raise ConflictError(f"L'identifiant « {record['id']} » existe déjà.")
        if expected_version is not None:
            if before is None or before["version"] != expected_version:
                who = before["updated_by"] if before else "?"
                raise ConflictError(
                    f"Cette fiche a été modifiée par {who} depuis son ouverture (version "
                    f"{before['version'] if before else '?'} au lieu de {expected_version}) : "
                    "rechargez-la, vos changements n'ont pas été enregistrés."
                )
        version = _write_version(
            con,
            coops.iloc[0].to_dict(),
            parts.fillna("").to_dict("records"),
            before,
            user,
            now,
            action or ("création" if before is None else "modification"),
            retired=bool(record.get("retired", False)),
        )
    return version


def set_retired(con, cid: str, retired: bool, user: str, expected_version: int) -> int:
    """Retire (or bring back) an entry: never deleted, recorded in the history."""
    rec = get(con, cid)
    if rec is None:
        raise ObservatoireError(f"Coopération inconnue : {cid}")
    rec["retired"] = retired
    parts = rec.pop("partners")
    return save(con, rec, parts, user, expected_version, action="retrait" if retired else "remise en service")


def restore(con, cid: str, version: int, user: str, expected_version: int | None = None) -> int:
    """Make an earlier version current again (as a new version). ``expected_version``: the
    version the editor saw; refused (ConflictError) if the record changed since, like
    :func:`save`. Without it, the current version is taken (command line, scripts)."""
    row = con.execute(
        "SELECT after FROM cooperation_history WHERE cooperation_id = ? AND version = ?", [cid, version]
    ).fetchone()
    if row is None:
        raise ObservatoireError(f"Version {version} introuvable pour {cid}.")
    old = json.loads(row[0])
    parts = old.pop("partners")
    if expected_version is None:
        current = get(con, cid)
        expected_version = current["version"] if current else None
    return save(con, old, parts, user, expected_version, action=f"restauration de la version {version}")


def export_backup(con, backup: Path) -> None:
    """Beside a backup of the store, its catalogue as XLSX (``<backup>.catalogue.xlsx``)."""
    export_files(con, Path(backup).with_suffix(".catalogue.xlsx"))


def import_files(con, path: Path | str, partners_path: Path | str | None, user: str) -> int:
    """Import a catalogue: an XLSX with sheets ``cooperations`` and ``partenaires``, or two CSV."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx" and partners_path is None:
        coops, parts = read_table(path, "cooperations"), read_table(path, "partenaires")
    else:
        if partners_path is None:
            raise CatalogueError("Indiquez aussi le fichier des partenaires (--partners).")
        coops, parts = read_table(path), read_table(partners_path)
    return replace_all(con, coops, parts, user=user)


def export_files(con, path: Path | str) -> list[Path]:
    """Write the catalogue: one XLSX with two sheets, or ``X.csv`` + ``X_partenaires.csv``."""
    path = Path(path)
    coops, parts = export_tables(con)
    if path.suffix.lower() == ".xlsx":
        # text stays text: a description beginning with « = » is never written as a formula
        options = {"strings_to_formulas": False, "strings_to_urls": False}
        with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as xl:
            coops.to_excel(xl, sheet_name="cooperations", index=False)
            parts.to_excel(xl, sheet_name="partenaires", index=False)
        return [path]
    ppath = path.with_name(path.stem + "_partenaires.csv")
    coops.to_csv(path, index=False, encoding="utf-8")
    parts.to_csv(ppath, index=False, encoding="utf-8")
    return [path, ppath]
