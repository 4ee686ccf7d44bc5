"""Loading: bytes from a path, bytes or file object; gzip/zip/xlsx containers; text checks and encodings."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from observatoire.sources.insee_flows.base import _CONTROL_BYTES, FlowFileError, FlowSource


@dataclass
class _Raw:
    name: str  # name shown in messages
    sha256: str
    payload: bytes  # decompressed content
    is_xlsx: bool
    container: str  # "texte", "gzip", "zip", "xlsx", "zip/xlsx"
    notes: list[str] = field(default_factory=list)


def _fmt_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} Mo".replace(".", ",")
    if n >= 1_000:
        return f"{n / 1_000:.1f} ko".replace(".", ",")
    return f"{n} octets"


def _too_large(name: str, size: int, max_bytes: int, what: str = "") -> FlowFileError:
    return FlowFileError(
        f"Fichier « {name} » trop volumineux{what} : {_fmt_size(size)} "
        f"(maximum autorisé : {_fmt_size(max_bytes)}) ; il n'a pas été lu.",
        filename=name,
    )


def _read_bytes(source: FlowSource, name: str | None, max_bytes: int) -> tuple[str, bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        shown = name or "données importées"
        if len(source) > max_bytes:
            raise _too_large(shown, len(source), max_bytes)
        return shown, bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        shown = name or path.name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise FlowFileError(f"Fichier « {shown} » introuvable ({path}).", filename=shown) from None
        except OSError as exc:
            raise FlowFileError(f"Fichier « {shown} » illisible : {exc}.", filename=shown) from None
        if path.is_dir():
            raise FlowFileError(f"« {shown} » est un dossier, pas un fichier.", filename=shown)
        if size > max_bytes:
            raise _too_large(shown, size, max_bytes)
        return shown, path.read_bytes()
    if hasattr(source, "read"):
        shown = name or Path(str(getattr(source, "name", "") or "fichier importé")).name
        size = getattr(source, "size", None)
        if not isinstance(size, int):
            size = None
            try:
                if source.seekable():
                    pos = source.tell()
                    size = source.seek(0, io.SEEK_END) - pos
                    source.seek(pos)
            except (AttributeError, OSError, ValueError):
                size = None
        if size is not None and size > max_bytes:
            raise _too_large(shown, size, max_bytes)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            raise FlowFileError(
                f"Fichier « {shown} » ouvert en mode texte : ouvrez-le en mode binaire ('rb').",
                filename=shown,
            )
        if len(data) > max_bytes:
            raise _too_large(shown, len(data), max_bytes, " (plus que le maximum)")
        return shown, bytes(data)
    raise TypeError(f"source de type {type(source).__name__} non prise en charge")


def _is_xlsx_zip(zf: zipfile.ZipFile) -> bool:
    names = set(zf.namelist())
    return (
        "xl/workbook.xml" in names
        or "[Content_Types].xml" in names
        and any(n.startswith("xl/") for n in names)
    )


def _load(source: FlowSource, *, name: str | None, max_bytes: int, member: str | None) -> _Raw:
    shown, data = _read_bytes(source, name, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        raise FlowFileError(f"Fichier « {shown} » vide (0 octet).", filename=shown)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                payload = gz.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise FlowFileError(
                f"Fichier « {shown} » : archive gzip corrompue ou tronquée ({exc}).",
                filename=shown,
            ) from None
        if len(payload) > max_bytes:
            raise _too_large(shown, len(payload), max_bytes, " une fois décompressé")
        if payload[:4] == b"PK\x03\x04":
            return _load_zip(shown, digest, payload, max_bytes, member, "gzip/")
        return _Raw(shown, digest, payload, False, "gzip")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(shown, digest, data, max_bytes, member, "")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FlowFileError(
            f"Fichier « {shown} » : ancien format Excel (.xls) non pris en charge ; "
            "enregistrez-le en .xlsx ou en .csv.",
            filename=shown,
        )
    return _Raw(shown, digest, data, False, "texte")


def _load_zip(
    shown: str,
    digest: str,
    data: bytes,
    max_bytes: int,
    member: str | None,
    prefix: str,
) -> _Raw:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FlowFileError(f"Fichier « {shown} » : archive zip illisible ({exc}).", filename=shown) from None
    with zf:
        if _is_xlsx_zip(zf):
            return _Raw(shown, digest, data, True, prefix + "xlsx")
        infos = [
            i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith(".")
        ]
        listing = ", ".join(i.filename for i in infos) or "aucun fichier"
        if member is not None:
            chosen = [i for i in infos if i.filename == member or Path(i.filename).name == member]
            if not chosen:
                raise FlowFileError(
                    f"Fichier « {shown} » : l'archive ne contient pas « {member} » (contenu : {listing}).",
                    filename=shown,
                )
        elif len(infos) == 1:
            chosen = infos
        else:
            chosen = [i for i in infos if i.filename.lower().endswith((".csv", ".txt", ".xlsx"))]
            if len(chosen) > 1:
                chosen = [i for i in chosen if not Path(i.filename).name.lower().startswith("meta")]
            if len(chosen) != 1:
                raise FlowFileError(
                    f"Fichier « {shown} » : l'archive doit contenir un seul fichier CSV ou XLSX "
                    f"(contenu : {listing}) ; précisez lequel lire.",
                    filename=shown,
                )
        info = chosen[0]
        inner = f"{shown} › {info.filename}"
        if info.file_size > max_bytes:
            raise _too_large(inner, info.file_size, max_bytes, " une fois décompressé")
        try:
            payload = zf.read(info)
        except (zipfile.BadZipFile, RuntimeError, zlib.error, OSError) as exc:
            raise FlowFileError(
                f"Fichier « {inner} » : membre de l'archive illisible ({exc}).",
                filename=shown,
            ) from None
    if payload[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as inner_zf:
                if _is_xlsx_zip(inner_zf):
                    return _Raw(inner, digest, payload, True, prefix + "zip/xlsx")
        except zipfile.BadZipFile:
            pass
    return _Raw(inner, digest, payload, False, prefix + "zip")


class _NotUtf8(Exception):
    """Raised while parsing when the bytes turn out not to be UTF-8."""


def _check_text(raw: _Raw) -> tuple[bytes, str]:
    """Refuse binary content; strip a UTF-8 BOM, transcode UTF-16.

    Returns the bytes to parse and the encoding label, provisionally ``"UTF-8"``: the
    UTF-8 validity of the whole file is checked while parsing (pyarrow validates every
    string), see :func:`_to_utf8` for the fallback.
    """
    data = raw.payload
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8"), "UTF-16"
        except UnicodeDecodeError:
            raise FlowFileError(
                f"Fichier « {raw.name} » : UTF-16 invalide, ce n'est pas un fichier texte lisible.",
                filename=raw.name,
            ) from None
    sample = data[:65536]
    n_control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or n_control > max(8, len(sample) // 100):
        raise FlowFileError(
            f"Fichier « {raw.name} » : ce n'est pas un fichier texte (contenu binaire) ; "
            "formats attendus : CSV, CSV compressé (.zip, .gz) ou XLSX.",
            filename=raw.name,
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "UTF-8 avec BOM"
    return data, "UTF-8"


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    """Bytes that are not UTF-8: decode as Windows-1252, else latin-1; re-encode UTF-8."""
    try:
        return data.decode("cp1252").encode("utf-8"), "Windows-1252 (latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8"), "ISO-8859-1 (latin-1)"
