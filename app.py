"""Entry point: navigation, shared sidebar (territory picker), deep links."""

from pathlib import Path

import streamlit as st

from observatoire.ui import atelier_run, data, guard, state, style, widgets
from observatoire.ui.vocab import ObservatoireError

st.set_page_config(
    page_title="Observatoire des coopérations interterritoriales",
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
    layout="wide",
)

if not data.store_exists():
    st.error(
        "La base de données n'est pas construite. Lancez « make run » (ou "
        "« python -m observatoire build ») puis rechargez la page."
    )
    st.stop()

try:
    restored = data.restore_message()
except ObservatoireError as exc:
    st.error(str(exc))
    st.stop()
if restored:
    st.warning(restored)

state.init()

pages = [
    st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", url_path="accueil", default=True),
    st.Page(
        "pages/territoires.py", title="Territoires (carte)", icon=":material/map:", url_path="territoires"
    ),
    st.Page("pages/flux.py", title="Flux", icon=":material/sync_alt:", url_path="flux"),
    st.Page("pages/reseau.py", title="Réseau", icon=":material/hub:", url_path="reseau"),
    st.Page("pages/comparer.py", title="Comparer", icon=":material/compare_arrows:", url_path="comparer"),
    st.Page("pages/bilan.py", title="Bilan", icon=":material/summarize:", url_path="bilan"),
    st.Page("pages/perimetres.py", title="Périmètres", icon=":material/select_all:", url_path="perimetres"),
    st.Page(
        "pages/cooperations.py", title="Coopérations", icon=":material/handshake:", url_path="cooperations"
    ),
    st.Page("pages/donnees.py", title="Données", icon=":material/database:", url_path="donnees"),
    st.Page("pages/ateliers.py", title="Ateliers", icon=":material/co_present:", url_path="ateliers"),
]
nav = st.navigation(pages)
# An atelier running on the projector: its banner above the page (before the sidebar's toggle,
# which follows the presentation state the atelier sets).
guard.run(lambda: atelier_run.start_from_address(nav.url_path), "l'atelier")
guard.run(atelier_run.banner, "le bandeau de l'atelier")

with st.sidebar:
    st.markdown("### Observatoire des coopérations interterritoriales")
widgets.territory_picker()
guard.run(lambda: atelier_run.add_current_view_box(nav.url_path), "l'ajout à un atelier")
st.sidebar.toggle(
    "Mode présentation (gros caractères)",
    key="_pres",
    value=state.presentation(),
    on_change=lambda: st.session_state.update(
        {state.PRESENTATION: "1" if st.session_state["_pres"] else "0"}
    ),
)
style.apply(state.presentation())

guard.run(nav.run, f"la page « {nav.title} »")
guard.run(atelier_run.remarks_panel, "les remarques de l'atelier")
state.sync_url()
