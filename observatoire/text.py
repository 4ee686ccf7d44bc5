"""Text normalisation for accent- and case-insensitive search."""

from __future__ import annotations

import re
import unicodedata


def normalize(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces.

    >>> normalize("Brest Métropole")
    'brest metropole'
    >>> normalize("Saint-Étienne  l'Œuvre")
    'saint etienne l oeuvre'
    """
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text.lower())
    return text.strip()
