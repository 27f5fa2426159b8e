"""Click's own words in French: help headings, usage lines and error messages.

Click writes its help and errors in English through :mod:`gettext`; installing a French
catalogue would change the whole process (the global gettext domain). Instead, the
``maillage`` commands use :class:`FrenchGroup`, whose contexts format help with
:class:`FrenchHelpFormatter` and whose :meth:`FrenchGroup.main` says click's errors in
French (:func:`translate`, a catalogue of click's messages as patterns). Nothing
changes at import, and other click programs of the process keep their English.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from maillage.outputs.french import spaces

#: Click's messages (msgids, as regular expressions) and their French translation.
CATALOGUE: tuple[tuple[str, str], ...] = (
    (r"Invalid value for (.+?): (.*)", r"valeur refusée pour \1 : \2"),
    (r"Invalid value: (.*)", r"valeur refusée : \1"),
    (r"Missing argument (.+?)\.(.*)", r"argument manquant : \1.\2"),
    (r"Missing option (.+?)\.(.*)", r"option manquante : \1.\2"),
    (r"Missing parameter: (.+)", r"paramètre manquant : \1"),
    (r"Missing parameter (.+?)\.(.*)", r"paramètre manquant : \1.\2"),
    (r"No such option:? (.+?)\.?( Did you mean (.+)\?)?$", r"option inconnue : \1.\2"),
    (r"No such command (.+?)\.", r"commande inconnue : \1."),
    (r"Missing command\.", "commande manquante."),
    (r"Got unexpected extra arguments? \((.*)\)", r"argument(s) en trop : \1"),
    (r"Option (.+?) requires an argument\.", r"l'option \1 attend une valeur."),
    (r"Option (.+?) requires (\d+) arguments\.", r"l'option \1 attend \2 valeurs."),
    (r"Option (.+?) does not take a value\.", r"l'option \1 ne prend pas de valeur."),
    (r"(.+?) is not a valid integer( range)?\.", r"\1 n'est pas un nombre entier."),
    (r"(.+?) is not a valid float( range)?\.", r"\1 n'est pas un nombre."),
    (r"(.+?) is not a valid boolean\..*", r"\1 n'est ni oui ni non."),
    (r"(.+?) is not a valid UUID\.", r"\1 n'est pas un identifiant UUID."),
    (r"(.+?) is not in the range (.+?)\.", r"\1 n'est pas dans l'intervalle \2."),
    (r"(.+?) is not one of (.+?)\.", r"\1 n'est pas parmi les choix : \2."),
    (r"(.+?) is not (.+?)\.", r"\1 n'est pas \2."),
    (r"(?:File|Path|Directory|file|path|directory) (.+?) does not exist\.", r"\1 n'existe pas."),
    (r"(?:File|Path|file|path) (.+?) is a directory\.", r"\1 est un dossier."),
    (r"(?:Directory|Path|directory|path) (.+?) is a file\.", r"\1 est un fichier."),
    (r"(?:File|Path|Directory|file|path|directory) (.+?) is not readable\.", r"\1 est illisible."),
    (
        r"(?:File|Path|Directory|file|path|directory) (.+?) is not writable\.",
        r"\1 n'est pas accessible en écriture.",
    ),
    (r"Could not open file (.+?): (.*)", r"impossible d'ouvrir le fichier \1 : \2"),
    (r"Did you mean (.+)\?", r"Vouliez-vous dire \1 ?"),
    (r"\(Did you mean one of: (.+)\?\)", r"(vouliez-vous dire : \1 ?)"),
    (r"Choose from:\s*(.*)", r"choix possibles : \1"),
    (r"Value must be an iterable\.", "la valeur doit être une liste."),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), french) for pattern, french in CATALOGUE)

#: Click's words in help screens.
HELP_WORDS: dict[str, str] = {
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Show the version and exit.": "Afficher la version et quitter.",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Arguments": "Arguments",
}
#: Metavars of click's types.
METAVARS: dict[str, str] = {
    "TEXT": "TEXTE",
    "INTEGER": "ENTIER",
    "FLOAT": "NOMBRE",
    "PATH": "CHEMIN",
    "FILE": "FICHIER",
    "DIRECTORY": "DOSSIER",
    "BOOLEAN": "OUI/NON",
    "COMMAND": "COMMANDE",
    "ARGS": "ARGUMENTS",
    "OPTIONS": "OPTIONS",
    "FILENAME": "FICHIER",
}
_METAVAR = re.compile(r"\b(" + "|".join(METAVARS) + r")\b")


def translate(message: str) -> str:
    """Click's English message in French (``message`` unchanged when not in the catalogue).

    Parts are translated one by one: an invalid value's own explanation too.

    Examples
    --------
    >>> translate("Invalid value for '--seuils': 'abc' is not a valid float.")
    "valeur refusée pour «\\u202f--seuils\\u202f» : «\\u202fabc\\u202f» n'est pas un nombre."
    >>> translate("No such command 'rapor'. Did you mean 'rapport'?")
    'commande inconnue : «\\u202frapor\\u202f». Vouliez-vous dire «\\u202frapport\\u202f» ?'
    """
    message = re.sub(r"'([^'\s][^']*)'", "«\u202f\\1\u202f»", message.strip())
    suggestion = re.search(r" \(?Did you mean.*$", message)
    if suggestion:
        head = translate(message[: suggestion.start()])
        return f"{head} {translate(suggestion.group(0).strip())}"
    for pattern, french in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            translated = match.expand(french)
            inner = match.groups()[-1] if match.groups() else None
            if inner and pattern.pattern.startswith("Invalid value"):
                translated = translated[: len(translated) - len(inner)] + translate(inner)
            return translated
    return message


def help_text(text: str) -> str:
    """A help text with click's words, metavars and brackets in French.

    Examples
    --------
    >>> help_text("Afficher.  [default: 30.0]")
    'Afficher.  [par défaut\\xa0: 30.0]'
    >>> help_text("Show this message and exit.")
    'Afficher cette aide et quitter.'
    """
    text = HELP_WORDS.get(text, text)
    text = re.sub(r"\[default: ", "[par défaut : ", text)
    text = re.sub(r"\[env var: ", "[variable d'environnement : ", text)
    text = text.replace("[required]", "[obligatoire]")
    text = text.replace("; default: ", " ; par défaut : ")
    text = text.replace("(DEPRECATED)", "(OBSOLÈTE)")
    return spaces(text).replace("« ", "«\u202f")


class FrenchHelpFormatter(click.HelpFormatter):
    """Click's help formatter with French headings, metavars and help texts."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """``Utilisation : maillage diagnostic [OPTIONS]``."""
        super().write_usage(
            prog, _METAVAR.sub(lambda m: METAVARS[m.group(1)], args), "Utilisation\u00a0: "
        )

    def write_heading(self, heading: str) -> None:
        """French section headings (``Commandes :``)."""
        self.write(f"{'':>{self.current_indent}}{HELP_WORDS.get(heading, heading)}\u00a0:\n")

    def write_text(self, text: str) -> None:
        """Paragraphs with the French no-break spaces (no ``;`` alone at a line start)."""
        super().write_text(help_text(text))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Option and command lists, in French."""
        super().write_dl(
            [
                (_METAVAR.sub(lambda m: METAVARS[m.group(1)], term), help_text(text))
                for term, text in rows
            ],
            col_max,
            col_spacing,
        )

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """A section with its French heading."""
        with super().section(HELP_WORDS.get(name, name)):
            yield


class FrenchContext(click.Context):
    """A context whose help is formatted in French."""

    formatter_class = FrenchHelpFormatter


def show_error(error: click.ClickException) -> None:
    """Write click's error in French on stderr (usage line and hint for usage errors)."""
    if isinstance(error, click.UsageError) and error.ctx is not None:
        click.echo(error.ctx.get_usage(), err=True)
        command = error.ctx.command_path
        click.echo(
            f"Essayez «\u202f{command} --aide\u202f» pour l'aide.",
            err=True,
        )
        click.echo("", err=True)
    message = translate(error.format_message())
    click.echo(f"Erreur\u00a0: {message[:1].upper()}{message[1:]}", err=True)


class FrenchCommand(click.Command):
    """A command with French help."""

    context_class = FrenchContext


class FrenchGroup(click.Group):
    """A group whose commands (added ones too) speak French, errors included."""

    context_class = FrenchContext
    command_class = FrenchCommand

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add a command, its help and errors in French."""
        cmd.context_class = FrenchContext
        super().add_command(cmd, name)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; click's errors are said in French (exit code as click's)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            show_error(error)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Interrompu.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
