"""The colours of the classes, shared by the report's maps and the GeoPackage's QGIS styles.

Colour-blind-safe palettes: ColorBrewer's ``YlOrRd`` for times and enjeux (sequential),
``YlGnBu`` for supply, and the Okabe–Ito qualitative palette for categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

#: Okabe & Ito (2008) qualitative palette, safe for colour-vision deficiencies.
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
)
#: Sequential palette of travel times (ColorBrewer, colour-blind safe).
TIME_PALETTE = "YlOrRd"
#: Sequential palette of supply indicators (higher is better: dark = more supply).
SUPPLY_PALETTE = "YlGnBu"


def class_colours(palette: str, count: int) -> list[str]:
    """The colours of ``count`` ordered classes in a sequential palette (maps, QGIS styles).

    Examples
    --------
    >>> class_colours("YlOrRd", 2)
    ['#ffeea3', '#a60026']
    """
    return [to_hex(c) for c in colormaps[palette](np.linspace(0.12, 0.92, count))]


def category_colours(by_commune: pd.Series) -> dict[str, str]:
    """One distinct colour per category (largest first): Okabe–Ito, then ColorBrewer's
    Paired and tab20 when there are more categories than Okabe–Ito has colours.

    Examples
    --------
    >>> category_colours(pd.Series(["b", "a", "b", None]))
    {'b': '#E69F00', 'a': '#56B4E9'}
    """
    order = by_commune.dropna().astype(str).value_counts().index
    extra = [to_hex(c) for name in ("Paired", "tab20") for c in colormaps[name].colors]  # type: ignore[attr-defined]
    palette = list(dict.fromkeys([*OKABE_ITO, *extra]))
    return {category: palette[i % len(palette)] for i, category in enumerate(order)}
