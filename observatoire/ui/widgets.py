"""Shared widgets: territory picker, key figures with source and year, profile tables."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from observatoire import text
from observatoire.queries.territories import Profile
from observatoire.render import exports
from observatoire.ui import data, state
from observatoire.vocabulary import LEVEL_FR


def fmt(value, decimals: int = 0, unit: str = "") -> str:
    """French number (the app's one formatter, :func:`observatoire.text.number`)."""
    return text.number(value, decimals, unit)


def _label(row) -> str:
    return f"{row['name']} — {LEVEL_FR.get(row['level'], row['level'])} {row['code']}"


def _on_pick() -> None:
    choice = st.session_state.get("_pick")
    if choice:
        st.session_state[state.TERRITORY] = choice


def territory_picker() -> None:
    """Sidebar search: type a name or code, pick a result; sets the shared territory."""
    level, code = state.territory()
    st.sidebar.markdown("**Territoire choisi**")
    st.sidebar.text(data.name_of(level, code))  # plain text: names may come from users
    st.sidebar.caption(f"{LEVEL_FR.get(level, level)} {code}")
    query = st.sidebar.text_input(
        "Rechercher un territoire", key="_q", placeholder="nom ou code : Brest, 29019, Bretagne…"
    )
    if query:
        hits = data.search(query)
        if hits.empty:
            st.sidebar.info("Aucun territoire trouvé : essayez un autre nom ou un code Insee.")
            return
        options = [f"{r.level}:{r.code}" for r in hits.itertuples()]
        labels = {f"{r['level']}:{r['code']}": _label(r) for r in hits.to_dict("records")}
        st.sidebar.selectbox(
            "Résultats",
            options,
            index=None,
            key="_pick",
            format_func=labels.get,
            on_change=_on_pick,
            placeholder=f"{len(options)} résultat(s) : choisissez",
        )


def key_figures(prof: Profile, ids: list[str], columns: int = 4) -> None:
    """Big figures, each with its source and year underneath (full source in the help)."""
    by_id = {i.id: i for i in prof.indicators}
    shown = [by_id[i] for i in ids if i in by_id]
    cols = st.columns(min(columns, len(shown)) or 1)
    for n, ind in enumerate(shown):
        with cols[n % len(cols)]:
            short_unit = ind.unit if len(ind.unit) <= 3 else ""
            label = ind.label if short_unit else f"{ind.label} ({ind.unit})"
            st.metric(
                label,
                fmt(ind.value, ind.decimals, short_unit),
                help=f"{ind.source}, {ind.year}. {ind.note}".strip(),
            )
            note = f" — {ind.note}" if ind.note else ""
            st.caption(f"Source : {ind.source_short}, {ind.year}{note}")


def profile_table(prof: Profile) -> pd.DataFrame:
    """The profile as a table: indicator, value, unit, year, source, remark."""
    return pd.DataFrame(
        [
            {
                "Thème": i.theme,
                "Indicateur": i.label,
                "Valeur": fmt(i.value, i.decimals),
                "Unité": i.unit,
                "Année": i.year,
                "Nature": i.nature,
                "Source": i.source,
                "Remarque": i.note,
            }
            for i in prof.indicators
        ]
    )


def profile_view(prof: Profile, columns: int = 2) -> None:
    """Header, key figures and the full indicator table of a profile."""
    st.subheader(f"{prof.name}")
    parents = " · ".join(p["name"] for p in prof.parents)
    st.caption(
        f"{prof.type_label.capitalize()} — code {prof.code}"
        + (f" — {prof.n_communes} commune(s)" if prof.level != "commune" else "")
        + (f" — dans : {parents}" if parents else "")
    )
    key_figures(
        prof,
        [
            "P18_POP",
            "AREA_KM2",
            "DENSITE",
            "P18_EMPLT",
            "EVOL_POP_1318",
            "TX_CHOMAGE",
            "CONC_EMPLOI",
            "MED19" if prof.level == "commune" else "TP6019",
        ],
        columns=columns,
    )
    # Closed at first, drawn once opened: the key figures above are the screen's; a 47-row grid
    # mounted on every visit was the Territoires page's last 0.4 s of drawing.
    box = state.lazy_expander(
        f"Tous les indicateurs ({len(prof.indicators)} : valeur, année, source)", "_profil_tous"
    )
    if box.open:
        with box:
            st.dataframe(profile_table(prof), hide_index=True, width="stretch")


PLOTLY_CONFIG = {
    "displaylogo": False,
    "locale": "fr",
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToAdd": ["toImage"],
}


# Charts whose marks carry their values (bars, lines with labels): drawn static, without the
# hover and zoom machinery, which was a good part of plotly's drawing time in the browser
# (bench/bench_pages.py --draw); their downloads are the buttons under them.
STATIC_CONFIG = {**PLOTLY_CONFIG, "staticPlot": True, "displayModeBar": False}


def chart(fig, key: str, interactive: bool = False) -> None:
    """A plotly chart, with PNG and SVG downloads rendered server-side on click (the same
    figure as shown). Static unless ``interactive`` (details on hover, the modebar's PNG
    button): every chart writes its values on its marks."""
    from observatoire.render import figure_export

    st.plotly_chart(fig, config=PLOTLY_CONFIG if interactive else STATIC_CONFIG, key=key, width="stretch")
    if state.presentation():  # workshop mode: fewer controls
        return
    # One row of buttons as wide as their labels, wrapping as a whole on a narrow column (fixed
    # columns broke « Image » in two there).
    row = st.container(horizontal=True, wrap=True, gap="small")
    row.download_button(
        "Image PNG",
        lambda: figure_export.figure_bytes(fig, "png"),
        f"{key}.png",
        "image/png",
        key=f"{key}_png",
    )
    row.download_button(
        "Image SVG",
        lambda: figure_export.figure_bytes(fig, "svg"),
        f"{key}.svg",
        "image/svg+xml",
        key=f"{key}_svg",
    )


def table_downloads(df: pd.DataFrame, name: str, source: str, key: str) -> None:
    """The table behind a chart, with CSV and XLSX downloads."""

    st.dataframe(df, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Télécharger (CSV)", lambda: exports.to_csv_bytes(df), f"{name}.csv", "text/csv", key=f"{key}_csv"
    )
    c2.download_button(
        "Télécharger (XLSX)",
        lambda: exports.to_xlsx_bytes(df, name, source),  # built on click, not on every run
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def cooperations_link(level: str, code: str, parents: list[dict]) -> None:
    """One click from a territory to its cooperations (EPCI, or the commune's EPCI)."""
    epci = code if level == "epci" else next((p["code"] for p in parents if p["level"] == "epci"), None)
    if not epci:
        return
    n = len(data.cooperations(partner_epci=epci))
    label = f"Voir ses coopérations ({n})" if level == "epci" else f"Coopérations de son EPCI ({n})"
    if st.button(label, key=f"_coop_link_{epci}", disabled=n == 0):
        state.set_territory("epci", epci)
        st.session_state["_c_own"] = True
        st.switch_page("pages/cooperations.py")


def fiche_buttons(level: str, code: str, key: str) -> None:
    """One-click fiche territoire (PDF A4, PPTX 16:9), generated on click."""
    if level == "france":
        return
    from observatoire.render import fiche

    name = data.name_of(level, code)
    c1, c2 = st.columns(2)
    for col, fmt, label in ((c1, "pdf", "Fiche territoire (PDF)"), (c2, "pptx", "Fiche territoire (PPTX)")):
        col.download_button(
            label,
            lambda fmt=fmt: fiche.fiche_bytes(data.fiche_data(level, code), fmt),
            fiche.file_name(name, fmt),
            fiche.FORMATS[fmt],
            key=f"{key}_{fmt}",
        )


HISTORY_COLUMNS = {"version": "Version", "action": "Action", "changed_at": "Date (UTC)", "changed_by": "Par"}


def history_table(hist: pd.DataFrame) -> None:
    """A record's versions (cooperation, atelier): version, action, when (UTC, as stored), by whom."""
    st.dataframe(
        hist[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS), hide_index=True, width="stretch"
    )


def csv_bytes(df) -> bytes:
    """A table as CSV (UTF-8 with BOM, for spreadsheet software)."""
    return exports.to_csv_bytes(df)


def xlsx_bytes(df, sheet: str = "donnees", source: str | None = None) -> bytes:
    """A table as XLSX, with its source line."""
    return exports.to_xlsx_bytes(df, sheet, source)


def evaluation_table(scores: list[dict]) -> pd.DataFrame:
    """A model's held-out scores, in French, for a table."""
    return pd.DataFrame(
        [
            {
                "Modèle": r["modele"],
                "Calé sur → mesuré sur": r["sens"],
                "CPC entre communes": text.percent(r["cpc_communes"], 1),
                "CPC entre EPCI": text.percent(r["cpc_epci"], 1),
            }
            for r in scores
        ]
    )


def aggregates_table(rows: list[dict]) -> pd.DataFrame:
    """Estimated shares against INSEE's published (or observed) figures, in French, for a table:
    the figures side by side, then the gap in points (the target is within 2) and how many points
    of the estimate are workers the model places in no commune (its outside zone), source and year
    last, so a 1280-px screen shows the comparison without scrolling the grid sideways."""
    return pd.DataFrame(
        [
            {
                "Quantité": r["quantite"],
                "Insee / observé": text.percent(r["insee"], 1),
                "Estimé (modèle livré)": text.percent(r["estime"], 1),
                "Écart (pts)": text.number(100 * (r["estime"] - r["insee"]), 1, signed=True),
                **(
                    {"dont non localisés (pts)": text.number(100 * r["dont_zone_exterieure"], 1)}
                    if r.get("dont_zone_exterieure") is not None
                    else {}
                ),
                **(
                    {"Estimé (modèle précédent)": text.percent(r["estime_modele_precedent"], 1)}
                    if r.get("estime_modele_precedent") is not None
                    else {}
                ),
                "Source": r["source"],
                "Année": r["annee"],
            }
            for r in rows
        ]
    )


def aggregates_note(rows: list[dict]) -> str | None:
    """What the « dont non localisés » column of :func:`aggregates_table` counts; None without it."""
    if not any(r.get("dont_zone_exterieure") is not None for r in rows):
        return None
    return (
        "« dont non localisés » : actifs que le modèle envoie vers une zone extérieure, sans commune de "
        "travail (emplois à l'étranger, et ce que les marges communales ne permettent pas de placer) ; "
        "ils comptent comme travaillant hors de leur territoire et ne figurent dans aucun flux des cartes."
    )


def unplaced_note(unplaced: float | None, outflow: float | None, internal: float | None) -> str | None:
    """For an estimate on the Flux page: the territory's workers the model places in no commune
    (its outside zone), who are in no flow shown, and what share leaves once they are counted;
    None when the dataset ships no such figure or places none."""
    if not unplaced or unplaced <= 0:
        return None
    text_ = (
        f"Le modèle place en outre {fmt(unplaced)} actifs résidents hors de toute commune de travail "
        "(zone extérieure du modèle : emplois éloignés ou à l'étranger, non localisés) ; ils ne figurent "
        "dans aucun flux de cette page ni dans les sortants"
    )
    if outflow is None or internal is None:
        return text_ + "."
    residents = outflow + internal + unplaced
    return text_ + (
        f". Comptés avec eux, {fmt(100 * (outflow + unplaced) / residents, 1)} % des actifs résidents "
        f"travaillent hors du territoire, dont {fmt(100 * unplaced / residents, 1)} points non localisés."
    )


def departements_table(dep: dict) -> pd.DataFrame:
    """The estimate against INSEE's département-level commuting, on the pairs that file publishes
    (at least its threshold between two départements), by distance, in French, for a table."""

    def band(b: dict) -> str:
        if b["min"] == 0:
            return f"moins de {text.number(b['max'])} km"
        if b["max"] is None:
            return f"{text.number(b['min'])} km et plus"
        return f"{text.number(b['min'])} à {text.number(b['max'])} km"

    est, prev = dep["estime"], dep.get("estime_modele_precedent")
    rows = []
    for k, b in enumerate(est["bandes"]):
        rows.append(
            (band(b), b["couples"], b["observe"], b["estime"], prev["bandes"][k]["estime"] if prev else None)
        )
    rows.append(("Ensemble", est["couples"], est["observe"], est["estime"], prev["estime"] if prev else None))
    year = dep["annee"]
    return pd.DataFrame(
        [
            {
                "Distance": label,
                "Couples publiés": text.number(n),
                f"Observé ({year})": text.number(obs),
                "Estimé": text.number(e),
                "Estimé / observé": text.number(e / obs, 2) if obs else "–",
                **({"Idem, modèle précédent": text.number(p / obs, 2) if obs else "–"} if prev else {}),
            }
            for label, n, obs, e, p in rows
        ]
    )


def departements_note(dep: dict) -> str:
    """What :func:`departements_table` compares, and what the file does not let us compare."""
    est, seuil = dep["estime"], text.number(dep["seuil"])
    return (
        f"Comparaison avec les navettes entre départements publiées par l'Insee ({dep['annee']}), par "
        "distance entre les centres des départements ; « Estimé » : modèle livré. Le fichier ne donne "
        f"que les couples d'au moins {seuil} actifs entre deux départements, seuls ces couples sont "
        f"comparés (part commune des navetteurs {text.percent(est['cpc'], 1)}) ; "
        f"{text.number(est['couples_non_publies_estimes_au_dessus'])} couples non publiés (donc observés "
        f"sous {seuil}) sont estimés au-dessus."
    )


def estimate_uncertainty(params: dict) -> str | None:
    """In words, how far an estimated flow can be from reality at each volume (held-out error
    classes stored with the model's evaluation); None when no class is recorded."""
    classes = (params.get("evaluation") or {}).get("classes_volume")
    if not classes:
        return None
    from observatoire.model.checks import quality_class

    bits = []
    for c in reversed(classes):
        lo = text.number(c["min"]) if c["min"] >= 1 else "1"
        rng = (
            f"de plus de {lo} personnes"
            if c["max"] is None
            else f"de {lo} à {text.number(c['max'])} personnes"
        )
        bits.append(f"flux {rng} : {quality_class(c['min'], classes)}")
    return (
        "Incertitude d'un flux estimé (écart mesuré hors échantillon, 8 flux sur 10) — "
        + " ; ".join(bits)
        + "."
    )


def loaded_flow_files(fds: pd.DataFrame) -> None:
    """The flow files in the store and what each covers (read from the store, not written in
    a page)."""
    table = fds.sort_values(["kind", "year"])[["label", "year", "nature", "coverage_note"]]
    st.dataframe(
        table.rename(
            columns={"label": "Jeu", "year": "Année", "nature": "Nature", "coverage_note": "Ce qu'il couvre"}
        ),
        hide_index=True,
    )


def params_of(dataset_row: dict) -> dict:
    """A flow dataset's parameters (a JSON column of the store) as a dict."""
    raw = dataset_row.get("params")
    if not raw:
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def comparison_table(table: pd.DataFrame) -> None:
    """The comparison panel as a table: value, references, peers' median, rank, source."""
    refs = [c for c in table.columns if c.startswith("ref:")]
    rows = []
    for r in table.to_dict("records"):
        d = int(r["decimals"])
        row = {"Indicateur": f"{r['label']} ({r['unit']})", "Valeur": fmt(r["value"], d)}
        row |= {c[4:]: fmt(r[c], d) for c in refs}
        row["Médiane des pairs"] = fmt(r["peers_median"], d)
        row["Rang"] = f"{int(r['rank'])} / {int(r['rank_of'])}" if r.get("rank") else "—"
        row["Source"] = f"{r['source']}, {r['year']}"
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


# French headers of the indicator tables (the dictionary and the imported indicators).
INDICATOR_COLUMNS_FR = {
    "id": "Identifiant",
    "label": "Indicateur",
    "unit": "Unité",
    "year": "Année",
    "source": "Source",
    "licence": "Licence",
    "theme": "Thème",
    "rule": "Agrégation",
    "aggregation": "Règle",
    "level": "Niveau du fichier",
    "file_name": "Fichier",
    "nature": "Nature",
    "description": "Définition",
}
