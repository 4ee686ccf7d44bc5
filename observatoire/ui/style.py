"""Screen rules for a projector (issue 15): what Streamlit's default theme cuts or hides.

Only literal CSS here (tests/test_security.py: raw HTML is never built from a value)."""

from __future__ import annotations

import streamlit as st

#: What a component's frame adds to the height its map asks for (its 1-px border, top and
#: bottom; the frame is a block, :func:`apply`, so no line box adds to it).
FRAME_BORDER = 2


def frame_room(height: int):
    """A box of the height a component's frame will take: the components size their frame only
    once loaded, and without it what follows a map moves down then (and is laid out and drawn
    again: the Sankey, the tables). Use as ``with frame_room(h): component(...)``."""
    return st.container(height=height + FRAME_BORDER, border=False)


def apply(presentation: bool) -> None:
    """Labels wrap instead of being cut with « … » (metric labels, buttons, widget labels);
    the page starts at the top of the screen (Streamlit leaves 6 rem above the title and sets
    it at 2.75 rem: on a 720-px projector the title, the choices and a warning filled the
    screen and the map began below it); in presentation mode, larger type everywhere,
    high-contrast captions."""
    st.markdown(
        "<style>"
        "[data-testid='stMainBlockContainer'] {padding-top: 2.5rem !important;}"
        "[data-testid='stMainBlockContainer'] h1 {font-size: 2.1rem; padding-top: 0.25rem;}"
        # components' frames as blocks: their height is the map's (no line box below them)
        "iframe[data-testid='stCustomComponentV1'] {display: block;}"
        "[data-testid='stMetricLabel'], [data-testid='stMetricLabel'] * "
        "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}"
        "[data-testid='stMetricLabel'] {height: auto !important; min-height: 1.5rem;}"
        "[data-testid='stMetricValue'], [data-testid='stMetricValue'] * "
        "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}"
        "[data-testid='stWidgetLabel'], [data-testid='stWidgetLabel'] * "
        "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}"
        "[data-testid='stButton'] button *, [data-testid='stDownloadButton'] button *, "
        "[data-testid='stLinkButton'] a * "
        "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}"
        "</style>",
        unsafe_allow_html=True,
    )
    if presentation:
        st.markdown(
            "<style>html, body, [class*='st-'] {font-size: 1.25rem;} "
            # (a heading's text is a span of class st-…: it keeps its heading's size)
            "h1 [class*='st-'], h2 [class*='st-'], h3 [class*='st-'], h4 [class*='st-'] {font-size: inherit;} "
            # and the headings grow with the text (25-px paragraphs): 46, 36, 31 px
            "[data-testid='stMainBlockContainer'] h1 {font-size: 2.3rem !important;} "
            "[data-testid='stMainBlockContainer'] h2 {font-size: 1.8rem !important;} "
            "[data-testid='stMainBlockContainer'] h3 {font-size: 1.55rem !important;} "
            "[data-testid='stMetricValue'] {font-size: 3rem;} "
            "[data-testid='stCaptionContainer'] {color: #222 !important; font-size: 1.05rem;}</style>",
            unsafe_allow_html=True,
        )
