"""The report's sections in reading order: the synthèse, the fiches intercommunales (one
page each, to hand to each communauté de communes), the territory and its families of
services, opening hours, seasons, bassins, enjeux, scenarios, then the method."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd

from maillage._progress import progress
from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.report import maps
from maillage.outputs.report.content import (
    ReportSection,
    bassins_section,
    enjeux_section,
    family_section,
    hours_section,
    method_section,
    seasons_section,
    territory_section,
)
from maillage.outputs.report.epci import epci_sections
from maillage.outputs.report.official import (
    add_official,
    counted_paragraphs,
    step_free_paragraph,
)
from maillage.outputs.report.synthesis import synthesis_section
from maillage.services.typology import FAMILIES, load_typology


def build_sections(
    diagnostic: Diagnostic,
    services: gpd.GeoDataFrame,
    *,
    extra_sections: Sequence[ReportSection] = (),
) -> list[ReportSection]:
    """Every section of the report, in reading order.

    Parameters
    ----------
    diagnostic
        The computed diagnostic.
    services
        The services it used (counted per family and source).
    extra_sections
        Sections of scenarios or siting, placed before the method.
    """
    layers = maps.map_layers(diagnostic.territory, diagnostic.communes)
    body = [territory_section(diagnostic, services, layers)]
    accessible = step_free_paragraph(diagnostic)
    if accessible is not None:
        body[0].paragraphs.append(accessible)
    typology = load_typology()
    labels = typology.family_labels
    for family in progress(FAMILIES, description="Rapport : cartes par famille", unit="famille"):
        section = family_section(diagnostic, services, layers, family, labels.get(family, family))
        # What the family counts comes first; then the times and the official figures.
        section.paragraphs[:0] = counted_paragraphs(services, family, typology)
        add_official(section, diagnostic, family)
        body.append(section)
    body += [
        hours_section(diagnostic),
        seasons_section(diagnostic),
        bassins_section(diagnostic, layers),
        enjeux_section(diagnostic, layers),
        *extra_sections,
    ]
    fiches = epci_sections(diagnostic, layers)
    method = method_section(diagnostic, services)
    synthesis = synthesis_section(diagnostic, [*body, *fiches, method])
    # Pages of their own: the synthèse, each fiche; the parts flow from the territory to
    # the method, which starts a page.
    body[0].kind = "page"
    method.kind = "page"
    return [synthesis, *fiches, *body, method]
