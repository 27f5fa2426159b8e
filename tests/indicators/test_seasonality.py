"""A winter closure raises times only for the communes whose best summer route used it.

Real Monaco extract with the French communes around it; the closed way is chosen on the
best summer route of one commune, so that the closure matters.
"""

from __future__ import annotations

import warnings
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest

from maillage.indicators.diagnostic import run_diagnostic
from maillage.network.graph import build_graph
from maillage.network.model import NetworkPair
from maillage.network.snapping import SnapWarning, snap_points
from maillage.services.catalogue import territory_services
from maillage.territory.territory import select_territory

MONACO = Path(__file__).resolve().parents[1] / "data" / "osm" / "monaco-2019-09-30.osm.pbf"


def test_closed_way_changes_only_routes_that_used_it(tmp_path) -> None:
    graph = build_graph(MONACO, cache_dir=tmp_path)
    territory = select_territory(communes=["06012", "06032", "06150"], buffer_km=3)
    services = territory_services(territory)
    edges = graph.edges().sort_values("minutes").drop_duplicates(["source", "target"])
    network = nx.DiGraph()
    for row in edges.itertuples():
        network.add_edge(row.source, row.target, minutes=row.minutes, way=row.way_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        summer = run_diagnostic(territory, services, network=NetworkPair.road(graph))
        origin_nodes = snap_points(graph, summer.communes, id_column="origin_id")
        service_nodes = snap_points(graph, services, id_column="service_id")
    origin_nodes = origin_nodes.set_index("origin_id")["node"]
    service_nodes = service_nodes.set_index("service_id")["node"]
    times = summer.family_times[summer.family_times["season"] == "summer"].dropna(
        subset=["minutes"]
    )

    def route_ways(row) -> set[int]:
        path = nx.dijkstra_path(
            network, origin_nodes[row.origin_id], service_nodes[row.service_id], weight="minutes"
        )
        return {network.edges[u, v]["way"] for u, v in pairwise(path)}

    routes = {(row.origin_id, row.family): route_ways(row) for row in times.itertuples()}
    # Close the first way of the longest route whose removal lengthens that route.
    longest = max(routes, key=lambda key: len(routes[key]))
    row = times.set_index(["origin_id", "family"]).loc[longest]
    source, target = origin_nodes[longest[0]], service_nodes[row["service_id"]]
    base = nx.dijkstra_path_length(network, source, target, weight="minutes")
    closed = None
    for way in sorted(routes[longest]):
        kept = network.edge_subgraph([(u, v) for u, v, w in network.edges(data="way") if w != way])
        try:
            detour = nx.dijkstra_path_length(kept, source, target, weight="minutes")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            continue
        if detour > base + 1e-6:
            closed = way
            break
    assert closed is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        both = run_diagnostic(
            territory, services, network=NetworkPair.road(graph, graph.without_ways([closed]))
        )
    table = both.family_times.pivot_table(
        index=["origin_id", "family"], columns="season", values="minutes"
    )
    changed = 0
    for key, ways in routes.items():
        summer_minutes, winter_minutes = table.loc[key, "summer"], table.loc[key, "winter"]
        assert not winter_minutes < summer_minutes - 1e-9  # closing never shortens
        if closed not in ways:
            assert winter_minutes == pytest.approx(summer_minutes, abs=1e-9)
        elif winter_minutes > summer_minutes + 1e-9:
            changed += 1
    assert changed >= 1


def test_summer_only_service_counts_in_summer_alone(tmp_path, maurienne) -> None:
    """An INVENTED summer-only France Services point at Bonneval-sur-Arc's real town hall
    (edge case: the real lists carry no seasonal site); straight-line times."""
    from maillage.sources.generic import read_generic
    from maillage.sources.mairies import read_mairies

    hall = read_mairies().services.set_index("commune").loc["73047"]
    path = tmp_path / "saisonnier.csv"
    path.write_text(
        "id;type;nom;commune;lon;lat;saison\n"
        f"1;A128;France services d'été;73047;{hall['lon']};{hall['lat']};été\n",
        encoding="utf-8",
    )
    extra = read_generic(path)
    assert extra.services["seasonal"].tolist() == ["summer"]
    services = territory_services(maurienne, extra=[extra])
    result = run_diagnostic(maurienne, services)
    fs = result.nearest[result.nearest["type"] == "A128"].pivot_table(
        index="origin_id", columns="season", values="minutes"
    )
    chosen = result.nearest[
        (result.nearest["type"] == "A128") & (result.nearest["season"] == "summer")
    ].set_index("origin_id")
    uses_it = chosen["service_id"] == extra.services["service_id"].iloc[0]
    assert uses_it["73047"] and uses_it.sum() >= 2  # Bonneval and its neighbours
    assert (
        fs.loc[uses_it[uses_it].index, "winter"] > fs.loc[uses_it[uses_it].index, "summer"]
    ).all()
    others = uses_it[~uses_it].index
    assert (fs.loc[others, "winter"] == fs.loc[others, "summer"]).all()
