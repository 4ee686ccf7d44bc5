"""Entry point: navigation, shared sidebar (territory picker), deep links."""

from pathlib import Path

import streamlit as st

from observatoire import config
from observatoire.errors import ObservatoireError
from observatoire.ui import data, state, widgets

# A local icon file: a ":material/…" page icon is fetched by every browser from fonts.gstatic.com.
ICON = Path(__file__).resolve().parent / "observatoire" / "ui" / "static" / "icone.png"
st.set_page_config(
    page_title="Observatoire des coopérations interterritoriales", page_icon=str(ICON), layout="wide"
)

if not Path(config.db_path()).exists():
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
    st.Page("pages/comparer.py", title="Comparer", icon=":material/compare_arrows:", url_path="comparer"),
    st.Page("pages/perimetres.py", title="Périmètres", icon=":material/select_all:", url_path="perimetres"),
    st.Page(
        "pages/cooperations.py", title="Coopérations", icon=":material/handshake:", url_path="cooperations"
    ),
    st.Page("pages/donnees.py", title="Données", icon=":material/database:", url_path="donnees"),
]
nav = st.navigation(pages)

with st.sidebar:
    st.markdown("### Observatoire des coopérations interterritoriales")
widgets.territory_picker()
st.sidebar.toggle(
    "Mode présentation (gros caractères)",
    key="_pres",
    value=state.presentation(),
    on_change=lambda: st.session_state.update(
        {state.PRESENTATION: "1" if st.session_state["_pres"] else "0"}
    ),
)
if state.presentation():
    st.markdown(
        "<style>html, body, [class*='st-'] {font-size: 1.25rem;} "
        "[data-testid='stMetricValue'] {font-size: 3rem;}</style>",
        unsafe_allow_html=True,
    )

nav.run()
state.sync_url()
