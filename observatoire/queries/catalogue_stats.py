"""How much of the cooperations the catalogue documents, counted from the store.

Every figure of the coverage sentences shown on the Coopérations and Accueil pages and in the
fiche comes from :func:`coverage` (the store's ``cooperation`` and ``territory`` tables), never
from text written by hand; only the 2018 census figures are constants (``catalogue.CENSUS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from observatoire.vocabulary import CENSUS, CONFIDENCES, STATUSES

# EPCI types of the métropoles in the store's territory table (the Métropole de Lyon is a
# collectivité à statut particulier, MET69).
METROPOLE_TYPES = ("METRO", "MET69")


@dataclass(frozen=True)
class Coverage:
    documented: int  # non-retired rows
    actions: int  # rows marked « Action rattachée à » (part of a larger cooperation)
    by_status: dict[str, int]
    by_confidence: dict[str, int]  # "" = not given
    status_deduced: int  # notes say « statut déduit »
    web_sourced: int  # rows citing at least one web page
    metropoles: list[tuple[str, str, int]]  # (SIREN, name, rows) for every métropole
    census: dict = field(default_factory=lambda: dict(CENSUS))

    @property
    def n_metropoles(self) -> int:
        return len(self.metropoles)

    @property
    def covered(self) -> list[str]:
        return [name for _, name, n in self.metropoles if n]

    @property
    def uncovered(self) -> list[str]:
        return [name for _, name, n in self.metropoles if not n]

    @property
    def deduced(self) -> int:
        return self.by_confidence.get("déduit", 0)

    @property
    def unverified(self) -> int:
        return self.by_confidence.get("non vérifié", 0)

    def share(self, status: str) -> float | None:
        return self.by_status.get(status, 0) / self.documented if self.documented else None


def coverage(con) -> Coverage:
    """The catalogue's coverage, from the store (``con``: a connection or cursor)."""
    documented, actions, status_deduced, web = con.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE notes LIKE 'Action rattachée à%'),
                  count(*) FILTER (WHERE lower(notes) LIKE '%statut déduit%'),
                  count(*) FILTER (WHERE source_doc LIKE 'web : %' OR source_doc LIKE '% ; web : %')
           FROM cooperation WHERE NOT retired"""
    ).fetchone()
    by_status = dict.fromkeys(STATUSES, 0)
    for status, n in con.execute(
        "SELECT status, count(*) FROM cooperation WHERE NOT retired GROUP BY status"
    ).fetchall():
        by_status[status] = n
    by_confidence = dict.fromkeys(CONFIDENCES, 0)
    for conf, n in con.execute(
        "SELECT coalesce(confidence, ''), count(*) FROM cooperation WHERE NOT retired GROUP BY 1"
    ).fetchall():
        by_confidence[conf] = n
    metropoles = [
        (code, name, int(n))
        for code, name, n in con.execute(
            """SELECT t.code, t.name, count(DISTINCT c.id)
               FROM territory t
               LEFT JOIN (SELECT id, unnest(metropoles) AS m FROM cooperation WHERE NOT retired) c
                      ON c.m = t.code
               WHERE t.level = 'epci' AND t.type IN (?, ?)
               GROUP BY t.code, t.name ORDER BY t.name""",
            list(METROPOLE_TYPES),
        ).fetchall()
    ]
    return Coverage(
        documented=documented,
        actions=actions,
        by_status=by_status,
        by_confidence=by_confidence,
        status_deduced=status_deduced,
        web_sourced=web,
        metropoles=metropoles,
    )


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{round(100 * x)} %"


def sentences(c: Coverage) -> list[str]:
    """The coverage said in French, one point per sentence (pages and fiche)."""
    total = c.census["total"]
    out = [
        f"Le catalogue documente {c.documented} coopérations (dont {c.actions} actions rattachées "
        f"à une coopération plus large) ; le recensement de fin 2018 en comptait {total} — "
        f"{c.census['source']}. Sa liste n'ayant jamais été publiée, les fiches ne peuvent pas "
        "lui être rapprochées une à une, et certaines sont postérieures à 2018 : "
        f"{c.documented} sur {total} est un ordre de grandeur, pas un taux de couverture exact."
    ]
    n_cov = len(c.covered)
    if c.uncovered:
        out.append(
            f"{n_cov} des {c.n_metropoles} métropoles ont au moins une coopération documentée ; "
            f"aucune ne l'est pour : {', '.join(c.uncovered)}."
        )
    else:
        out.append(f"Les {c.n_metropoles} métropoles ont chacune au moins une coopération documentée.")
    others = c.documented - c.by_status.get("active", 0) - c.by_status.get("en projet", 0)
    out.append(
        f"Statuts — recensement 2018 : {_pct(c.census['active_share'])} actives, "
        f"{_pct(c.census['project_share'])} en projet ; catalogue : "
        f"{_pct(c.share('active'))} actives, {_pct(c.share('en projet'))} en projet, "
        f"{_pct(others / c.documented if c.documented else None)} autres (terminée, abandonnée, "
        "inconnu), selon la source la plus récente de chaque fiche et non l'état d'aujourd'hui."
    )
    out.append(
        f"Confiance : {c.by_confidence.get('source officielle', 0)} fiches s'appuient sur une source "
        f"officielle, {c.by_confidence.get('presse', 0)} sur la presse, {c.unverified} sur une "
        f"source non vérifiée ; {c.deduced} {'repose' if c.deduced == 1 else 'reposent'} sur une "
        "déduction (partenaires non nommés par la source) et "
        f"{c.status_deduced} {'a' if c.status_deduced == 1 else 'ont'} un statut déduit de la "
        "rédaction de leur source."
    )
    return out


def short_sentence(c: Coverage) -> str:
    """The coverage in one sentence (a slide's note)."""
    none = f" ; aucune pour {', '.join(c.uncovered)}" if c.uncovered else ""
    return (
        f"Catalogue : {c.documented} coopérations documentées, pour {c.census['total']} recensées "
        f"fin 2018 (liste non publiée) ; {len(c.covered)} métropoles sur {c.n_metropoles}{none} ; "
        f"{c.deduced} fiche(s) déduite(s), {c.unverified} non vérifiée(s)."
    )
