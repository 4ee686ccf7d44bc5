"""Sign-in for editors: Streamlit OIDC when configured, else the local password file."""

from __future__ import annotations

import streamlit as st

from observatoire import auth


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user() -> str:
    """The signed-in editor's name, or '' for a reader."""
    if _oidc_configured():
        user = getattr(st, "user", None)
        return (user.get("email") or user.get("name") or "") if user and user.get("is_logged_in") else ""
    return st.session_state.get("_user", "")


def sign_in_box() -> str:
    """Sign-in / sign-out controls in the sidebar; returns the current user ('' if none)."""
    user = current_user()
    with st.sidebar.expander("Espace éditeur" + (f" : {user}" if user else ""), expanded=False):
        if _oidc_configured():
            if user:
                st.button("Se déconnecter", on_click=st.logout, key="_logout")
            else:
                st.button("Se connecter", on_click=st.login, key="_login")
            return user
        if user:
            if st.button("Se déconnecter", key="_logout"):
                st.session_state["_user"] = ""
                st.rerun()
            return user
        with st.form("_signin"):
            name = st.text_input("Identifiant")
            pwd = st.text_input("Mot de passe", type="password")
            if st.form_submit_button("Se connecter"):
                if auth.check(name, pwd):
                    st.session_state["_user"] = name
                    st.rerun()
                else:
                    st.error("Identifiant ou mot de passe incorrect.")
        st.caption("Lecture libre ; la modification du catalogue et des périmètres demande un compte.")
    return ""
