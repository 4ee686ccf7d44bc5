"""The catalogue's file format: its columns, the checks of every row (French messages with
line and column), the citation formats of ``source_doc``, and reading a CSV or XLSX table of
it (a file or an upload). No store here: writing is :mod:`observatoire.edits.catalogue`."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from observatoire.errors import ObservatoireError
from observatoire.vocabulary import BODY_TYPES, CONFIDENCES, FORMS, STATUSES, THEMES

COLUMNS = [
    "id",
    "name",
    "summary",
    "form",
    "themes",
    "status",
    "date_start",
    "date_end",
    "metropoles",
    "source_doc",
    "source_page",
    "source_url",
    "notes",
    "confidence",
    "source_read",
]
# Columns added after the first release: a file without them is read as empty (older exports
# stay importable); when present they are checked like the others.
LATER_COLUMNS = ("confidence", "source_read")
PARTNER_COLUMNS = ["cooperation_id", "partner_kind", "epci_siren", "name", "body_type", "role", "note"]
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SIREN_RE = re.compile(r"^\d{9}$")
# The kinds of source a row may cite in ``source_doc`` (parts separated by " ; "):
SEED_RE = re.compile(r"^seed \d{3} \(\d{3}_[0-9a-f]{16}\.txt\)$")
DATA_MD_RE = re.compile(r"^DATA\.md §\d+ \(shared/docs/DATA\.md\)$")
# « web : <site> <URL> », the site optionally followed by a short description in brackets.
WEB_RE = re.compile(r"^web : (?P<site>[a-z0-9.-]+\.[a-z]{2,})(?: \([^<>]*\))? <(?P<url>https?://[^\s<>]+)>$")
URL_RE = re.compile(r"^https?://[^\s<>]+$")
# Hosts that serve copies of other sites' pages (proxies, mirrors): cite the original page.
MIRROR_HOSTS = ("dukovany.cz", "samonrye.com", "abcdef.wiki", "wiki.x.io", "libraries.london.ac.uk")


class CatalogueError(ObservatoireError):
    """Invalid catalogue content; ``problems`` lists (row, column, message)."""

    def __init__(self, message: str, problems: list[tuple[int, str, str]] | None = None):
        self.problems = problems or []
        detail = "\n".join(f"ligne {r}, colonne « {c} » : {m}" for r, c, m in self.problems[:50])
        super().__init__(message + ("\n" + detail if detail else ""))


def split_values(v) -> list[str]:
    if v is None or (isinstance(v, float) and v != v):
        return []
    if isinstance(v, list | tuple):
        return [str(x).strip() for x in v if str(x).strip()]
    return [x.strip() for x in str(v).split("|") if x.strip()]


def validate(
    coops: pd.DataFrame, partners: pd.DataFrame, known_epci: set[str], first_line: int = 2
) -> list[tuple[int, str, str]]:
    """Every problem of a catalogue table, as (line, column, French message); line numbers
    are those of the file (header = line 1)."""
    problems = []
    missing = [c for c in COLUMNS if c not in coops.columns and c not in LATER_COLUMNS]
    if missing:
        return [(1, c, "colonne obligatoire absente") for c in missing]
    seen: dict[str, int] = {}
    for i, r in enumerate(coops.to_dict("records")):
        line = first_line + i
        cid = str(r.get("id") or "").strip()
        if not ID_RE.match(cid):
            problems.append((line, "id", f"identifiant invalide « {cid} » (minuscules, chiffres, tirets)"))
        elif cid in seen:
            problems.append((line, "id", f"identifiant « {cid} » en double (déjà ligne {seen[cid]})"))
        else:
            seen[cid] = line
        if not str(r.get("name") or "").strip():
            problems.append((line, "name", "nom manquant"))
        if r.get("form") not in FORMS:
            problems.append(
                (line, "form", f"forme inconnue « {r.get('form')} » (attendu : {', '.join(FORMS)})")
            )
        for t in split_values(r.get("themes")):
            if t not in THEMES:
                problems.append((line, "themes", f"thème inconnu « {t} »"))
        if r.get("status") not in STATUSES:
            problems.append(
                (line, "status", f"statut inconnu « {r.get('status')} » (attendu : {', '.join(STATUSES)})")
            )
        for col in ("date_start", "date_end"):
            v = str(r.get(col) or "").strip()
            if v and not DATE_RE.match(v):
                problems.append((line, col, f"date invalide « {v} » (AAAA, AAAA-MM ou AAAA-MM-JJ)"))
        for m in split_values(r.get("metropoles")):
            if not SIREN_RE.match(m):
                problems.append((line, "metropoles", f"SIREN invalide « {m} » (9 chiffres)"))
            elif m not in known_epci:
                problems.append((line, "metropoles", f"SIREN « {m} » : aucun EPCI actuel"))
        if not str(r.get("source_doc") or "").strip():
            problems.append(
                (line, "source_doc", "source manquante : chaque coopération doit citer sa source")
            )
        problems += [(line, c, m) for c, m in _source_problems(r)]
        conf = str(r.get("confidence") or "").strip()
        if conf and conf not in CONFIDENCES:
            problems.append(
                (line, "confidence", f"confiance inconnue « {conf} » (attendu : {', '.join(CONFIDENCES)})")
            )
    ids = set(seen)
    for i, p in enumerate(partners.to_dict("records")):
        line = first_line + i
        if p.get("cooperation_id") not in ids:
            problems.append(
                (line, "cooperation_id", f"coopération inconnue « {p.get('cooperation_id')} » (partenaires)")
            )
        kind = p.get("partner_kind")
        if kind == "epci":
            s = str(p.get("epci_siren") or "")
            if not SIREN_RE.match(s):
                problems.append((line, "epci_siren", f"SIREN invalide « {s} » (partenaires)"))
            elif s not in known_epci:
                problems.append((line, "epci_siren", f"SIREN « {s} » : aucun EPCI actuel (partenaires)"))
        elif kind == "organisme":
            if p.get("body_type") not in BODY_TYPES:
                problems.append(
                    (line, "body_type", f"type d'organisme inconnu « {p.get('body_type')} » (partenaires)")
                )
        else:
            problems.append(
                (line, "partner_kind", f"type de partenaire inconnu « {kind} » (epci ou organisme)")
            )
        if not str(p.get("name") or "").strip():
            problems.append((line, "name", "nom du partenaire manquant (partenaires)"))
    return problems


def _source_problems(r: dict) -> list[tuple[str, str]]:
    """The source columns of one row: each ``source_doc`` part that names a seed, DATA.md or a
    web page must be well formed; a row citing a web page gives its main address in
    ``source_url`` (one of the cited addresses) and the date it was read in ``source_read``;
    no proxy or mirror address. Other parts (a document named by an editor) are free text."""
    out = []
    parts = [x.strip() for x in str(r.get("source_doc") or "").split(" ; ") if x.strip()]
    web_urls = []
    for part in parts:
        if part.startswith("web"):
            m = WEB_RE.match(part)
            if not m:
                out.append(
                    (
                        "source_doc",
                        f"source web mal formée « {part[:80]} » (attendu : web : site <https://…>)",
                    )
                )
                continue
            web_urls.append(m["url"])
        elif part.startswith("seed") and not SEED_RE.match(part):
            out.append(
                (
                    "source_doc",
                    f"référence de seed mal formée « {part[:80]} » (attendu : seed 00N (00N_<empreinte>.txt))",
                )
            )
        elif part.startswith("DATA.md") and not DATA_MD_RE.match(part):
            out.append(
                (
                    "source_doc",
                    f"référence à DATA.md mal formée « {part[:80]} » (attendu : DATA.md §N (shared/docs/DATA.md))",
                )
            )
    url = str(r.get("source_url") or "").strip()
    read = str(r.get("source_read") or "").strip()
    if url and not URL_RE.match(url):
        out.append(("source_url", f"adresse invalide « {url[:80]} » (http:// ou https://)"))
    for u in [url, *web_urls]:
        host = re.sub(r"^https?://([^/:?#]+).*$", r"\1", u).lower()
        if any(host == h or host.endswith("." + h) for h in MIRROR_HOSTS):
            out.append(
                (
                    "source_url" if u == url else "source_doc",
                    f"adresse de copie ou de proxy « {host} » : citez la page d'origine",
                )
            )
    if web_urls and parts[0].startswith("web"):  # the main source is a web page
        if not url:
            out.append(("source_url", "source principale web : son adresse (source_url) est obligatoire"))
        elif url not in web_urls:
            out.append(
                ("source_url", "l'adresse principale doit être l'une des adresses citées dans source_doc")
            )
    if web_urls:
        if not read:
            out.append(("source_read", "source web citée : la date de lecture (source_read) est obligatoire"))
    if read:
        if not DATE_RE.match(read):
            out.append(("source_read", f"date invalide « {read} » (AAAA, AAAA-MM ou AAAA-MM-JJ)"))
        elif read > dt.date.today().isoformat():
            out.append(("source_read", f"date de lecture « {read} » dans le futur"))
    return out


def source_label(doc) -> str:
    """``source_doc`` shortened for a table: ``seed 003 ; DATA.md §6 ; lametro.fr``."""
    out = []
    for part in [x.strip() for x in str(doc or "").split(" ; ") if x.strip()]:
        m = WEB_RE.match(part)
        if m:
            out.append(m["site"])
        else:
            out.append(re.sub(r" \((?:\d{3}_[0-9a-f]{16}\.txt|shared/docs/DATA\.md)\)$", "", part))
    return " ; ".join(dict.fromkeys(out))


def read_table(path: Path | str, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8, ``,`` or ``;``) or XLSX table of the catalogue format, all strings.

    Raises CatalogueError naming the file when it is missing, or its encoding or format wrong.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise CatalogueError(f"Fichier « {path.name} » introuvable.") from exc
    return read_bytes(raw, path.name, sheet)


def read_bytes(raw: bytes, name: str, sheet: str | None = None) -> pd.DataFrame:
    """:func:`read_table` of a file's content (an upload): CSV UTF-8 ``,``/``;`` or XLSX."""
    if name.lower().endswith(".xlsx"):
        try:
            return pd.read_excel(io.BytesIO(raw), sheet_name=sheet or 0, dtype=str).fillna("")
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            raise CatalogueError(
                f"Fichier « {name} » : classeur XLSX illisible ou sans la feuille attendue "
                f"({sheet or 'la première'}). Rien n'a été importé."
            ) from exc
    try:
        txt = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogueError(
            f"Fichier « {name} », ligne {line} : encodage non UTF-8 "
            "(enregistrez le fichier en « CSV UTF-8 »). Rien n'a été importé."
        ) from exc
    first = txt.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        return pd.read_csv(io.StringIO(txt), dtype=str, sep=sep).fillna("")
    except pd.errors.ParserError as exc:
        where = re.search(r"line (\d+)", str(exc))
        at = f", ligne {where.group(1)}" if where else ""
        raise CatalogueError(
            f"Fichier « {name} »{at} : CSV invalide (nombre de colonnes différent de l'en-tête ?). "
            "Rien n'a été importé."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise CatalogueError(f"Fichier « {name} » : fichier vide. Rien n'a été importé.") from exc
