"""The corpus of bad files (tests/data/mauvais): each gets its French answer, no traceback.

The files are real rows broken in one way each (see ``tests/data/mauvais/fabriquer.py``);
``attendus.toml`` lists, per file, the command, the exit code and the message fragments
a user must see.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from maillage.cli.main import cli

CORPUS = Path(__file__).parents[1] / "data" / "mauvais"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "attendus.toml").read_text("utf-8"))["cas"]


def test_every_file_of_the_corpus_has_an_expected_answer() -> None:
    listed = {case["fichier"] for case in CASES}
    present = {p.name for p in CORPUS.iterdir() if p.suffix not in {".py", ".toml", ".md"}}
    assert present <= listed, f"fichiers sans réponse attendue : {sorted(present - listed)}"


@pytest.mark.parametrize("case", CASES, ids=[c["fichier"] for c in CASES])
def test_bad_file_gets_its_french_answer(case: dict[str, Any], monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(CORPUS)  # messages name the file as the user typed it
    command = [str(a) for a in case["commande"]]
    if "{fichier}" not in command:
        command.append("{fichier}")
    given = {"{fichier}": case["fichier"], "{sortie}": str(tmp_path / "etude")}
    command = [given.get(a, a) for a in command]
    result = CliRunner().invoke(cli, command)
    output = result.output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == case["code"], output
    if case["code"] == 2:
        assert not (tmp_path / "etude").exists(), "a refused file must not give a study"
    for fragment in case["messages"]:
        assert fragment in output, f"« {fragment} » absent de :\n{output}"
