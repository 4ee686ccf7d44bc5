"""Every page × every value of every option it offers, for a territory of each kind (issue 11).

The suite used to open pages with their default options only, so the commune choropleth
crashed for every user while it passed. Here a walker finds the page's own widgets (select
boxes, radios, number inputs, sliders: whatever the page offers today or tomorrow) and sets each
of them to each of its values in turn, the others kept, starting from a deep link that already
sets a map level or a flow kind; every run must end without an exception and without the
guard's error message (a failed view shown to the user).
"""

from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from observatoire.ui.guard import MARK
from tests.conftest import ROOT

TERRITORIES = {
    "commune": "commune:29019",  # Brest
    "paris": "commune:75056",
    "drom": "commune:97411",  # Saint-Denis (La Réunion)
    "epci": "epci:242900314",  # Brest Métropole
    "perimetre": "perimetre:pays-cob",
    "departement": "departement:29",
    "region": "region:53",
}
# A select box with more values than this is walked at evenly spread values (always its first
# and last); the EPCI territory walks every value of every option.
SPREAD = 6
WALKED = ("selectbox", "radio", "number_input", "slider")


def _failures(at: AppTest) -> list[str]:
    out = [str(e.value) for e in at.exception]
    out += [str(e.value) for e in at.error if MARK in str(e.value)]
    return out


def _main_widgets(at: AppTest) -> list[tuple[str, str]]:
    """(type, key-or-label) of the page's own widgets (the sidebar picker excluded)."""
    side = {id(w.proto) for kind in WALKED for w in getattr(at.sidebar, kind)}
    found = []
    for kind in WALKED:
        for w in getattr(at, kind):
            if id(w.proto) in side or getattr(w, "disabled", False):
                continue
            found.append((kind, w.key or w.label))
    return found


def _find(at: AppTest, kind: str, ident: str):
    for w in getattr(at, kind):
        if (w.key or w.label) == ident:
            return w
    return None


def _choose(widget, label: str) -> None:
    """Select the option shown as ``label``, as the browser does (it sends the label)."""
    wid = widget.id

    class Chosen(type(widget)):
        @property
        def _widget_state(self):
            ws = WidgetState()
            ws.id = wid
            ws.string_value = label
            return ws

    widget.__class__ = Chosen


def _values(widget, kind: str, full: bool) -> list:
    if kind in ("selectbox", "radio"):
        opts = list(widget.options)
        if full or len(opts) <= SPREAD:
            return opts
        step = (len(opts) - 1) / (SPREAD - 1)
        return [opts[round(i * step)] for i in range(SPREAD)]
    lo, hi = widget.min, widget.max
    return [v for v in (lo, hi) if v is not None]


def walk(at: AppTest, full: bool) -> tuple[int, list[str]]:
    """Set every option of the page to each of its values; returns (runs, failures)."""
    runs, failures = 0, []
    for kind, ident in _main_widgets(at):
        w = _find(at, kind, ident)
        if w is None:  # the widget went away with an earlier choice; it is walked elsewhere
            continue
        if kind in ("selectbox", "radio"):
            original = None if w.index is None else list(w.options)[w.index]
        else:
            original = w.value
        for value in _values(w, kind, full):
            w = _find(at, kind, ident)
            if w is None:
                break
            if kind in ("selectbox", "radio"):
                if value not in w.options:
                    continue
                _choose(w, value)
            else:
                w.set_value(value)
            at.run()
            runs += 1
            failures += [f"{ident}={value!r}: {f[:300]}" for f in _failures(at)]
        w = _find(at, kind, ident)
        if w is not None:
            if kind in ("selectbox", "radio"):
                if original is None:
                    w.set_value(None)
                elif original in w.options:
                    _choose(w, original)
            else:
                w.set_value(original)
            at.run()
    return runs, failures


def _open(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    return at


# Options that decide which other options exist are crossed with everything, through the URL.
CASES = [
    pytest.param("pages/territoires.py", {"niveau": lv}, id=f"territoires-{lv}")
    for lv in ("commune", "epci", "departement")
]
CASES += [
    pytest.param("pages/flux.py", {"flux": k}, id=f"flux-{k}") for k in ("travail", "residentiel", "etudes")
]
CASES += [
    pytest.param(f"pages/{p}.py", {}, id=p)
    for p in ("accueil", "comparer", "reseau", "perimetres", "cooperations", "donnees", "ateliers")
]


@pytest.mark.parametrize("kind", list(TERRITORIES))
@pytest.mark.parametrize(("page", "params"), CASES)
def test_every_option_value_renders_without_error(app_db, kind, page, params):
    at = _open(page, territoire=TERRITORIES[kind], **params)
    assert _failures(at) == [], f"{page} {params} {kind}: default view fails"
    runs, failures = walk(at, full=kind == "epci")
    assert failures == [], f"{page} {params} {kind}: {len(failures)} failing runs of {runs}"


def test_walker_reaches_the_commune_level_deep_link(app_db):
    """The walker starts where the bug was: the commune choropleth from the deep link."""
    at = _open("pages/territoires.py", territoire="epci:242900314", niveau="commune")
    assert at.selectbox(key="niveau").value == "commune"
    assert _failures(at) == []
    assert any("Communes du département Finistère" in c.value for c in at.caption)
