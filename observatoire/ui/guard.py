"""Users never see a traceback: an error in a page is shown as a short French message with a
reference to quote, and logged on the server with its traceback under that reference.

Streamlit's own error box (``client.showErrorDetails``) is set to ``none`` in
``.streamlit/config.toml`` as the last line of defence (an error outside any page).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st

LOG = logging.getLogger("observatoire.erreurs")
if not LOG.handlers:  # the server's log (stderr, logs/streamlit-<n>.log under make serve)
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(_handler)
    LOG.propagate = False
MARK = "Référence de l'incident"


def message(what: str, ref: str) -> str:
    """The French message shown for a failed view (plain text: no user input in it)."""
    return (
        f"Une erreur a empêché d'afficher {what}. Elle a été enregistrée sur le serveur. "
        f"{MARK} à communiquer à l'équipe de l'observatoire : {ref}."
    )


def run(view: Callable[[], object], what: str) -> bool:
    """Run ``view()``; on an error, log it (with its traceback) and show the French message.

    Streamlit's rerun and stop signals are ``BaseException`` and pass through. Returns True
    when the view ran to its end.
    """
    try:
        view()
    except Exception:
        ref = secrets.token_hex(4)
        LOG.exception("Erreur dans %s (référence %s)", what, ref)
        st.error(message(what, ref), icon=":material/error:")
        return False
    return True
