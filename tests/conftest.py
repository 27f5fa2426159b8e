"""Shared fixtures: the real data shipped in the package, read once per session."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import pytest

from maillage._data import data_path

TESTS = Path(__file__).parent


@pytest.fixture(scope="session")
def raw_communes() -> list[dict[str, str]]:
    """The shipped commune table read with the csv module alone (independent reference)."""
    with gzip.open(data_path("communes", "communes-france.csv.gz"), "rt", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def raw_france_services() -> list[dict[str, str]]:
    """ANCT's France Services list read with the csv module alone."""
    path = data_path("france-services", "liste-france-services-2024-08-01.csv")
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def maurienne():  # type: ignore[no-untyped-def]
    from maillage.territory.builtin import pays_de_maurienne

    return pays_de_maurienne()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Tests never read the user's cache (downloads, graphs): one fresh cache per session."""
    root = tmp_path_factory.getbasetemp() / "maillage-cache"
    monkeypatch.setenv("MAILLAGE_CACHE", str(root))


#: English words that must not reach a French user (issue 17's list, click's words, and
#: "code" where English puts it: after its noun, "INSEE code"). Case-sensitive where
#: the French word exists in lower case ("code BPE", "Options").
ENGLISH_WORDS = re.compile(
    r"\b(name|names|hospitals?|mean|share|beyond|True|False|Show|Error|Invalid|Usage|"
    r"Commands|Missing|required|default|No such|Try|Did you mean|Aborted|"
    r"(?:INSEE|SIREN|commune|postal|EPCI|service|BPE) codes?)\b"
)


@pytest.fixture(scope="session")
def english_words() -> re.Pattern[str]:
    """The English words searched in every French deliverable (report, CLI, exports)."""
    return ENGLISH_WORDS


@pytest.fixture(scope="session")
def france_diagnostic():  # type: ignore[no-untyped-def]
    """``maillage diagnostic --france`` through the API: every commune, in one block.

    About 40 s and 1.9 GB on 2 cores; shared by the scale and the reference tests.
    """
    from maillage.study import Study
    from maillage.territory.spec import TerritorySpec

    return Study.load(TerritorySpec.france()).diagnostic()
