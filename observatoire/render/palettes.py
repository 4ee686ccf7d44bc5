"""Colour-blind safe palettes (RGB tuples)."""

# Viridis, 7 steps (sequential; readable by the common colour-vision deficiencies).
VIRIDIS = [
    (68, 1, 84),
    (68, 57, 131),
    (49, 104, 142),
    (33, 145, 140),
    (53, 183, 121),
    (144, 215, 67),
    (253, 231, 37),
]
# Okabe-Ito qualitative palette.
OKABE_ITO = [
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (0, 0, 0),
]
MISSING = (200, 200, 200)


def sequential(k: int) -> list[tuple[int, int, int]]:
    """``k`` colours from the viridis ramp, light to dark reversed for maps (dark = high)."""
    ramp = list(reversed(VIRIDIS))
    if k <= 1:
        return [ramp[-1]]
    return [ramp[round(i * (len(ramp) - 1) / (k - 1))] for i in range(k)]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
