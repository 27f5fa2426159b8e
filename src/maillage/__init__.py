"""maillage: build and run a *schéma de services à la population*.

The package follows the data flow of a diagnostic:

``sources`` (official formats read as published) → ``territory`` and ``services``
(a study area, its service points and their typology) → ``network`` (travel-time models)
→ ``indicators`` → ``planning`` (scenarios, siting) → ``scale`` (partitioned runs) →
``outputs`` (exports, report) → :class:`Study` (the Python API); ``cli`` and ``web`` are
thin layers over it.

The public API is re-exported here (imported on first use, so ``import maillage`` stays
light)::

    import maillage
    diagnostic = maillage.Study.builtin().diagnostic()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from maillage._errors import InputFileError, MaillageError, UnknownTerritoryError

if TYPE_CHECKING:
    from maillage.indicators.diagnostic import Diagnostic
    from maillage.indicators.settings import DiagnosticSettings, Level
    from maillage.network.graph import RoadGraph, build_graph
    from maillage.network.model import (
        Method,
        NetworkPair,
        RoadModel,
        StraightLineModel,
        TravelTimeModel,
    )
    from maillage.notes import Note
    from maillage.outputs.french import method_label, note_text
    from maillage.outputs.study import read_study, write_study
    from maillage.planning.scenario import Scenario, ScenarioResult, read_scenario
    from maillage.planning.territory_siting import TerritorySiting
    from maillage.scale.run import Execution
    from maillage.study import Study
    from maillage.territory.spec import TerritorySpec
    from maillage.territory.territory import Territory

#: Public name → module defining it.
_API = {
    "Diagnostic": "maillage.indicators.diagnostic",
    "DiagnosticSettings": "maillage.indicators.settings",
    "Execution": "maillage.scale.run",
    "Level": "maillage.indicators.settings",
    "Method": "maillage.network.model",
    "NetworkPair": "maillage.network.model",
    "Note": "maillage.notes",
    "RoadGraph": "maillage.network.graph",
    "RoadModel": "maillage.network.model",
    "Scenario": "maillage.planning.scenario",
    "ScenarioResult": "maillage.planning.scenario",
    "StraightLineModel": "maillage.network.model",
    "Study": "maillage.study",
    "Territory": "maillage.territory.territory",
    "TerritorySiting": "maillage.planning.territory_siting",
    "TerritorySpec": "maillage.territory.spec",
    "TravelTimeModel": "maillage.network.model",
    "build_graph": "maillage.network.graph",
    "method_label": "maillage.outputs.french",
    "note_text": "maillage.outputs.french",
    "read_scenario": "maillage.planning.scenario",
    "read_study": "maillage.outputs.study",
    "write_study": "maillage.outputs.study",
}

__all__ = [
    "Diagnostic",
    "DiagnosticSettings",
    "Execution",
    "InputFileError",
    "Level",
    "MaillageError",
    "Method",
    "NetworkPair",
    "Note",
    "RoadGraph",
    "RoadModel",
    "Scenario",
    "ScenarioResult",
    "StraightLineModel",
    "Study",
    "Territory",
    "TerritorySiting",
    "TerritorySpec",
    "TravelTimeModel",
    "UnknownTerritoryError",
    "__version__",
    "build_graph",
    "method_label",
    "note_text",
    "read_scenario",
    "read_study",
    "write_study",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The public API, imported on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'maillage' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
