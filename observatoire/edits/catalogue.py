"""The catalogue of cooperations: validation, loading, search, statistics, editing with
history (who, when, before/after), optimistic concurrency, no hard delete."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import store, text
from observatoire.errors import ObservatoireError, SourceFileError
from observatoire.queries import catalogue_stats
from observatoire.vocabulary import BODY_TYPES, CENSUS, CONFIDENCES, FORMS, STATUSES, THEMES

__all__ = [
    "BODY_TYPES",
    "CENSUS",
    "CONFIDENCES",
    "FORMS",
    "STATUSES",
    "THEMES",
]  # the vocabulary, re-exported for callers

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


def _no_nan(obj):
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_no_nan(v) for v in obj]
    return obj


def to_json(obj) -> str:
    """Strict JSON for the history (missing values as null: NaN is not JSON)."""
    return json.dumps(_no_nan(obj), default=str, ensure_ascii=False, allow_nan=False)


def clean_json_text(text: str | None) -> str | None:
    """A history JSON text made strict (older stores wrote NaN for missing values)."""
    return None if text is None else to_json(json.loads(text))


class ConflictError(ObservatoireError):
    """Someone else saved the entry since it was opened."""


def _split(v) -> list[str]:
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
        for t in _split(r.get("themes")):
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
        for m in _split(r.get("metropoles")):
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


def _known_epci(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT code FROM territory WHERE level = 'epci'").fetchall()}


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
        _split(r.get("themes")),
        s("status"),
        s("date_start"),
        s("date_end"),
        _split(r.get("metropoles")),
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
    problems = validate(coops, partners, _known_epci(con))
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
    problems = validate(coops.fillna(""), parts.fillna(""), _known_epci(con))
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


def history(con, cid: str) -> pd.DataFrame:
    return con.execute(
        """SELECT version, action, changed_at, changed_by, before, after
        FROM cooperation_history WHERE cooperation_id = ? ORDER BY version DESC""",
        [cid],
    ).df()


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


def export_files(con, path: Path | str) -> list[Path]:
    """Write the catalogue: one XLSX with two sheets, or ``X.csv`` + ``X_partenaires.csv``."""
    path = Path(path)
    coops, parts = export_tables(con)
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            coops.to_excel(xl, sheet_name="cooperations", index=False)
            parts.to_excel(xl, sheet_name="partenaires", index=False)
        return [path]
    ppath = path.with_name(path.stem + "_partenaires.csv")
    coops.to_csv(path, index=False, encoding="utf-8")
    parts.to_csv(ppath, index=False, encoding="utf-8")
    return [path, ppath]
