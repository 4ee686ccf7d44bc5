#!/usr/bin/env python3
"""Self-check of the curated catalogue and perimeter CSVs.

Usage:
    python3 tools/check_catalogue_data.py PATH/TO/epci.json [--communes PATH/TO/communes.json]
                                          [--data-dir data]

epci.json / communes.json are the files of the npm package
@etalab/decoupage-administratif (data/epci.json, data/communes.json). They are
passed as arguments: the application itself never reads them from a fixed path.

Checks (exit code 1 if any error):
  * files are UTF-8, headers are exactly the documented ones, every row has the
    right number of fields;
  * cooperation ids are unique slugs; form, themes, status use the vocabularies;
    dates are YYYY, YYYY-MM or YYYY-MM-DD and date_end >= date_start;
  * every cooperation has a source_doc made of known sources (seed 000..004, DATA.md);
  * every SIREN (metropoles, partners.epci_siren, members.code at level epci)
    exists in epci.json, and EPCI partner names are the current official names;
  * every metropoles SIREN is an EPCI of type METRO/MET69 (or the row's notes
    explain that it is a communauté urbaine) and appears as a partner with
    role=métropole; every cooperation has at least one role=métropole partner;
  * every partners.cooperation_id exists; partner_kind / body_type / role use
    the vocabularies; no duplicated partner;
  * perimeter ids are unique, kinds use the vocabulary, every member's
    perimeter_id exists, no duplicated member, every perimeter has members.
"""

import argparse
import csv
import json
import os
import re
import sys

FORMS = {
    "contrat de réciprocité",
    "pôle métropolitain",
    "entente",
    "convention",
    "accord-cadre",
    "syndicat mixte",
    "PETR/pays",
    "association",
    "SPL/SEM",
    "groupement d'autorités concédantes",
    "Territoire d'industrie",
    "groupe informel",
    "autre",
}
THEMES = {
    "mobilité/transports",
    "tourisme",
    "développement économique",
    "alimentation",
    "énergie",
    "environnement",
    "eau",
    "déchets",
    "santé",
    "culture",
    "enseignement supérieur et recherche",
    "numérique",
    "insertion",
    "attractivité",
    "agriculture",
    "logistique",
    "aménagement/planification",
    "services publics",
    "forêt-bois",
}
STATUSES = {"active", "en projet", "terminée", "abandonnée", "inconnu"}
PARTNER_KINDS = {"epci", "organisme"}
BODY_TYPES = {
    "Région",
    "Département",
    "PNR",
    "PETR",
    "Pays",
    "chambre consulaire",
    "opérateur",
    "commune",
    "syndicat",
    "État",
    "association",
    "autre",
}
ROLES = {"métropole", "partenaire"}
PERIMETER_KINDS = {"pays", "pôle métropolitain", "dialogue métropolitain", "territoire d'industrie", "autre"}
MEMBER_LEVELS = {"epci", "commune"}
METRO_TYPES = {"METRO", "MET69"}

COOP_HEADER = [
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
]
PARTNER_HEADER = ["cooperation_id", "partner_kind", "epci_siren", "name", "body_type", "role", "note"]
PERIM_HEADER = ["id", "name", "kind", "source_doc", "source_page", "note"]
MEMBER_HEADER = ["perimeter_id", "level", "code", "name", "note"]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SIREN = re.compile(r"^\d{9}$")
DATE = re.compile(r"^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")
SOURCE = re.compile(r"^(?:seed 00[0-4] \(00[0-4]_[0-9a-f]{16}\.txt\)|DATA\.md\b.*)$")
COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


class Checker:
    def __init__(self):
        self.errors = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def read(self, path, header):
        try:
            with open(path, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
        except UnicodeDecodeError as exc:
            self.err(path, f"not UTF-8 ({exc})")
            return []
        except FileNotFoundError:
            self.err(path, "missing")
            return []
        if not rows or rows[0] != header:
            self.err(path, f"header must be exactly {header}, got {rows[0] if rows else None}")
            return []
        out = []
        for i, r in enumerate(rows[1:], start=2):
            if len(r) != len(header):
                self.err(f"{path}:{i}", f"{len(r)} fields instead of {len(header)}")
                continue
            d = dict(zip(header, r))
            d["_where"] = f"{os.path.basename(path)}:{i}"
            out.append(d)
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("epci_json", help="path to decoupage-administratif data/epci.json")
    ap.add_argument(
        "--communes", help="path to decoupage-administratif data/communes.json (to check commune codes)"
    )
    ap.add_argument(
        "--data-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    )
    a = ap.parse_args(argv)

    with open(a.epci_json, encoding="utf-8") as f:
        epci = {e["code"]: e for e in json.load(f)}
    communes = None
    if a.communes:
        with open(a.communes, encoding="utf-8") as f:
            communes = {c["code"] for c in json.load(f) if c.get("type") == "commune-actuelle"}

    ck = Checker()
    cat = os.path.join(a.data_dir, "catalogue")
    per = os.path.join(a.data_dir, "perimeters")
    coops = ck.read(os.path.join(cat, "cooperations.csv"), COOP_HEADER)
    partners = ck.read(os.path.join(cat, "partners.csv"), PARTNER_HEADER)
    perims = ck.read(os.path.join(per, "perimeters.csv"), PERIM_HEADER)
    members = ck.read(os.path.join(per, "members.csv"), MEMBER_HEADER)

    def check_siren(where, code):
        if not SIREN.match(code):
            ck.err(where, f"SIREN {code!r} is not 9 digits")
            return False
        if code not in epci:
            ck.err(where, f"SIREN {code} not in epci.json")
            return False
        return True

    # ---- cooperations
    ids = {}
    for c in coops:
        w = c["_where"]
        if not SLUG.match(c["id"]):
            ck.err(w, f"id {c['id']!r} is not a slug")
        if c["id"] in ids:
            ck.err(w, f"duplicate id {c['id']} (also {ids[c['id']]['_where']})")
        ids[c["id"]] = c
        for col in ("name", "summary"):
            if not c[col].strip():
                ck.err(w, f"empty {col}")
        if c["form"] not in FORMS:
            ck.err(w, f"form {c['form']!r} not in vocabulary")
        themes = [t for t in c["themes"].split("|")] if c["themes"] else []
        for t in themes:
            if t not in THEMES:
                ck.err(w, f"theme {t!r} not in vocabulary")
        if len(set(themes)) != len(themes):
            ck.err(w, "duplicated theme")
        if not themes and "non précisé" not in c["notes"]:
            ck.err(w, "no theme and the notes do not say the themes are « non précisés »")
        if c["status"] not in STATUSES:
            ck.err(w, f"status {c['status']!r} not in vocabulary")
        for col in ("date_start", "date_end"):
            if c[col] and not DATE.match(c[col]):
                ck.err(w, f"{col} {c[col]!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if c["date_start"] and c["date_end"] and c["date_end"] < c["date_start"]:
            ck.err(w, "date_end before date_start")
        if not c["source_doc"].strip():
            ck.err(w, "empty source_doc")
        else:
            for part in c["source_doc"].split(" ; "):
                if not SOURCE.match(part.strip()):
                    ck.err(w, f"unknown source {part!r}")
        if c["source_url"] and not re.match(r"^https?://\S+$", c["source_url"]):
            ck.err(w, f"source_url {c['source_url']!r} is not an http(s) URL")
        metros = c["metropoles"].split("|") if c["metropoles"] else []
        if not metros:
            ck.err(w, "no metropoles")
        for m in metros:
            if (
                check_siren(w, m)
                and epci[m]["type"] not in METRO_TYPES
                and "communauté urbaine" not in c["notes"]
            ):
                ck.err(
                    w,
                    f"{m} ({epci[m]['nom']}, {epci[m]['type']}) is not a métropole and the notes do not explain it",
                )
        c["_metros"] = metros

    # ---- partners
    by_coop = {}
    seen = set()
    for p in partners:
        w = p["_where"]
        cid = p["cooperation_id"]
        if cid not in ids:
            ck.err(w, f"cooperation_id {cid!r} does not exist")
        if p["partner_kind"] not in PARTNER_KINDS:
            ck.err(w, f"partner_kind {p['partner_kind']!r} not in vocabulary")
        if p["role"] not in ROLES:
            ck.err(w, f"role {p['role']!r} not in vocabulary")
        if not p["name"].strip():
            ck.err(w, "empty name")
        if p["partner_kind"] == "epci":
            if check_siren(w, p["epci_siren"]) and p["name"] != epci[p["epci_siren"]]["nom"]:
                ck.err(
                    w, f"name {p['name']!r} is not the current official name {epci[p['epci_siren']]['nom']!r}"
                )
            if p["body_type"]:
                ck.err(w, "body_type must be empty for an epci partner")
            key = (cid, "epci", p["epci_siren"])
        else:
            if p["epci_siren"]:
                ck.err(w, "epci_siren must be empty for an organisme")
            if p["body_type"] not in BODY_TYPES:
                ck.err(w, f"body_type {p['body_type']!r} not in vocabulary")
            if p["role"] == "métropole":
                ck.err(w, "an organisme cannot have role=métropole")
            key = (cid, "organisme", p["name"])
        if key in seen:
            ck.err(w, f"duplicated partner {key}")
        seen.add(key)
        by_coop.setdefault(cid, []).append(p)
    for cid, c in ids.items():
        ps = by_coop.get(cid, [])
        metro_partners = {p["epci_siren"] for p in ps if p["role"] == "métropole"}
        if not metro_partners:
            ck.err(c["_where"], f"{cid}: no partner with role=métropole")
        for m in c["_metros"]:
            if m not in metro_partners:
                ck.err(c["_where"], f"{cid}: métropole {m} is not listed in partners with role=métropole")
        for m in metro_partners - set(c["_metros"]):
            ck.err(c["_where"], f"{cid}: partner {m} has role=métropole but is not in the metropoles column")

    # ---- perimeters
    pids = {}
    for p in perims:
        w = p["_where"]
        if not SLUG.match(p["id"]):
            ck.err(w, f"id {p['id']!r} is not a slug")
        if p["id"] in pids:
            ck.err(w, f"duplicate perimeter id {p['id']}")
        pids[p["id"]] = p
        if p["kind"] not in PERIMETER_KINDS:
            ck.err(w, f"kind {p['kind']!r} not in vocabulary")
        if not p["source_doc"].strip():
            ck.err(w, "empty source_doc")
        else:
            for part in p["source_doc"].split(" ; "):
                if not SOURCE.match(part.strip()):
                    ck.err(w, f"unknown source {part!r}")
    mseen = set()
    count = {}
    for m in members:
        w = m["_where"]
        if m["perimeter_id"] not in pids:
            ck.err(w, f"perimeter_id {m['perimeter_id']!r} does not exist")
        if m["level"] not in MEMBER_LEVELS:
            ck.err(w, f"level {m['level']!r} not in vocabulary")
        elif m["level"] == "epci":
            if check_siren(w, m["code"]) and m["name"] != epci[m["code"]]["nom"]:
                ck.err(w, f"name {m['name']!r} is not the current official name {epci[m['code']]['nom']!r}")
        else:
            if not COMMUNE.match(m["code"]):
                ck.err(w, f"commune code {m['code']!r} malformed")
            elif communes is not None and m["code"] not in communes:
                ck.err(w, f"commune {m['code']} is not a current commune")
        key = (m["perimeter_id"], m["level"], m["code"])
        if key in mseen:
            ck.err(w, f"duplicated member {key}")
        mseen.add(key)
        count[m["perimeter_id"]] = count.get(m["perimeter_id"], 0) + 1
    for pid, p in pids.items():
        if not count.get(pid):
            ck.err(p["_where"], f"perimeter {pid} has no member")

    # ---- report
    print(
        f"cooperations: {len(coops)}  partners: {len(partners)}  perimeters: {len(perims)}  members: {len(members)}"
    )
    for pid in pids:
        n = count.get(pid, 0)
        sirens = [m["code"] for m in members if m["perimeter_id"] == pid and m["level"] == "epci"]
        ncom = sum(len(epci[s]["membres"]) for s in sirens if s in epci)
        print(f"  perimeter {pid}: {n} members, {ncom} communes (current geography)")
    if ck.errors:
        print(f"\n{len(ck.errors)} error(s):")
        for e in ck.errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
