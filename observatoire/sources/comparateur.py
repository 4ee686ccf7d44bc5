"""Adapter for INSEE's *Comparateur de territoires* (base communale, January 2022 release).

``base_cc_comparateur.CSV`` inside the published zip: ``;``-separated, latin-1, CRLF,
35 010 rows (COG 2021 communes + 45 arrondissements municipaux).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from observatoire.errors import SourceFileError

MEMBER = "base_cc_comparateur.CSV"
COLUMNS = (
    "CODGEO;P18_POP;P13_POP;SUPERF;NAIS1318;DECE1318;P18_MEN;NAISD20;DECESD20;P18_LOG;P18_RP;"
    "P18_RSECOCC;P18_LOGVAC;P18_RP_PROP;NBMENFISC19;PIMP19;MED19;TP6019;P18_EMPLT;"
    "P18_EMPLT_SAL;P13_EMPLT;P18_POP1564;P18_CHOM1564;P18_ACT1564;ETTOT18;ETAZ18;ETBE18;"
    "ETFZ18;ETGU18;ETGZ18;ETOQ18;ETTEF118;ETTEFP1018"
).split(";")


def read_comparateur(path: Path) -> pd.DataFrame:
    """Read the comparateur zip (or its CSV) into a frame, CODGEO as string.

    Raises
    ------
    SourceFileError
        missing file, wrong header, non-numeric value (with line and column), truncated line.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                raw = zf.read(MEMBER)
        else:
            raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceFileError(path, "fichier introuvable") from exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise SourceFileError(path, f"archive illisible ou incomplète ({exc})") from exc
    text = raw.decode("latin-1")
    lines = text.splitlines()
    if not lines:
        raise SourceFileError(path, "fichier vide")
    header = lines[0].split(";")
    if header != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        raise SourceFileError(
            path,
            "en-tête inattendu" + (f" : colonnes manquantes {', '.join(missing)}" if missing else ""),
            line=1,
        )
    for i, line in enumerate(lines[1:], start=2):
        if line.count(";") != len(COLUMNS) - 1:
            raise SourceFileError(
                path,
                f"ligne incomplète ou tronquée ({line.count(';') + 1} champs au lieu de {len(COLUMNS)})",
                line=i,
            )
    df = pd.read_csv(io.StringIO(text), sep=";", dtype={"CODGEO": "string"}, na_values=["", "s", "nd"])
    for col in COLUMNS[1:]:
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() & df[col].notna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFileError(path, f"valeur non numérique « {df[col].iloc[i]} »", line=i + 2, column=col)
        df[col] = num.astype("float64")
    return df
