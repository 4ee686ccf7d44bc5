"""Merge the web-sourced additions (issue 18) into the shipped catalogue, row by row.

    PYTHONPATH=. .venv/bin/python tools/merge_catalogue_additions.py [ADDITIONS_FOLDER]

ADDITIONS_FOLDER (default ``../shared/data/catalogue-additions``) holds ``new_cooperations.csv``,
``new_partners.csv`` and ``SOURCES.md``. The decisions taken for each row after reading
``SOURCES.md`` are written out below (confidence, dropped addresses and rows, corrections,
updates of existing rows), so the merge can be re-run and reviewed; running it twice gives the
same files. The app never reads the additions folder: ``data/catalogue/*.csv`` are the
source of truth (``make data`` only re-hashes them into ``data/MANIFEST.json``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatoire.edits import catalogue  # noqa: E402

CATALOGUE = ROOT / "data" / "catalogue"
DEFAULT_ADDITIONS = ROOT.parent / "shared" / "data" / "catalogue-additions"
# The additions do not date each reading; they were delivered (SOURCES.md) on this day.
READ = "2026-12-01"
SEED_003 = "seed 003 (003_f49ed8088ff2209d.txt)"

# ── Proxy and mirror addresses: the original page when the URL makes it evident, else None
# (the address is dropped). Everything else cited is the page itself.
ORIGINAL = {
    # base64 in the proxy's query string
    "http://a.dukovany.cz/index.php?q=aHR0cHM6Ly9mci5tLndpa2lwZWRpYS5vcmcvd2lraS9TaWxsb25fbG9ycmFpbg%3D%3D": (
        "https://fr.m.wikipedia.org/wiki/Sillon_lorrain"
    ),
    "http://www.samonrye.com/prokzi/index.php?q=aHR0cHM6Ly93d3cubGVzZWNob3MuZnIvcG1lLXJlZ2lvbnMvZ3JhbmQtZXN0L2Vudmlyb25uZW1lbnQtZWNvbm9taWUtbW9iaWxpdGVzLWNvbW1lbnQtc3RyYXNib3VyZy1ldC1sZXMtdm9zZ2VzLWR1LW5vcmQtdmV1bGVudC1lbnRyZXItZGFucy1sZS1jb25jcmV0LTIwMzA5NTM%3D": (
        "https://www.lesechos.fr/pme-regions/grand-est/environnement-economie-mobilites-comment-strasbourg-et-les-vosges-du-nord-veulent-entrer-dans-le-concret-2030953"
    ),
    # library proxy: host rewritten « 0-books-openedition-org.catalogue.libraries… »
    "https://0-books-openedition-org.catalogue.libraries.london.ac.uk/pur/70887": "https://books.openedition.org/pur/70887",
    # staging / test copies of the publisher's own site, same path
    "https://www.testing.lemoniteur.fr/article/lyon-saint-etienne-relance-de-la-cooperation-entre-les-deux-agglomerations.60929": (
        "https://www.lemoniteur.fr/article/lyon-saint-etienne-relance-de-la-cooperation-entre-les-deux-agglomerations.60929"
    ),
    "http://franceurbaine.inexine.net/actualites/le-5e-contrat-de-reciprocite-de-france-est-signe": (
        "https://franceurbaine.org/actualites/le-5e-contrat-de-reciprocite-de-france-est-signe"
    ),
    "http://franceurbaine.inexine.net/actualites/signature-du-contrat-de-reciprocite-entre-le-pays-de-retz-et-nantes-metropole": (
        "https://franceurbaine.org/actualites/signature-du-contrat-de-reciprocite-entre-le-pays-de-retz-et-nantes-metropole"
    ),
    # copies of Wikipédia whose article is named in the URL
    "https://wikiwand.com/fr/articles/Eurom%C3%A9tropole_Lille-Kortrijk-Tournai": (
        "https://fr.wikipedia.org/wiki/Eurom%C3%A9tropole_Lille-Kortrijk-Tournai"
    ),
    "http://fr.m.wiki.x.io/wiki/Aire_m%C3%A9tropolitaine_de_Lille": (
        "https://fr.m.wikipedia.org/wiki/Aire_m%C3%A9tropolitaine_de_Lille"
    ),
    # copies whose original is not evident from the URL: dropped
    "https://fr.abcdef.wiki/wiki/Strasbourg-Ortenau_Eurodistrict": None,  # machine-translated mirror
    "https://fr-academic.com/dic.nsf/frwiki/602715": None,  # Wikipédia copy, article number only
    # agency's staging copy of a weekly's site; the weekly's own address is not in the URL
    "https://lasemaine.cosavostra.com/politique/collectivites/metropole-du-grand-nancy-et-bassin-de-pompey-les-deux-collectivites-se-disent-oui-pour-cinq-ans": None,
}
SITE_OF = {  # the site named in source_doc for a replaced address
    "https://fr.m.wikipedia.org/wiki/Sillon_lorrain": "fr.m.wikipedia.org",
    "https://www.lesechos.fr/pme-regions/grand-est/environnement-economie-mobilites-comment-strasbourg-et-les-vosges-du-nord-veulent-entrer-dans-le-concret-2030953": "lesechos.fr",
    "https://books.openedition.org/pur/70887": "books.openedition.org (PUR, note 1)",
    "https://www.lemoniteur.fr/article/lyon-saint-etienne-relance-de-la-cooperation-entre-les-deux-agglomerations.60929": "lemoniteur.fr",
    "https://franceurbaine.org/actualites/le-5e-contrat-de-reciprocite-de-france-est-signe": "franceurbaine.org",
    "https://fr.wikipedia.org/wiki/Eurom%C3%A9tropole_Lille-Kortrijk-Tournai": "fr.wikipedia.org",
    "https://fr.m.wikipedia.org/wiki/Aire_m%C3%A9tropolitaine_de_Lille": "fr.m.wikipedia.org",
}

# ── Confidence of each added row (see data/catalogue/README.md « Confiance »):
# « source officielle » when a party, a public body or an institutional network of local
# authorities (France urbaine, MOT/espaces-transfrontaliers.org, Banque des territoires) states
# the cooperation; « presse » when only press, blogs or encyclopaedias do; « non vérifié » for a
# bare mention or a truncated extract; « déduit » when the partners themselves are deduced.
OFFICIAL = "source officielle"
CONFIDENCE = {
    "sillon-lorrain-pole-metropolitain": OFFICIAL,
    "multipole-nancy-sud-lorraine": OFFICIAL,
    "nancy-moselle-madon-reciprocite": OFFICIAL,
    "nancy-bassin-pompey-reciprocite": "non vérifié",
    "metz-charte-nord-lorrain": OFFICIAL,
    "pole-metropolitain-alsace": OFFICIAL,
    "eurodistrict-strasbourg-ortenau": OFFICIAL,
    "strasbourg-saint-die-bruche-reciprocite": OFFICIAL,
    "strasbourg-pnr-vosges-du-nord-reciprocite": OFFICIAL,
    "pole-metropolitain-lyon": "presse",
    "lyon-saint-etienne-charte-partenariat": "presse",
    "lyon-ouest-lyonnais-reciprocite": "presse",
    "lyon-departement-ain-rapprochement": "presse",
    "grenoble-trieves-reciprocite": OFFICIAL,
    "smmag-grenoble": OFFICIAL,
    "sillon-alpin-cooperation-metropolitaine": "presse",
    "grenoble-pnr-vercors-tepos": "presse",
    "pole-metropolitain-clermont-vichy-auvergne": OFFICIAL,
    "dijon-besancon-pole-metropolitain": "presse",
    "bordeaux-angouleme-protocole": OFFICIAL,
    "bordeaux-angouleme-cognac-axe-vignes": "presse",
    "bordeaux-libournais-protocole-2017": "presse",
    "bordeaux-cali-conect": "presse",
    "bordeaux-val-de-garonne-protocole": OFFICIAL,
    "bordeaux-saintes-protocole": "presse",
    "bordeaux-limoges-protocole": OFFICIAL,
    "bordeaux-mont-de-marsan-protocole": "presse",
    "bordeaux-medoc-cooperation": "presse",
    "bordeaux-bassin-arcachon-val-eyre-partenariat": "déduit",
    "bordeaux-coban-conect": OFFICIAL,
    "bordeaux-sud-gironde-conect": OFFICIAL,
    "bordeaux-cubzaguais-latitude-contrat": "non vérifié",
    "montpellier-grand-pic-saint-loup-contrat": "presse",
    "montpellier-pays-de-l-or-contrat": "non vérifié",
    "montpellier-vallee-herault-reciprocite": OFFICIAL,
    "montpellier-sete-herault-mediterranee-partenariat": "presse",
    "mel-cud-convention": OFFICIAL,
    "mel-pevele-carembault-convention": OFFICIAL,
    "mel-capso-convention": OFFICIAL,
    "mel-bruxelles-capitale-convention": OFFICIAL,
    "mel-caph-partenariat": OFFICIAL,
    "mel-pole-metropolitain-artois-projet": OFFICIAL,
    "eurometropole-lille-kortrijk-tournai": OFFICIAL,
    "aire-metropolitaine-lille-association": "presse",
    "rennes-contrat-cooperation-bassin-de-vie": OFFICIAL,
    "toulouse-pays-armagnac-reciprocite": "presse",
    "mgp-conference-epci-limitrophes": OFFICIAL,
    "entente-axe-seine": OFFICIAL,
    "toulon-scot-provence-mediterranee": OFFICIAL,
    "nice-genes-protocole-partenariat": OFFICIAL,
}
# Rows not merged, with the reason (also in the README).
DROPPED = {
    "montpellier-pole-metropolitain-projet": (
        "annonce d'un pôle métropolitain sans aucun partenaire nommé, année non imprimée et "
        "constitution non vérifiée (confiance faible dans SOURCES.md) : même critère que les "
        "démarches écartées faute d'EPCI nommé (protocole de Martigues, alliances de Dijon)"
    ),
}
# Partner rows not merged: (cooperation_id, name) → reason.
DROPPED_PARTNERS = {
    (
        "eurodistrict-strasbourg-ortenau",
        "État français",
    ): "lu seulement sur un miroir de Wikipédia (fr.abcdef.wiki)",
}
# Extra words for the notes of an added row (corrections after reading SOURCES.md).
NOTE_ADD = {
    "sillon-lorrain-pole-metropolitain": (
        "La copie de Wikipédia a été lue via un proxy (a.dukovany.cz) : l'article d'origine est cité."
    ),
    "eurodistrict-strasbourg-ortenau": (
        "Retiré à la fusion : un miroir traduit de Wikipédia (fr.abcdef.wiki, page d'origine non "
        "évidente) qui décrivait la CC du Canton d'Erstein et citait l'État français parmi les membres ; "
        "ces deux faits ne sont pas repris."
    ),
    "strasbourg-saint-die-bruche-reciprocite": (
        "L'actualité de France urbaine a été lue sur une copie (franceurbaine.inexine.net) : la page "
        "d'origine sur franceurbaine.org est citée."
    ),
    "pole-metropolitain-lyon": (
        "date_start 2012 = lancement officiel annoncé pour juin 2012 (Rue89Lyon, nov. 2011), non "
        "constaté. La revue de presse est lue sur un site de partage de documents (fr.doczz.net)."
    ),
    "lyon-saint-etienne-charte-partenariat": (
        "Article lu sur une copie de test du site (www.testing.lemoniteur.fr) : la page d'origine sur "
        "lemoniteur.fr est citée."
    ),
    "sillon-alpin-cooperation-metropolitaine": (
        "L'ouvrage a été lu via le proxy d'une bibliothèque : l'adresse d'origine (books.openedition.org) est citée."
    ),
    "bordeaux-val-de-garonne-protocole": (
        "Le projet de protocole est lu sur un site de partage de documents (fr.readkong.com), copie d'origine non vérifiable."
    ),
    "bordeaux-saintes-protocole": (
        "Le projet de protocole est lu sur un site de partage de documents (fr.readkong.com), copie d'origine non vérifiable."
    ),
    "mel-cud-convention": "Année 2018 déduite de l'annonce de la MEL (19 octobre 2018) d'une signature « début novembre ».",
    "bordeaux-limoges-protocole": "date_start 2019 déduite (signataires en fonction depuis 2019 ; La Tribune de juin 2019).",
    "bordeaux-cubzaguais-latitude-contrat": "Confiance « non vérifié » : seule l'accroche d'une actualité a été lue.",
    "montpellier-pays-de-l-or-contrat": "Confiance « non vérifié » : simple mention dans un article consacré à une autre coopération.",
    "bordeaux-bassin-arcachon-val-eyre-partenariat": "Confiance « déduit » : les trois partenaires ne sont pas nommés par la source.",
    "eurometropole-lille-kortrijk-tournai": (
        "La liste des quatorze membres venait d'une copie de Wikipédia (fr-academic.com) dont "
        "l'article d'origine n'est pas évident : adresse retirée, les membres sont marqués « non "
        "confirmé ». La copie Wikiwand est remplacée par l'article de Wikipédia qu'elle reproduit."
    ),
    "aire-metropolitaine-lille-association": (
        "La copie de Wikipédia (fr.m.wiki.x.io) est remplacée par l'article d'origine."
    ),
    "multipole-nancy-sud-lorraine": (
        "Le programme d'actions 2019-2020 est lu sur un site de partage de documents (vdocuments.fr), copie d'origine non vérifiable."
    ),
}
# Sentences of the staged notes that report facts read only on a dropped address.
NOTE_REMOVE = {
    "eurodistrict-strasbourg-ortenau": (
        " Un miroir de Wikipédia décrit la CC du Canton d'Erstein comme regroupant les anciennes "
        "intercommunalités de Rhinau, Erstein et Benfeld, et cite l'État français parmi les membres."
    ),
}
# Rows rewritten after dropping a source they leaned on.
REWRITE = {
    "nancy-bassin-pompey-reciprocite": {
        "summary": (
            "Second contrat de réciprocité de la Métropole du Grand Nancy avec une intercommunalité "
            "voisine, la communauté de communes du Bassin de Pompey : la Métropole annonce, juste "
            "après la signature du contrat avec Moselle et Madon, la délibération du conseil "
            "métropolitain du 28 novembre qui doit l'approuver."
        ),
        "notes": (
            "thèmes non précisés. Statut « en projet » : la source annonce la délibération approuvant "
            "le contrat, pas la signature. Date : « 28 novembre », année non imprimée, soit 2024 "
            "(déduction, voir nancy-moselle-madon-reciprocite). Retiré à la fusion : un article de "
            "l'hebdomadaire La Semaine lu sur une copie de préproduction (lasemaine.cosavostra.com, "
            "adresse d'origine non évidente), qui donnait la durée (cinq ans) et les outils communs "
            "(Multipole Sud Lorraine, SCoT, Lorr'up, SEM Énergies) ; ces faits ne sont pas repris. "
            "Confiance « non vérifié » : une seule mention par la Métropole."
        ),
        "source_page": "actualité en ligne",
    },
}

# ── Existing rows completed with what SOURCES.md found (every field given is set, so that a
# re-run changes nothing).
PETITE_REPUBLIQUE = (
    "https://petiterepublique.com/2021/09/23/magali-gasto-oustric-et-jean-luc-moudenc-engagent-"
    "leurs-territoires-dans-une-relation-gagnant-gagnant"
)
BDT_RETZ = "https://www.banquedesterritoires.fr/un-quatrieme-contrat-de-reciprocite-signe-entre-nantes-metropole-et-le-pays-de-retz"
FU_RETZ = "https://franceurbaine.org/actualites/signature-du-contrat-de-reciprocite-entre-le-pays-de-retz-et-nantes-metropole"
NANTES_2023 = "https://metropole.nantes.fr/actualites/2023/institutions/cooperation-pays-de-retz"
HERAULT_TRIBUNE = (
    "https://herault-tribune.com/articles/herault-la-metropole-de-montpellier-et-la-vallee-de-lherault-"
    "signent-une-alliance-historique-avec-le-1er-contrat-de-reciprocite"
)
BDT_GASCOGNE = "https://banquedesterritoires.fr/un-deuxieme-contrat-de-reciprocite-signe-entre-toulouse-et-les-portes-de-gascogne"
BLOG_TOURS = "https://notredamedoe37.blogspot.com/2020/01/cote-metropole.html"
DATA_MD = "DATA.md §6 (shared/docs/DATA.md)"
UPDATES = {
    "toulouse-coeur-coteaux-comminges-partenariat": {
        "name": "Contrat de réciprocité Toulouse Métropole – CC Cœur et Coteaux du Comminges",
        "summary": (
            "Dans le prolongement du contrat de réciprocité avec le PETR Pays Portes de Gascogne, "
            "Toulouse Métropole s'est rapprochée de la CC Cœur et Coteaux du Comminges pour préparer "
            "un contrat de partenariat ou de réciprocité (publication ANCT, 2020). Le contrat de "
            "réciprocité a été signé le 19 septembre 2021, d'abord sur l'alimentation (restauration "
            "scolaire, circuits courts), « une première en Haute-Garonne »."
        ),
        "form": "contrat de réciprocité",
        "themes": "alimentation",
        "status": "active",
        "date_start": "2021-09-19",
        "source_doc": f"web : petiterepublique.com <{PETITE_REPUBLIQUE}> ; {SEED_003}",
        "source_page": (
            "article en ligne ; seed 003 p. 8, section « Toulouse Métropole : contrat de réciprocité "
            "avec le PETR Pays des Portes de Gascogne, dialogue métropolitain et accord-cadre… »"
        ),
        "source_url": PETITE_REPUBLIQUE,
        "notes": (
            "Signature le dimanche 19 septembre 2021 (Petite République, 23 septembre 2021) ; seed 003 "
            "(2020) ne donnait que le projet, de forme non arrêtée (« contrats de partenariat ou de "
            "réciprocité »). statut déduit : état à la signature ; exécution non vérifiée. Autres thèmes "
            "du contrat non lus."
        ),
        "confidence": "presse",
        "source_read": READ,
    },
    "nantes-retz-reciprocite": {
        "source_doc": (
            f"{SEED_003} ; web : banquedesterritoires.fr <{BDT_RETZ}> ; web : franceurbaine.org "
            f"<{FU_RETZ}> ; web : metropole.nantes.fr <{NANTES_2023}> ; {DATA_MD}"
        ),
        "source_url": BDT_RETZ,
        "notes": (
            "Signature le 10 avril 2019 et quatre thèmes (mobilités, alimentation, développement "
            "économique, tourisme) confirmés par la Banque des territoires et France urbaine (jusque-là "
            "tirés de DATA.md §6 seul ; seed 003 dit « en 2019 ») ; l'actualité de France urbaine a été "
            "lue sur une copie (franceurbaine.inexine.net), la page d'origine est citée. statut déduit : "
            "point d'étape des élus le vendredi 12 mai 2023 sur les volets mobilité et alimentation "
            "(metropole.nantes.fr). Seul EPCI membre nommé par la source : CC de Grand Lieu "
            "(Pont-Saint-Martin)."
        ),
        "confidence": OFFICIAL,
        "source_read": READ,
    },
    "montpellier-haut-languedoc-reciprocite": {
        "source_doc": f"{SEED_003} ; web : herault-tribune.com <{HERAULT_TRIBUNE}> ; {DATA_MD}",
        "source_url": HERAULT_TRIBUNE,
        "notes": (
            "statut déduit : présenté au présent dans la source (publication ANCT 2020). Hérault "
            "Tribune (2022) décrit le contrat de 2018 comme « limité à la gestion de la forêt et de la "
            "filière bois ». Bois certifié « Bois des territoires du Massif central » (BTMC, note 8). "
            "Montpellier organise ses coopérations bilatérales en accords-cadres, contrats de "
            "réciprocité ou contrats de partenariat (autres partenaires non nommés)."
        ),
        "confidence": OFFICIAL,
        "source_read": READ,
    },
    "toulouse-portes-de-gascogne-reciprocite": {
        "source_doc": f"{SEED_003} ; web : banquedesterritoires.fr <{BDT_GASCOGNE}> ; {DATA_MD}",
        "source_url": BDT_GASCOGNE,
        "notes": (
            "Lieu de signature Fleurance confirmé par la Banque des territoires (signature « le 10 "
            "juillet » [2017] à Fleurance, en présence du ministre Jacques Mézard, sept domaines de "
            "coopération) ; jusque-là tiré de DATA.md seul ; Fleurance est dans la CC de la Lomagne "
            "Gersoise. statut déduit : présenté au présent dans la source (publication ANCT 2020). "
            "Portage : Jean-Luc Moudenc, Guy Mantovani (PETR), Jean-Jacques Bolzan, sénateur Raymond "
            "Vall. Seed 003 écrit « PETR Pays des Portes de Gascogne » et « PETR des Portes de Gascogne »."
        ),
        "confidence": OFFICIAL,
        "source_read": READ,
    },
    "tours-epci-indre-et-loire-reciprocite": {
        "source_doc": f"{SEED_003} ; {DATA_MD} ; web : notredamedoe37.blogspot.com (blog local) <{BLOG_TOURS}>",
        "notes": (
            "Une ligne pour l'ensemble des contrats (un par EPCI selon la source, non détaillés). "
            "Écart : la source parle des « neuf autres EPCI du département » (dix EPCI en tout), la "
            "géographie actuelle compte dix autres EPCI en Indre-et-Loire : la liste des partenaires est "
            "donc un majorant non confirmé. « Six axes » mais sept mots (déchets et énergie comptés "
            "ensemble). « Marketing territorial » classé en attractivité. statut déduit : présenté au "
            "présent dans la source (publication ANCT 2020). Un blog local (janvier 2020, source "
            "faible) dit que Tours Métropole a été la première agglomération à signer des contrats de "
            "réciprocité avec l'ensemble des communautés de communes d'un département et que l'agence "
            "d'urbanisme en a publié un premier bilan (énergie, déchets, tourisme, mobilité, économie)."
        ),
        "source_read": READ,
    },
    "clermont-saint-flour-reciprocite": {"confidence": "non vérifié"},
    "lyon-pays-aurillac-pilote": {"confidence": "non vérifié"},
    "creusot-montceau-morvan-pilote": {"confidence": "non vérifié"},
}


def _web_parts(doc: str) -> list[str]:
    return [p.strip() for p in doc.split(" ; ") if p.strip()]


def _fix_sources(row: dict) -> dict:
    """Proxy and mirror addresses replaced by their original, or dropped."""
    kept = []
    for part in _web_parts(row["source_doc"]):
        m = re.search(r"<(?P<url>https?://[^<>\s]+)>$", part)
        if m and m["url"] in ORIGINAL:
            orig = ORIGINAL[m["url"]]
            if orig is None:
                continue
            part = f"web : {SITE_OF[orig]} <{orig}>"
        kept.append(part)
    row["source_doc"] = " ; ".join(kept)
    if row["source_url"] in ORIGINAL:
        orig = ORIGINAL[row["source_url"]]
        row["source_url"] = orig or catalogue.WEB_RE.match(kept[0])["url"]
    return row


def merge(additions: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    coops = pd.read_csv(CATALOGUE / "cooperations.csv", dtype=str, keep_default_na=False)
    parts = pd.read_csv(CATALOGUE / "partners.csv", dtype=str, keep_default_na=False)
    new_c = pd.read_csv(additions / "new_cooperations.csv", dtype=str, keep_default_na=False)
    new_p = pd.read_csv(additions / "new_partners.csv", dtype=str, keep_default_na=False)
    for col in catalogue.LATER_COLUMNS:
        for df in (coops, new_c):
            if col not in df.columns:
                df[col] = ""
    added = set(new_c["id"])
    # Re-runs: the added rows are replaced, the seed rows kept in their order.
    coops = coops[~coops["id"].isin(added)].copy()
    parts = parts[~parts["cooperation_id"].isin(added)].copy()
    # Seed rows: official publications (CGET/ANCT, DDTM, Lab Périurbain) unless set below.
    coops.loc[coops["confidence"] == "", "confidence"] = OFFICIAL
    for cid, fields in UPDATES.items():
        idx = coops.index[coops["id"] == cid]
        assert len(idx) == 1, cid
        for k, v in fields.items():
            coops.loc[idx, k] = v
    rows = []
    for r in new_c.to_dict("records"):
        if r["id"] in DROPPED:
            continue
        r = _fix_sources(r)
        r.update(REWRITE.get(r["id"], {}))
        if r["id"] in NOTE_REMOVE:
            assert NOTE_REMOVE[r["id"]] in r["notes"], r["id"]
            r["notes"] = r["notes"].replace(NOTE_REMOVE[r["id"]], "")
        if r["id"] in NOTE_ADD:
            r["notes"] = (r["notes"].rstrip() + " " + NOTE_ADD[r["id"]]).strip()
        if r["id"] == "nancy-bassin-pompey-reciprocite":
            r["source_url"] = catalogue.WEB_RE.match(_web_parts(r["source_doc"])[0])["url"]
        r["confidence"] = CONFIDENCE[r["id"]]
        r["source_read"] = READ
        rows.append(r)
    prows = []
    for p in new_p.to_dict("records"):
        if p["cooperation_id"] in DROPPED or (p["cooperation_id"], p["name"]) in DROPPED_PARTNERS:
            continue
        if p["cooperation_id"] == "eurometropole-lille-kortrijk-tournai" and p["role"] != "métropole":
            p["note"] = "; ".join(
                x for x in (p["note"], "non confirmé (liste lue sur une copie de Wikipédia)") if x
            )
        prows.append(p)
    cols = catalogue.COLUMNS
    coops = pd.concat([coops, pd.DataFrame(rows)], ignore_index=True)[cols]
    parts = pd.concat([parts, pd.DataFrame(prows)], ignore_index=True)[catalogue.PARTNER_COLUMNS]
    return coops, parts


def main(argv: list[str]) -> int:
    additions = Path(argv[0]) if argv else DEFAULT_ADDITIONS
    coops, parts = merge(additions)
    for df, name in ((coops, "cooperations.csv"), (parts, "partners.csv")):
        (CATALOGUE / name).write_bytes(df.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    print(f"{len(coops)} coopérations, {len(parts)} partenaires écrits dans {CATALOGUE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
