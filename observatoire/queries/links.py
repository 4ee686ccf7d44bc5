"""Deep links of the observatory: which pages and query parameters a link may carry.

A view of an atelier is stored as its deep link (``/flux?territoire=epci:200040715&flux=travail``).
Only the app's own pages and the parameters the app itself reads (with the same patterns as
``observatoire.ui.state``) are accepted: anything else (another site, a script, an unknown
parameter) is refused with a French message. Pure parsing, no store access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from observatoire.errors import ObservatoireError

# url_path -> (page file, French title), as registered in app.py.
PAGES = {
    "accueil": ("pages/accueil.py", "Accueil"),
    "territoires": ("pages/territoires.py", "Territoires (carte)"),
    "flux": ("pages/flux.py", "Flux"),
    "reseau": ("pages/reseau.py", "Réseau"),
    "comparer": ("pages/comparer.py", "Comparer"),
    "perimetres": ("pages/perimetres.py", "Périmètres"),
    "cooperations": ("pages/cooperations.py", "Coopérations"),
    "donnees": ("pages/donnees.py", "Données"),
    "bilan": ("pages/bilan.py", "Bilan"),
}
# The query parameters of a view (observatoire.ui.state.LINKED), with their patterns.
PARAMS = {
    "territoire": re.compile(
        r"^(commune|epci|arrondissement|departement|region|france|perimetre):[0-9A-Za-z_-]{1,40}$"
    ),
    "niveau": re.compile(r"^(commune|epci|departement)$"),
    "indicateur": re.compile(r"^[A-Z0-9_]{2,40}$"),
    "classes": re.compile(r"^(quantiles|jenks|headtail|manuel)$"),
    "presentation": re.compile(r"^[01]$"),
    "flux": re.compile(r"^[a-z0-9-]{1,40}$"),  # the INSEE kinds and imported ones
    "annee": re.compile(r"^(auto|(19|20)[0-9]{2})$"),
    "partenaires": re.compile(r"^(commune|epci|arrondissement|departement|region)$"),
    "top": re.compile(r"^[0-9]{1,2}$"),
    "onglet": re.compile(r"^[a-z-]{1,30}$"),  # the open tab of a page with tabs (state.view_tabs)
}
MAX_LINK = 600
# What a page shows when its link leaves a parameter out (observatoire.ui.state.DEFAULTS).
DEFAULTS = {
    "territoire": "epci:242900314",
    "niveau": "epci",
    "indicateur": "DENSITE",
    "classes": "quantiles",
    "flux": "travail",
    "annee": "auto",
    "partenaires": "epci",
    "top": "15",
}


@dataclass
class Link:
    """A checked deep link: the page's url_path and its parameters."""

    page: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def page_file(self) -> str:
        return PAGES[self.page][0]

    @property
    def page_title(self) -> str:
        return PAGES[self.page][1]

    @property
    def territory(self) -> tuple[str, str]:
        """The territory the view shows: France on the home page, else the link's (or the
        app's default one)."""
        if self.page == "accueil":
            return ("france", "FR")
        return tuple(self.state()["territoire"].split(":", 1))

    def state(self) -> dict[str, str]:
        """Every linked value of the view: the link's, the defaults for the others."""
        return {**DEFAULTS, **self.params}

    def url(self) -> str:
        """The canonical relative link (``/flux?territoire=…``), parameters in a fixed order."""
        query = urlencode([(k, self.params[k]) for k in PARAMS if k in self.params], safe=":")
        return f"/{self.page}" + (f"?{query}" if query else "")


def parse(link: str) -> Link:
    """Check a deep link (relative, or an absolute address of this app); raise
    ObservatoireError with the French reason when it is not one of the app's own views."""
    raw = (link or "").strip()
    if not raw:
        raise ObservatoireError("Lien de la vue manquant.")
    if len(raw) > MAX_LINK:
        raise ObservatoireError(f"Lien trop long ({len(raw)} caractères, {MAX_LINK} au plus).")
    parts = urlsplit(raw)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise ObservatoireError(f"Lien refusé : « {parts.scheme}: » n'est pas une adresse de l'observatoire.")
    if parts.scheme and not parts.netloc:
        raise ObservatoireError("Lien refusé : adresse incomplète.")
    if not parts.scheme and parts.netloc:
        raise ObservatoireError("Lien refusé : adresse d'un autre site.")
    path = parts.path.strip("/")
    page = path.rsplit("/", 1)[-1] if path else "accueil"
    if page not in PAGES:
        known = ", ".join(f"/{p}" for p in PAGES)
        raise ObservatoireError(f"Lien refusé : page inconnue « /{path} » (pages possibles : {known}).")
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in PARAMS:
            raise ObservatoireError(f"Lien refusé : paramètre inconnu « {key[:40]} ».")
        if not PARAMS[key].match(value):
            raise ObservatoireError(f"Lien refusé : valeur invalide pour « {key} » : « {value[:40]} ».")
        params[key] = value
    params.pop("presentation", None)  # the workshop decides the type size, not the view
    return Link(page, params)


def from_state(page: str, values: dict[str, str]) -> Link:
    """The link of the current view: the page's url_path and the linked state values."""
    page = page or "accueil"
    if page not in PAGES:
        raise ObservatoireError(f"Cette page (« {page} ») ne peut pas être ajoutée à un atelier.")
    params = {
        k: str(v)
        for k, v in values.items()
        if k in PARAMS and k != "presentation" and PARAMS[k].match(str(v))
    }
    return Link(page, params)
