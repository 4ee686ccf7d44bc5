"""What a signed-in editor can do, as actions the pages call: each takes the store's one write
path (:meth:`observatoire.store.database.Database.write`) the same way — the conflict check of
the record's version, the backup policy, the reason recorded — shows the outcome in French and
empties the caches. Pages never see a connection.

Every action returns its result, or None when it was refused (the French message is shown and
nothing was written).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from observatoire.edits import catalogue, flow_import, indicators, perimeters
from observatoire.errors import ObservatoireError
from observatoire.ui import data


def _run(reason: str, work: Callable, *, edits: bool, backup: str = "auto"):
    """Run ``work(con)`` inside one write; a refusal (any ObservatoireError: conflict,
    validation, busy writer, full disk) is shown to the user and loses nothing."""
    try:
        with data.database().write(reason, edits=edits, backup=backup) as con:
            result = work(con)
    except ObservatoireError as exc:
        st.error(str(exc))
        return None
    data.clear_caches()
    return result


def save_cooperation(record: dict, partners: list[dict], user: str, expected_version: int | None):
    """Create or update a cooperation (the second of two editors of one version is refused)."""
    return _run(
        "modification du catalogue",
        lambda con: catalogue.save(con, record, partners, user, expected_version),
        edits=True,
    )


def retire_cooperation(cid: str, user: str, expected_version: int, retired: bool = True):
    """Retire (or bring back) a cooperation, if nobody changed it since ``expected_version``."""
    return _run(
        "retrait d'une coopération" if retired else "remise en service d'une coopération",
        lambda con: catalogue.set_retired(con, cid, retired, user, expected_version),
        edits=True,
    )


def restore_cooperation(cid: str, version: int, user: str, expected_version: int):
    """Make ``version`` current again, if nobody changed the record since ``expected_version``."""
    return _run(
        "restauration d'une version",
        lambda con: catalogue.restore(con, cid, version, user, expected_version),
        edits=True,
    )


def read_catalogue_upload(upload) -> pd.DataFrame | None:
    """An uploaded catalogue table (CSV UTF-8 ``,``/``;`` or XLSX), or None with the reason."""
    try:
        return catalogue.read_bytes(upload.getvalue(), upload.name)
    except ObservatoireError as exc:
        st.error(str(exc))
        return None


def import_catalogue(coops: pd.DataFrame, parts: pd.DataFrame, user: str):
    """Replace the catalogue by an imported one (all or nothing, backup kept first)."""
    return _run(
        "import du catalogue",
        lambda con: catalogue.replace_all(con, coops, parts, user),
        edits=True,
        backup="force",
    )


def import_flows(upload, user: str):
    """Import an INSEE flow file (all or nothing, backup kept first); the reports, or None."""
    if not user:
        st.error("Import refusé : connectez-vous pour importer un fichier.")
        return None
    return _run(
        "import de flux",
        lambda con: flow_import.import_file(con, upload.getvalue(), name=upload.name),
        edits=False,
        backup="force",
    )


def import_od_flows(upload, meta: dict, user: str):
    """Import an origin–destination file of any kind (issue 16) from the Données form: ``meta``
    holds kind (free French label), unit, level, year, source and an optional theme. All or
    nothing, backup kept first; the report, or None (the French reason shown)."""
    if not user:
        st.error("Import refusé : connectez-vous pour importer un fichier.")
        return None
    year = str(meta.get("year") or "").strip()
    if not (year.isdigit() and len(year) == 4):
        st.error(f"Import refusé : année invalide « {year} » (attendu : AAAA). Rien n'a été importé.")
        return None
    return _run(
        "import de flux",
        lambda con: flow_import.import_od(
            con,
            upload.getvalue(),
            name=upload.name,
            kind=meta.get("kind") or "",
            unit=meta.get("unit") or "",
            level=meta.get("level") or "",
            year=int(year),
            source=meta.get("source") or "",
            theme=meta.get("theme") or None,
        ),
        edits=False,
        backup="force",
    )


def save_perimeter(name: str, kind: str, source: str, members: list[tuple[str, str]], user: str):
    """Save a perimeter built from EPCI and communes; its summary, or None."""
    if not user:
        st.error("Enregistrement refusé : connectez-vous pour enregistrer un périmètre.")
        return None
    return _run(
        "enregistrement d'un périmètre",
        lambda con: perimeters.save(
            con, id=perimeters.slug(name), name=name, kind=kind, source=source, members=members, user=user
        ),
        edits=True,
    )


def import_indicators(upload, meta: dict, user: str, level: str | None = None, sidecar=None):
    """Import an indicator file (all or nothing, backup kept first); the reports, or None.
    ``meta`` describes a one-value-column file; a ``sidecar`` upload (``.meta.csv``/JSON) or an
    XLSX ``metadata`` sheet describes several."""
    if not user:
        st.error("Import refusé : connectez-vous pour importer un fichier.")
        return None
    side = (sidecar.getvalue(), sidecar.name) if sidecar is not None else None
    reports = _run(
        "import d'indicateurs",
        lambda con: indicators.import_file(
            con, upload.getvalue(), upload.name, meta=meta, level=level or None, sidecar=side, user=user
        ),
        edits=False,
        backup="force",
    )
    if reports is not None:
        _refresh_perimeters([r["indicateur"] for r in reports])
    return reports


def _refresh_perimeters(ids: list[str]) -> None:
    """Perimeters living in PostgreSQL: their values of the indicators just imported/removed."""
    try:
        perimeters.refresh_in_postgres(data.database(), ids)
    except ObservatoireError as exc:
        st.warning(
            f"Indicateurs importés, mais les valeurs des périmètres n'ont pas pu être mises à jour : {exc} "
            "Réimportez le fichier pour les recalculer."
        )
    data.clear_caches()


def remove_indicator(indicator_id: str, user: str):
    """Remove an imported indicator (its history row kept); the summary, or None."""
    if not user:
        st.error("Retrait refusé : connectez-vous pour retirer un indicateur.")
        return None
    out = _run(
        "retrait d'un indicateur",
        lambda con: indicators.remove(con, indicator_id, user=user),
        edits=False,
        backup="force",
    )
    if out is not None:
        _refresh_perimeters([indicator_id])
    return out
