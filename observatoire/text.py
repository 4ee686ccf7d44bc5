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


# -- French numbers, percentages and dates: the one formatter of the app, the fiche, the CLI. --
# Babel (CLDR fr_FR) does the grouping and the decimal comma; two typographic choices are ours:
# the minus sign is U+2212 (CLDR gives a hyphen) and "-0" is never printed.

NNBSP = "\u202f"  # narrow no-break space: thousands separator (CLDR fr)
NBSP = "\u00a0"  # no-break space: between a number and its unit
MINUS = "\u2212"
MISSING = "—"
LOCALE = "fr_FR"


def missing(value) -> bool:
    """True for None and NaN (and pandas' NA)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def number(value, decimals: int = 0, unit: str = "", signed: bool = False) -> str:
    """``210047`` → ``210 047`` (narrow no-break space), ``1.37`` → ``1,4``, ``-3`` → ``−3``;
    ``+`` before positive values when ``signed``; ``—`` when absent."""
    from babel.numbers import format_decimal

    if missing(value):
        return MISSING
    value = float(value)
    if round(value, decimals) == 0:
        value = 0.0
    body = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    pattern = f"+{body};-{body}" if signed and value != 0 else body
    text = format_decimal(value, format=pattern, locale=LOCALE).replace("-", MINUS)
    return f"{text}{NBSP}{unit}" if unit else text


def percent(share, decimals: int = 0, signed: bool = False) -> str:
    """A share in [0, 1] as a French percentage: ``0.153`` → ``15 %``."""
    return MISSING if missing(share) else number(100 * float(share), decimals, "%", signed=signed)


def share(value) -> str:
    """A share of a total for a ranking table: ``35 %``, ``< 1 %`` for the tiny ones."""
    if missing(value):
        return MISSING
    if 0 < value < 0.005:
        return f"<{NBSP}1{NBSP}%"
    return percent(value, 0)


def date_fr(d) -> str:
    """``2021-09-19`` → ``19 septembre 2021``; ``1er`` for the first of the month."""
    from babel.dates import format_date

    text = format_date(d, format="d MMMM y", locale=LOCALE)
    return text.replace("1 ", "1er ", 1) if d.day == 1 else text
