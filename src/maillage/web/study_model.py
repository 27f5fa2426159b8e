"""The loaded study's own travel-time model in the web app, built once per process.

The workshop (:mod:`maillage.web.workshop`) answers each change with the model the study
was computed with (:func:`maillage.outputs.study.read_network`): its road graph (the
extract and winter closures recorded in ``etude.json``) for a road study, the
straight-line estimate otherwise, both through
:func:`maillage.network.incremental.incremental_times`. Origins and services are the
study's own (``origins.parquet``; ``services.parquet``, the types that count for their
family's nearest service), so that the times before any change are the study's.

Building a road graph takes seconds: :func:`study_model` builds it once per process and
study (keyed by the study's id, folder and fingerprint), and each family's initial state
once; the workshop's variants are kept too (:meth:`StudyModel.remember`, the
:data:`REPLAYS_KEPT` latest), so that a change is one incremental step from a copy of the
state before it (arrays, no search).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.network.incremental import IncrementalTimes, incremental_times
from maillage.network.model import WINTER_CLOSURES, Method, NetworkPair
from maillage.outputs.study import read_network, read_services
from maillage.services.typology import load_typology
from maillage.web.models import Study

#: Replayed variants kept per study (a few meetings' latest changes).
REPLAYS_KEPT = 6


@dataclass(frozen=True)
class FamilyBase:
    """A family's initial state (copy it before changing it), its services' identifiers
    (in the state's numbering) and the origins' coordinates in the state's CRS."""

    state: IncrementalTimes
    service_ids: list[str]
    origin_xy: npt.NDArray[np.float64]


class StudyModel:
    """A study folder's travel-time model, origins and services (see the module).

    Parameters
    ----------
    folder
        The study folder (``maillage diagnostic --sortie``).
    """

    def __init__(self, folder: Path) -> None:
        if not (folder / "etude.json").is_file():
            raise MaillageError(
                f"dossier d'étude introuvable : {folder}. Correction : rechargez l'étude "
                "(« django-admin charger_etude DOSSIER » ou « maillage web --etude DOSSIER »)"
            )
        self.network: NetworkPair = read_network(folder)
        origins = gpd.read_parquet(folder / "origins.parquet")
        self.origins = origins[["origin_id", "name", "population", "geometry"]].reset_index(
            drop=True
        )
        services = read_services(folder)
        services["nearest_family"] = load_typology().nearest_family_of(services["type"])
        self.services = services.dropna(subset=["nearest_family"]).reset_index(drop=True)
        self._bases: dict[str, FamilyBase] = {}
        self._passes: list[str] | None = None
        self._lock = threading.Lock()
        self._replays: OrderedDict[tuple[str, str], Any] = OrderedDict()

    @property
    def method(self) -> Method:
        """How the study's times were computed (summer model)."""
        return self.network.method

    def base(self, family: str) -> FamilyBase:
        """The family's initial state, built on first use (shared: copy it to change it)."""
        with self._lock:
            if family not in self._bases:
                chosen = self.services[self.services["nearest_family"] == family]
                state = incremental_times(self.network.summer, self.origins, chosen)
                xy = self.origins.geometry.to_crs(state.crs)
                self._bases[family] = FamilyBase(
                    state,
                    chosen["service_id"].astype(str).tolist(),
                    np.column_stack([xy.x.to_numpy(), xy.y.to_numpy()]),
                )
            return self._bases[family]

    def passes(self, family: str) -> list[str]:
        """Roads the workshop offers to close: the study's winter closures and the
        mountain passes maillage knows (:data:`~maillage.network.model.WINTER_CLOSURES`)
        present in its network; empty when the model has no roads."""
        state = self.base(family).state
        with self._lock:
            if self._passes is None:
                source = self.network.source
                names = [*(source.winter_closures if source else ()), *WINTER_CLOSURES]
                self._passes = [name for name in dict.fromkeys(names) if state.knows_road(name)]
            return self._passes

    def recall(self, key: tuple[str, str]) -> Any:
        """A replayed variant remembered by :meth:`remember` (``None`` if forgotten)."""
        with self._lock:
            if key in self._replays:
                self._replays.move_to_end(key)
                return self._replays[key]
            return None

    def remember(self, key: tuple[str, str], value: Any) -> None:
        """Keep a replayed variant (never changed afterwards) for the next requests: the
        page's two maps, and the next change, which starts from it. The
        :data:`REPLAYS_KEPT` latest are kept (each holds the times of every node)."""
        with self._lock:
            self._replays[key] = value
            self._replays.move_to_end(key)
            while len(self._replays) > REPLAYS_KEPT:
                self._replays.popitem(last=False)

    def population(self) -> npt.NDArray[np.float64]:
        """Population of each origin (0 when unknown)."""
        return pd.to_numeric(self.origins["population"]).fillna(0).to_numpy(dtype=np.float64)


_MODELS: dict[tuple[int, str, str], StudyModel] = {}
_MODELS_LOCK = threading.Lock()


def study_model(study: Study) -> StudyModel:
    """The model of a loaded study, built once per process (the latest kept).

    Raises
    ------
    MaillageError
        The study's folder or road extract is gone, or does not say its network.
    """
    key = (study.pk, study.path, study.fingerprint)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = StudyModel(Path(study.path))
            _MODELS.clear()
            _MODELS[key] = model
        return model
