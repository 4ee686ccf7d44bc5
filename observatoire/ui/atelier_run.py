"""Running an atelier on the projector: each view is the real page, live, run with the view's
state (its deep link put into the session state, then ``st.switch_page``); ``app.py`` draws
above it a banner « Atelier — vue 3 / 8 » with the note, the questions and the previous / next
buttons (keyboard arrows click them), and under it the participants' remarks and their form.

A participant may change the year or the territory to answer a question: the banner stays,
and « Revenir à la vue » puts the view's state back.
"""

from __future__ import annotations

import streamlit as st

from observatoire.queries import links
from observatoire.ui import ateliers, auth, data, state

RUN = "_atelier_run"  # {"id", "pos", "version"} while an atelier is running
PREV, NEXT = "← Vue précédente", "Vue suivante →"
# Arrow keys click the buttons above (fixed script: no user text goes into it).
_KEYS = """<script>
(function () {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.__atelierKeys) return;
  doc.__atelierKeys = true;
  doc.addEventListener('keydown', function (e) {
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    const label = e.key === 'ArrowRight' ? 'Vue suivante' : e.key === 'ArrowLeft' ? 'Vue précédente' : null;
    if (!label) return;
    const b = Array.from(doc.querySelectorAll('button')).find(
      (x) => x.innerText.indexOf(label) !== -1 && !x.disabled);
    if (b) { e.preventDefault(); b.click(); }
  });
})();
</script>"""


def running() -> dict | None:
    return st.session_state.get(RUN)


def go(aid: str, position: int) -> None:
    """Show view ``position`` of the atelier: its state in the session, then its page."""
    rec = ateliers.atelier(aid)
    if rec is None or not rec["views"]:
        st.error("Cet atelier n'existe pas ou n'a aucune vue.")
        return
    position = max(1, min(position, len(rec["views"])))
    view = rec["views"][position - 1]
    st.session_state[RUN] = {"id": aid, "pos": position, "version": rec["version"]}
    if view.get("page") is None:  # a link refused by today's rules: the banner says why
        st.switch_page("pages/ateliers.py")
    link = links.Link(view["page"], view["params"])
    for key, value in link.state().items():
        st.session_state[key] = value
    st.session_state[state.PRESENTATION] = "1"
    st.session_state.pop("_pres", None)  # the sidebar toggle follows (re-created from the state)
    st.switch_page(link.page_file, query_params=link.params)


def stop() -> None:
    run = st.session_state.pop(RUN, None)
    st.session_state[state.PRESENTATION] = "0"
    st.session_state.pop("_pres", None)
    if run:
        st.switch_page("pages/ateliers.py", query_params={ateliers.PARAM: run["id"]})


def start_from_address(page: str) -> None:
    """``/ateliers?atelier=<id>&vue=3``: start the presentation at view 3 (once per address)."""
    if page != "ateliers":
        return
    aid, vue = ateliers.requested()
    if aid and vue and st.session_state.get("_atelier_started") != (aid, vue):
        st.session_state["_atelier_started"] = (aid, vue)
        go(aid, vue)


def banner() -> None:
    """Above the page while an atelier runs: where we are, the note and questions, the buttons."""
    run = running()
    if not run:
        return
    rec = ateliers.atelier(run["id"])
    if rec is None or not rec["views"]:
        st.session_state.pop(RUN, None)
        return
    n = len(rec["views"])
    pos = min(run["pos"], n)
    view = rec["views"][pos - 1]
    with st.container(border=True):
        c0, c1, c2, c3, c4 = st.columns([5, 1.4, 1.4, 1.4, 1.1])
        c0.markdown(f"**Atelier — vue {pos} / {n}**")
        c0.text(f"{rec['title']} — {view['title']}")  # typed by editors: plain text
        if c1.button(PREV, key="_at_prev", disabled=pos <= 1, width="stretch"):
            go(run["id"], pos - 1)
        if c2.button(NEXT, key="_at_next", disabled=pos >= n, width="stretch", type="primary"):
            go(run["id"], pos + 1)
        if c3.button("Revenir à la vue", key="_at_back", width="stretch"):
            go(run["id"], pos)
        if c4.button("Quitter", key="_at_quit", width="stretch"):
            stop()
        if view.get("problem"):
            st.warning(view["problem"])
        if view.get("note"):
            st.text(view["note"])
        for q in view.get("questions") or []:
            st.text(f"? {q}")
    st.html(_KEYS, unsafe_allow_javascript=True)


def remarks_panel() -> None:
    """Under the page while an atelier runs: the remarks on this view and the form to add one."""
    run = running()
    if not run:
        return
    user = auth.current_user()
    rec = ateliers.atelier(run["id"], include_hidden=bool(user))
    if rec is None:
        return
    pos = run["pos"]
    st.divider()
    st.subheader(f"Remarques sur la vue {pos}")
    mine = [r for r in rec["remarks"] if r["view_position"] == pos]
    if not mine:
        st.caption("Aucune remarque pour l'instant (rechargez pour voir celles des autres).")
    for r in mine:
        c1, c2 = st.columns([8, 1])
        label = f"{r['author'] or 'Anonyme'} : {r['text']}" + (" [masquée]" if r["hidden"] else "")
        c1.text(label)  # plain text, never HTML
        if user and c2.button(
            "Réafficher" if r["hidden"] else "Masquer", key=f"_at_hide_{r['id']}", width="stretch"
        ):
            if ateliers.hide_remark(run["id"], r["id"], user, rec["version"], hidden=not r["hidden"]):
                st.session_state[RUN]["version"] = rec["version"] + 1
                st.rerun()
    with st.form("_at_remark", clear_on_submit=True):
        author = st.text_input("Votre nom (facultatif)", max_chars=80, key="_at_r_author")
        remark = st.text_area("Votre remarque", max_chars=2000, key="_at_r_text")
        if st.form_submit_button("Envoyer la remarque"):
            if ateliers.add_remark(run["id"], pos, remark, author, run.get("version", rec["version"])):
                st.success("Remarque enregistrée : elle est visible par tous.")


def add_current_view_box(page: str) -> None:
    """Sidebar, for signed-in editors: add what is on screen to an atelier, in one click."""
    user = auth.current_user()
    page = page or "accueil"
    if not user or page not in links.PAGES:
        return
    ateliers_df = ateliers.listing()
    if ateliers_df.empty:
        return
    with st.sidebar.expander("Atelier : ajouter cette vue", expanded=False):
        choice = st.selectbox(
            "Atelier",
            ateliers_df["id"].tolist(),
            format_func=dict(zip(ateliers_df["id"], ateliers_df["title"])).get,
            key="_at_target",
        )
        link = ateliers.current_link(page)
        default = f"{link.page_title} — {data.name_of(*link.territory)}"
        if st.button("Ajouter la vue actuelle", key="_at_add_current", width="stretch"):
            version = int(ateliers_df.set_index("id").loc[choice, "version"])
            if ateliers.add_view(choice, link.url(), default, "", [], user, version):
                st.toast("Vue ajoutée à l'atelier.")
        st.caption(f"Lien enregistré : {link.url()}")
