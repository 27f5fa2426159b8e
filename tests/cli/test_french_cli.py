"""Click's own words in French: every command's help and the typical usage errors.

The check is the list of English words of ``tests/conftest.py`` (click's help headings
and errors among them); none may appear.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli


def _commands() -> list[list[str]]:
    paths = [[]]
    for name, command in sorted(cli.commands.items()):
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in sorted(command.commands)]
    return paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "maillage")
def test_help_of_every_command_is_french(path: list[str], english_words) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="maillage")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Utilisation\u00a0: maillage")
    assert "Options\u00a0:" in result.output
    assert "Afficher cette aide et quitter." in result.output
    assert not english_words.search(result.output), english_words.search(result.output)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["rapor"], "Commande inconnue : « rapor ». Vouliez-vous dire « rapport » ?"),
        (["diagnostic", "--inconnu"], "Option inconnue : « --inconnu »."),
        (["verifier"], "Argument manquant : « FICHIER »."),
        (["implanter", "mairie", "--dans", "x"], "« x » n'est pas un nombre."),
        (["implanter", "--dans"], "L'option « --dans » attend une valeur."),
        (["territoire", "--tampon-km", "abc"], "« abc » n'est pas un nombre."),
        (["diagnostic", "--niveau", "xx"], "« xx » n'est pas parmi les choix"),
        (["implanter", "mairie"], "Option manquante : « --dans »."),
    ],
)
def test_usage_errors_are_french(args: list[str], expected: str, english_words) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, args, prog_name="maillage")
    assert result.exit_code == 2
    text = result.output.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Erreur : " in text
    assert expected in text, text
    assert not english_words.search(text), english_words.search(text)


def test_other_click_programs_keep_their_english() -> None:
    """No process-wide change: a plain click command still speaks English."""

    @click.command()
    @click.option("--n", type=int)
    def plain(n: int) -> None:
        """A plain command."""

    result = CliRunner().invoke(plain, ["--n", "x"])
    assert "Error: Invalid value for '--n'" in result.output
    assert "Show this message and exit." in CliRunner().invoke(plain, ["--help"]).output


@pytest.mark.parametrize("module", ["maillage", "maillage.cli.main"])
def test_python_dash_m_runs_the_command(module: str) -> None:
    """``python -m maillage`` (and the CLI module itself) is the command, not a silent no-op."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", module, "verifier"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done
    text = done.stderr.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Argument manquant : « FICHIER »." in text
