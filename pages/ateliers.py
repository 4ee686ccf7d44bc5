"""Ateliers: prepare a workshop as a sequence of views, run it on the projector, keep what was
said. Everyone can open an atelier at its address (``/ateliers?atelier=<id>``); signed-in
editors create, edit, reorder and archive them."""

import streamlit as st

from observatoire.ui import atelier_run, ateliers, auth, state, widgets

st.title("Ateliers")
user = auth.sign_in_box()
aid, _ = ateliers.requested()


def _lines(text: str) -> list[str]:
    return [q.strip() for q in (text or "").splitlines() if q.strip()]


def _open(atelier_id: str | None) -> None:
    if atelier_id:
        st.query_params[ateliers.PARAM] = atelier_id
    else:
        st.query_params.pop(ateliers.PARAM, None)
    st.rerun()


if not aid:
    st.markdown(
        "Un atelier est une suite de vues de l'observatoire (une page dans un état donné : "
        "territoire, indicateur, type de flux, année), chacune avec une note pour le public et "
        "des questions pour le débat. On le déroule au vidéoprojecteur, les participants y "
        "laissent leurs remarques, on l'emporte en PPTX ou en PDF."
    )
    show_archived = st.toggle("Voir aussi les ateliers archivés", key="_at_archived")
    df = ateliers.listing(include_archived=show_archived)
    if df.empty:
        st.info("Aucun atelier pour l'instant." + ("" if user else " Connectez-vous pour en créer un."))
    else:
        st.dataframe(
            df.rename(
                columns={
                    "title": "Titre",
                    "n_views": "Vues",
                    "n_remarks": "Remarques",
                    "updated_by": "Modifié par",
                    "updated_at": "Le",
                    "archived": "Archivé",
                }
            )[["Titre", "Vues", "Remarques", "Modifié par", "Le", "Archivé"]],
            hide_index=True,
            width="stretch",
        )
        pick = st.selectbox(
            "Ouvrir un atelier",
            df["id"].tolist(),
            index=None,
            format_func=dict(zip(df["id"], df["title"])).get,
            placeholder="choisissez un atelier",
            key="_at_pick",
        )
        if pick:
            _open(pick)
    if user:
        with st.form("_at_new", clear_on_submit=True):
            title = st.text_input("Titre du nouvel atelier", max_chars=120)
            if st.form_submit_button("Créer l'atelier", type="primary"):
                new = ateliers.create(title, user)
                if new:
                    _open(new)
    st.stop()

rec = ateliers.atelier(aid, include_hidden=bool(user))
if rec is None:
    st.error("Atelier introuvable : vérifiez l'adresse, ou choisissez-le dans la liste.")
    if st.button("Voir la liste des ateliers"):
        _open(None)
    st.stop()

st.header(ateliers.md(rec["title"]), anchor=False)
st.caption(
    f"Version {rec['version']} — modifié par {ateliers.md(rec['updated_by'])} le {rec['updated_at'][:16]}"
    + (" — archivé" if rec["archived"] else "")
)
st.text(f"Adresse à partager : /ateliers?atelier={rec['id']}")
views = rec["views"]
c1, c2, c3 = st.columns([2, 2, 1])
if views:
    start = c1.selectbox("Commencer à la vue", list(range(1, len(views) + 1)), key="_at_start")
    if c2.button("Lancer la présentation", type="primary", width="stretch"):
        atelier_run.go(rec["id"], start)
if c3.button("Liste des ateliers", width="stretch"):
    _open(None)

if views:
    for fmt, label in ateliers.FORMATS.items():
        st.download_button(
            f"Exporter : {label}",
            lambda fmt=fmt: ateliers.export_bytes(rec["id"], fmt),
            ateliers.export_name(rec["id"], fmt),
            ateliers.mime(fmt),
            key=f"_at_export_{fmt}",
        )

editing = bool(user) and not rec["archived"]
st.subheader("Vues")
if not views:
    st.info("Aucune vue : ajoutez-en une ci-dessous, ou depuis n'importe quelle page (barre de gauche).")
remarks = rec["remarks"]
for v in views:
    pos = v["position"]
    with st.expander(
        f"{pos}. {ateliers.md(v['title'])} — {v['page_title'] or 'page inconnue'}", expanded=not editing
    ):
        st.text(v["deep_link"])
        if v["problem"]:
            st.warning(v["problem"])
        if v["note"]:
            st.text(v["note"])
        for q in v["questions"]:
            st.text(f"? {q}")
        for r in [r for r in remarks if r["view_position"] == pos]:
            st.text(f"{r['author'] or 'Anonyme'} : {r['text']}" + (" [masquée]" if r["hidden"] else ""))
        if not editing:
            continue
        with st.form(f"_at_edit_{pos}_{rec['version']}"):
            title = st.text_input("Titre", v["title"], max_chars=120)
            link = st.text_input("Lien de la vue", v["deep_link"])
            note = st.text_area("Note pour le public", v["note"], max_chars=1500)
            questions = st.text_area("Questions (une par ligne)", "\n".join(v["questions"]))
            if st.form_submit_button("Enregistrer la vue"):
                if ateliers.edit_view(
                    rec["id"],
                    pos,
                    user,
                    rec["version"],
                    deep_link=link,
                    title=title,
                    note=note,
                    questions=_lines(questions),
                ):
                    st.rerun()
        b1, b2, b3 = st.columns(3)
        order = list(range(1, len(views) + 1))
        if b1.button("Monter", key=f"_at_up_{pos}", disabled=pos == 1, width="stretch"):
            order[pos - 2], order[pos - 1] = order[pos - 1], order[pos - 2]
            if ateliers.reorder(rec["id"], order, user, rec["version"]):
                st.rerun()
        if b2.button("Descendre", key=f"_at_down_{pos}", disabled=pos == len(views), width="stretch"):
            order[pos - 1], order[pos] = order[pos], order[pos - 1]
            if ateliers.reorder(rec["id"], order, user, rec["version"]):
                st.rerun()
        if b3.button("Retirer la vue", key=f"_at_rm_{pos}", width="stretch"):
            if ateliers.remove_view(rec["id"], pos, user, rec["version"]):
                st.rerun()

if editing:
    st.subheader("Ajouter une vue")
    with st.form("_at_add", clear_on_submit=True):
        link = st.text_input("Lien de la vue", placeholder="/flux?territoire=epci:242900314&flux=travail")
        title = st.text_input("Titre", max_chars=120)
        note = st.text_area("Note pour le public", max_chars=1500)
        questions = st.text_area("Questions (une par ligne)")
        if st.form_submit_button("Ajouter la vue"):
            if ateliers.add_view(rec["id"], link, title, note, _lines(questions), user, rec["version"]):
                st.rerun()
    with st.form(f"_at_rename_{rec['version']}"):
        new_title = st.text_input("Titre de l'atelier", rec["title"], max_chars=120)
        if st.form_submit_button("Renommer"):
            if ateliers.rename(rec["id"], new_title, user, rec["version"]):
                st.rerun()
if user:
    label = "Désarchiver l'atelier" if rec["archived"] else "Archiver l'atelier"
    if st.button(label, key="_at_archive"):
        if ateliers.archive(rec["id"], user, rec["version"], archived=not rec["archived"]):
            st.rerun()
    box_hist = state.lazy_expander("Historique des modifications", "_at_historique")
    if box_hist.open:
        with box_hist:
            widgets.history_table(ateliers.history(rec["id"]))
elif not user:
    st.caption("Lecture et remarques libres ; la préparation d'un atelier demande un compte.")
