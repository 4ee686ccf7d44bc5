"""The flow map component (flowmap.gl, built into ``components/flowmap``) for the pages.

Everything it draws is served by the app: the bundle, no basemap, no web font, no CDN.
A click on a place returns its code; :func:`territory_flow_map` then selects that territory.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from observatoire.queries import flowmap as q
from observatoire.queries import flows
from observatoire.render import flowmap_spec, outside_places
from observatoire.ui import data, state, style
from observatoire.vocabulary import LEVEL_FR

BUILD = Path(__file__).resolve().parent / "components" / "flowmap"
_component = components.declare_component("carte_flux", path=str(BUILD))
MAP_FLOWS = 2000  # flows fetched for the map (totals, zoom); the top N of them are drawn


def show(spec: dict, key: str, height: int | None = None) -> str | None:
    """Draw a spec (:func:`observatoire.render.flowmap_spec.build`); the code of a place the
    user has just clicked, else None."""
    h = height or 600
    with style.frame_room(h):
        value = _component(spec=spec, height=h, key=key, default=None)
    return state.new_click(key, value)


@st.cache_data(show_spinner=False, max_entries=64)
def _outlines(level: str, codes: tuple[str, ...] | None, _generation) -> dict | None:
    from observatoire.render import maps

    geo = data.geojson(level)
    if codes is not None:
        geo = geo[geo["code"].isin(codes)]
    if geo.empty:
        return None
    return maps.features(geo, geo[["code"]])


def _cached(fn):
    cached = st.cache_data(show_spinner=False, max_entries=128)(lambda _g, *a: fn(data.cursor(), *a))

    def call(*args):
        return cached(data.generation(), *args)

    return call


_unit_totals = _cached(lambda cur, communes, ds, level: q.unit_totals(cur, list(communes), ds, level))
_inside = _cached(lambda cur, communes, level: q.inside_units(cur, list(communes), level))
_points = _cached(lambda cur, level, codes: q.points(cur, level, None if codes is None else list(codes)))
_network = _cached(lambda cur, ds, level: q.network_flows(cur, ds, level))
_national = _cached(lambda cur, ds: q.is_national(cur, ds))
_lines = _cached(lambda cur, communes, ds, level, n: flows.flow_lines(cur, list(communes), ds, level, n, 0.0))


def _choropleth(ds: str, level: str, codes) -> dict:
    from observatoire.render import classify

    shares = flowmap_spec.leave_shares(_network(ds, level))
    if codes is not None:
        shares = {c: v for c, v in shares.items() if c in set(codes)}
    return {
        "title": f"Fond : part des actifs qui travaillent hors de leur {LEVEL_FR[level]}",
        "values": shares,
        "breaks": classify.quantile_breaks(list(shares.values()), 5),
        "unit": "%",
        "decimals": 0,
    }


@st.cache_data(show_spinner=False, max_entries=64)
def _territory_spec(
    communes: tuple[str, ...],
    ds: str,
    plevel: str,
    options: flowmap_spec.Options,
    nature: str,
    choropleth: bool,
    _g,
) -> dict:
    lines = _lines(communes, ds, plevel, MAP_FLOWS)
    totals = _unit_totals(communes, ds, plevel)
    inside = tuple(_inside(communes, plevel))
    codes = tuple(sorted(set(lines["o_unit"]) | set(lines["d_unit"]) | set(inside)))
    locations = _points(plevel, codes)
    fl = pd.DataFrame(
        {"origin": lines["o_unit"], "destination": lines["d_unit"], "value": lines["value"], "nature": nature}
    )
    opts = flowmap_spec.Options(**{**options.__dict__, "inside": inside})
    return flowmap_spec.build(
        fl,
        locations,
        opts,
        outlines=_outlines(plevel, codes, _g),
        upper_outlines=_outlines("departement", None, _g) if plevel in ("commune", "epci") else None,
        totals=totals[totals["code"].isin(codes)],
        choropleth=_choropleth(ds, plevel, codes) if choropleth else None,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _network_spec(ds: str, level: str, options: flowmap_spec.Options, choropleth: bool, _g) -> dict:
    fl = _network(ds, level)
    locations = _points(level, None)
    return flowmap_spec.build(
        fl,
        locations,
        options,
        outlines=_outlines(level, None, _g) if choropleth else None,
        upper_outlines=_outlines("departement", None, _g),
        choropleth=_choropleth(ds, level, None) if choropleth else None,
    )


def territory_flow_map(
    level: str,
    code: str,
    communes: tuple[str, ...],
    dataset_id: str,
    plevel: str,
    top_n: int,
    min_value: float,
    *,
    title: str,
    source: str,
    year: int,
    estimated: bool,
    key: str = "carte_flux",
    height: int = 600,
) -> None:
    """The Flux page's map: flows from and to the territory (units of ``plevel``), or the
    national view of the dataset when asked; a click on a place selects it as the territory."""
    nature = "estimé" if estimated else "observé"
    view = "territoire"
    national = _national(dataset_id)
    if national:
        view = st.radio(
            "Carte",
            ["territoire", "nationale"],
            format_func={
                "territoire": "Flux du territoire",
                "nationale": "Vue nationale (tous les flux du fichier, par EPCI)",
            }.get,
            horizontal=True,
            key=f"{key}_vue",
        )
    c1, c2, c3 = st.columns(3)
    curved = c1.toggle("Lignes courbes", value=False, key=f"{key}_courbes")
    # A share of residents leaving is only right where every origin and destination is covered.
    choro = (
        national
        and (view == "nationale" or plevel != "commune")
        and c1.toggle(
            "Fond : part des actifs qui partent",
            value=False,
            key=f"{key}_fond",
            help="Part des actifs résidents qui travaillent hors de leur unité (fichier couvrant toute la France).",
        )
    )
    locked = c2.toggle(
        "Échelle verrouillée",
        value=False,
        key=f"{key}_verrou",
        help="Même épaisseur pour le même volume d'une carte à l'autre (sinon adaptée à la vue).",
    )
    locked_max = None
    if locked:
        locked_max = float(
            c2.number_input(
                "Volume de l'épaisseur maximale", 10, 10_000_000, 10_000, step=1000, key=f"{key}_verrou_max"
            )
        )
    g = data.generation()
    if view == "nationale":
        lvl = "epci"
        n = int(c3.number_input("Flux affichés", 100, 20000, 3000, step=500, key=f"{key}_n_nat"))
        opts = flowmap_spec.Options(
            title=f"{title.split(' — ')[0]} — France entière, par {LEVEL_FR[lvl]}",
            source=source,
            year=year,
            top_n=n,
            min_value=min_value,
            clustering=True,
            adaptive=not locked,
            locked_max=locked_max,
            curved=curved,
            level_label=LEVEL_FR[lvl],
            height=height,
        )
        spec = _network_spec(dataset_id, lvl, opts, choro, g)
        picked = show(spec, key=key, height=height)
        level_picked = lvl
    else:
        c3.caption(f"{int(top_n)} plus gros flux (réglage « Nombre de flux »)")
        opts = flowmap_spec.Options(
            title=title,
            source=source,
            year=year,
            top_n=int(top_n),
            min_value=float(min_value),
            fade=False,  # a few flows: none faded to a pale band
            adaptive=not locked,
            locked_max=locked_max,
            curved=curved,
            level_label=LEVEL_FR[plevel],
            height=height,
        )
        spec = _territory_spec(tuple(communes), dataset_id, plevel, opts, nature, choro, g)
        picked = show(spec, key=key, height=height)
        level_picked = plevel
    if picked and f"{level_picked}:{picked}" != f"{level}:{code}":
        state.set_territory(level_picked, picked)
        st.rerun()


@st.cache_data(show_spinner=False, max_entries=32)
def _members_spec(
    units: tuple[tuple[str, str], ...],
    matrix: pd.DataFrame,
    options: flowmap_spec.Options,
    _g,
    outside: tuple[tuple[str, str, str, float, str], ...] = (),
    geography: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> dict:
    by_level: dict[str, list[str]] = {}
    for lv, c in units:
        by_level.setdefault(lv, []).append(c)
    locations = pd.concat([_points(lv, tuple(sorted(cs))) for lv, cs in by_level.items()], ignore_index=True)
    flows_ = matrix
    extra: tuple[str, ...] = ()
    if outside:
        places = outside_places.place(locations, _groups(outside, dict(geography)), _france_centre())
        locations = pd.concat([locations, places], ignore_index=True)
        ext = pd.DataFrame(list(outside), columns=["unit", "direction", "group", "value", "label"])
        ext["place"] = [outside_places.code(g) for g in ext["group"]]
        out_ = ext["direction"] == "sortant"
        ext["origin"] = ext["unit"].where(out_, ext["place"])
        ext["destination"] = ext["place"].where(out_, ext["unit"])
        nature = matrix["nature"].iloc[0] if len(matrix) else "observé"
        flows_ = pd.concat(
            [matrix, ext.assign(nature=nature)[["origin", "destination", "value", "nature"]]],
            ignore_index=True,
        )
        extra = tuple(places["code"])
    feats = []
    for lv, cs in by_level.items():
        fc = _outlines(lv, tuple(sorted(cs)), _g)
        feats += fc["features"] if fc else []
    opts = flowmap_spec.Options(
        **{**options.__dict__, "members": tuple(c for _, c in units), "outside": extra}
    )
    return flowmap_spec.build(
        flows_,
        locations,
        opts,
        outlines={"type": "FeatureCollection", "features": feats} if feats else None,
        upper_outlines=_outlines("departement", None, _g),
    )


def _groups(outside: tuple, geography: dict) -> list[outside_places.Group]:
    """The outside groups of the flows, each pointing to what it stands for."""
    labels = {g: label for _, _, g, _, label in outside}
    out = []
    for key in outside_places.ORDER:
        if key not in labels:
            continue
        anchor = None
        if key in ("departement", "region"):
            pts = _points(key, tuple(geography.get(key, ())))
            anchor = (float(pts["lon"].mean()), float(pts["lat"].mean())) if len(pts) else None
            if anchor is None:
                continue
        elif key == "france":
            anchor = _france_centre()
        out.append(outside_places.Group(key, labels[key], anchor))
    return out


def _france_centre() -> tuple[float, float]:
    """The mean of the départements' points of metropolitan France."""
    pts = _points("departement", None)
    pts = pts[~pts["code"].astype(str).str.startswith("97")]
    return float(pts["lon"].mean()), float(pts["lat"].mean())


def network_flow_map(
    units: pd.DataFrame,
    matrix: pd.DataFrame,
    top_n: int,
    *,
    title: str,
    source: str,
    year: int,
    estimated: bool,
    outside: pd.DataFrame | None = None,
    geography: dict | None = None,
    key: str = "carte_reseau",
    height: int = 560,
) -> None:
    """The Réseau page's map: the ``top_n`` largest flows among the network's members (``units``:
    ``code, level``; ``matrix``: covered ``origin, destination, value``, the diagonal counting in
    each member's internal total), the members outlined and ringed; with ``outside`` (the
    network's flows with its grouped outside: ``unit, direction, group, label, value,
    covered``), each member's covered flows with the rest of its département, région, France
    and abroad, drawn to points around the network (:mod:`observatoire.render.outside_places`)."""
    fl = matrix.assign(nature="estimé" if estimated else "observé")[
        ["origin", "destination", "value", "nature"]
    ]
    opts = flowmap_spec.Options(
        title=title,
        source=source,
        year=year,
        top_n=int(top_n),
        fade=False,
        level_label=", ".join(sorted({LEVEL_FR[lv] for lv in units["level"]})),
        height=height,
    )
    members = tuple(zip(units["level"], units["code"]))
    ext: tuple = ()
    if outside is not None and len(outside):
        ok = outside[outside["covered"].astype(bool) & (outside["value"].fillna(0) > 0)]
        ext = tuple(
            (str(r.unit), str(r.direction), str(r.group), float(r.value), str(r.label))
            for r in ok.itertuples()
        )
    geo = tuple((k, tuple(v)) for k, v in sorted((geography or {}).items()))
    spec = _members_spec(members, fl.reset_index(drop=True), opts, data.generation(), ext, geo)
    show(spec, key=key, height=height)
