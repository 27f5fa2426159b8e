"""The partitioned run asks the model for its guarantee: a new model plugs in without an ``if``.

The models below are invented for these edge cases (a model the run has never seen, a
model that cannot be bounded); the road graph is a three-node toy whose top speed is
read off by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from maillage import MaillageError
from maillage.network.graph import RoadGraph
from maillage.network.model import (
    MAX_SNAP_KM,
    RingBoundedModel,
    RoadModel,
    StraightLineModel,
)
from maillage.scale.partition import model_guarantee, road_guarantee, straight_line_guarantee


@dataclass(frozen=True)
class _WalkingModel:
    """A model the partitioned run does not know: 5 km/h as the crow flies."""

    min_ring_km: float = 3.0

    def guaranteed_minutes(self, radius_km: float) -> float:
        return radius_km / 5.0 * 60.0


def test_a_new_model_gives_its_own_guarantee() -> None:
    model = _WalkingModel()
    assert isinstance(model, RingBoundedModel)
    assert model_guarantee(model, 10.0) == 120.0  # type: ignore[arg-type]


def test_a_model_without_a_bound_is_refused_in_french() -> None:
    class Unbounded:
        method = StraightLineModel().method

    with pytest.raises(MaillageError, match="ne sait pas borner"):
        model_guarantee(Unbounded(), 10.0)  # type: ignore[arg-type]


def test_road_guarantee_at_the_graph_top_speed() -> None:
    # Four edges of 0.01° of longitude at the equator (1.1 km) in 1 minute: 67 km/h.
    graph = RoadGraph.from_edges(
        [0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 1.0, 1.0], lon=[0, 0.01, 0.02], lat=[0, 0, 0]
    )
    speeds = graph.length_m / graph.minutes * 60.0 / 1000.0
    expected = (30.0 - MAX_SNAP_KM) * 60.0 / float(speeds.max())
    assert road_guarantee(graph, 30.0) == pytest.approx(expected)
    assert model_guarantee(RoadModel(graph), 30.0) == pytest.approx(expected)
    assert RoadModel(graph).min_ring_km == 60.0


def test_straight_line_guarantee_is_the_model_s() -> None:
    slow = StraightLineModel(speed_kph=30.0)
    # 15 km × 0.99 (scale margin) × detour, at 30 km/h.
    expected = 15.0 * 0.99 * slow.detour_coefficient * 60.0 / 30.0
    assert model_guarantee(slow, 15.0) == pytest.approx(expected)
    assert straight_line_guarantee(15.0, slow) == pytest.approx(expected)
    assert slow.min_ring_km == 0.0
