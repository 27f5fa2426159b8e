"""The ``maillage`` command line (French): a thin layer over the library."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from maillage import __version__
from maillage.cli.french import FrenchGroup
from maillage.cli.options import (
    builtin_territory_option,
    fail_on_errors,
    france_options,
    level_option,
    load_study,
    network_options,
    quiet_libraries,
    source_options,
    territory_options,
)
from maillage.cli.summary import (
    counted_summary,
    official_summary,
    territory_summary,
    verification_summary,
)
from maillage.cli.text import print_diagnostic, print_territory, print_verification
from maillage.cli.transit import (
    load_feed,
    print_transit,
    run_transit,
    transit_options,
    transit_report_section,
)


@click.group(cls=FrenchGroup, context_settings={"help_option_names": ["-h", "--aide", "--help"]})
@click.version_option(__version__, "--version", message="maillage %(version)s")
def cli() -> None:
    """maillage : diagnostic et schéma de services à la population.

    Sans option de territoire, les commandes portent sur le Pays de Maurienne (Savoie).
    """


@cli.command("territoire")
@territory_options
@source_options
@click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON.")
@fail_on_errors
def territoire(
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    user_sources: tuple[Path, ...],
    typologie: Path | None,
    as_json: bool,
) -> None:
    """Présenter le territoire : communes, EPCI, population, services par famille et source."""
    study = load_study(
        communes=communes,
        epci=epci,
        departements=departements,
        bassins_vie=bassins_vie,
        nom=nom,
        tampon_km=tampon_km,
        user_sources=user_sources,
        typologie=typologie,
        use_cache=False,
    )
    summary = territory_summary(
        study.territory,
        study.services,
        extra=dict(zip(user_sources, study.sources, strict=True)),
        typology=study.typology,
    )
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_territory(summary)


def _report_files(summary: dict[str, Any], study: Any, folder: Path) -> None:
    """Add the files read and the types without data to ``summary`` (and to the study's
    resume.json); write rejets.csv in ``folder``."""
    from maillage.services.catalogue import types_without_data
    from maillage.sources.accounting import files_summary, write_rejects

    rejects = write_rejects(study.sources, folder)
    files = files_summary(study.sources)
    added: dict[str, Any] = {
        "fichiers_lus": files,
        "rejets": str(rejects),
        "types_sans_donnees": types_without_data(study.services, study.typology),
    }
    summary.update(added)
    stored = folder / "resume.json"  # the study's copy of the summary says the same
    if stored.exists():
        written = json.loads(stored.read_text(encoding="utf-8"))
        stored.write_text(
            json.dumps({**written, **added}, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    if any(item["rejetees"] for item in files):
        click.echo(f"Lignes rejetées des fichiers lus : {rejects}", err=True)


def _write_results(result: Any, study: Any, sortie: Path) -> Path:
    """The study folder with the diagnostic's tables (and its network) and its exports."""
    from maillage.outputs.exports import write_exports
    from maillage.outputs.study import write_study

    folder = write_study(result, sortie, network=study.network)
    write_exports(result, study.services, folder)
    return folder


_OUTPUT_OPTIONS = [
    click.option(
        "--sortie",
        type=click.Path(path_type=Path),
        default=Path("etude"),
        show_default=True,
        help="Dossier d'étude où écrire les résultats.",
    ),
    click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON."),
]


def diagnostic_options(function: Callable[..., None]) -> Callable[..., None]:
    """Options of the commands that run a diagnostic (territory, sources, network, output)."""
    for option in reversed(_OUTPUT_OPTIONS):
        function = option(function)
    return territory_options(source_options(network_options(function)))


@cli.command("diagnostic")
@builtin_territory_option
@diagnostic_options
@level_option
@click.option("--france", is_flag=True, help="Toutes les communes de France (calcul réparti).")
@click.option(
    "--scheduler",
    "scheduler",
    metavar="ADRESSE",
    default=None,
    help="Ordonnanceur Dask existant (tcp://hôte:8786) ; grappe locale sinon.",
)
@click.option(
    "--partitions/--sans-partitions",
    default=None,
    help=(
        "Répartir le calcul par département (par défaut : par la route dès plusieurs "
        "départements ; d'un seul bloc à vol d'oiseau)."
    ),
)
@transit_options
@fail_on_errors
def diagnostic(
    sortie: Path,
    as_json: bool,
    france: bool,
    scheduler: str | None,
    partitions: bool | None,
    transports: Path | None,
    jour: str | None,
    depart: str,
    **options: Any,
) -> None:
    """Établir le diagnostic : temps d'accès, seuils, horaires, saisons, bassins, enjeux."""
    from maillage.outputs.study import diagnostic_summary
    from maillage.outputs.transit import transit_summary
    from maillage.scale.run import Execution

    if france:
        options = france_options(options)
    study = load_study(**options, execution=Execution(partitions=partitions, scheduler=scheduler))
    feed = load_feed(study, transports=transports, jour=jour, depart=depart)
    result = study.diagnostic()
    folder = _write_results(result, study, sortie)
    summary = diagnostic_summary(result)
    _report_files(summary, study, folder)
    transit = run_transit(study, folder, feed, depart=depart)
    block = None if transit is None else transit_summary(transit)
    if block is not None:
        summary["transports_en_commun"] = block
    summary["ce_qui_est_compte"] = counted_summary(study.services, study.typology)
    summary["indicateurs_officiels"] = official_summary(study.territory)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_diagnostic(summary, folder)
        if block is not None:
            print_transit(
                block, result.communes.set_index("origin_id")["name"].to_dict(), study.typology
            )


@cli.command("rapport")
@diagnostic_options
@click.option("--sans-pdf", is_flag=True, help="N'écrire que le rapport HTML (plus rapide).")
@click.option(
    "--scenario",
    "scenario_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Scénario TOML à ajouter au rapport (section avant/après) ; répétable.",
)
@click.option(
    "--implanter",
    "sitings",
    multiple=True,
    metavar="TYPE:MINUTES:SITES",
    help="Implantation à ajouter au rapport, ex. france-services:20:2 (couverture "
    "maximale, mairies candidates) ; répétable.",
)
@transit_options
@fail_on_errors
def rapport(
    sortie: Path,
    as_json: bool,
    sans_pdf: bool,
    scenario_files: tuple[Path, ...],
    sitings: tuple[str, ...],
    transports: Path | None,
    jour: str | None,
    depart: str,
    **options: Any,
) -> None:
    """Établir le diagnostic et son rapport : rapport.html, rapport.pdf et les exports."""
    from maillage.outputs.report import write_report
    from maillage.outputs.report.planning import planning_outputs
    from maillage.outputs.study import diagnostic_summary
    from maillage.scale.run import Execution

    quiet_libraries()
    requests = [_siting_request(spec) for spec in sitings]
    study = load_study(**options, execution=Execution(partitions=False))
    feed = load_feed(study, transports=transports, jour=jour, depart=depart)
    result = study.diagnostic()
    services = study.services
    folder = _write_results(result, study, sortie)
    scenarios = [study.scenario(path, before=result) for path in scenario_files]
    sitings_done = [
        study.site(kind, within_minutes=minutes, new_sites=count)
        for kind, minutes, count in requests
    ]
    sections, planning_files = planning_outputs(
        result, folder, scenarios=scenarios, sitings=sitings_done
    )
    transit = run_transit(study, folder, feed, depart=depart)
    if transit is not None:
        sections.append(transit_report_section(result, transit))
    paths = write_report(result, services, folder, extra_sections=sections, pdf=not sans_pdf)
    summary = diagnostic_summary(result)
    _report_files(summary, study, folder)
    if transit is not None:
        from maillage.outputs.transit import transit_summary

        summary["transports_en_commun"] = transit_summary(transit)
    summary["fichiers"] = {
        "rapport_html": str(paths["html"]),
        **({"rapport_pdf": str(paths["pdf"])} if "pdf" in paths else {}),
        "geopackage": str(folder / "diagnostic.gpkg"),
        "classeur": str(folder / "diagnostic.xlsx"),
        "csv": str(folder / "csv"),
        **{name: str(path) for name, path in planning_files.items()},
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_diagnostic(summary, folder)
        click.echo("Rapport :")
        for path in paths.values():
            click.echo(f"  {path}")


def _siting_request(spec: str) -> tuple[str, float, int]:
    """``TYPE:MINUTES:SITES`` of ``--implanter``."""
    parts = spec.rsplit(":", 2)
    try:
        if len(parts) != 3:
            raise ValueError
        return parts[0], float(parts[1]), int(parts[2])
    except ValueError:
        raise click.BadParameter(
            f"« {spec} » : écrivez TYPE:MINUTES:SITES, ex. france-services:20:2",
            param_hint="--implanter",
        ) from None


@cli.command("verifier")
@click.argument("fichier", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["bpe", "france-services", "csv", "osm"]),
    default=None,
    help="Format du fichier (deviné d'après son nom et son en-tête sinon).",
)
@click.option(
    "--colonnes",
    default=None,
    help="Format csv : correspondance des colonnes, ex. « id=ID,type=CODE,lon=X ».",
)
@click.option("--crs", default=None, help="Format csv : système des colonnes x/y, ex. EPSG:2154.")
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@fail_on_errors
def verifier(
    fichier: Path, file_format: str | None, colonnes: str | None, crs: str | None, as_json: bool
) -> None:
    """Vérifier un fichier de services avant usage : lignes lues, acceptées, rejetées.

    Code de sortie : 0 sans rejet, 1 si des lignes sont rejetées, 2 si le fichier est
    illisible.
    """
    from maillage.sources.dispatch import read_service_file

    mapping = None
    if colonnes:
        pairs = [item.split("=", 1) for item in colonnes.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise click.BadParameter(
                "écrivez « champ=colonne » séparés par des virgules", param_hint="--colonnes"
            )
        mapping = {field.strip(): column.strip() for field, column in pairs}
    result = read_service_file(fichier, format=file_format, mapping=mapping, crs=crs)
    summary = verification_summary(fichier, result)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_verification(summary)
    sys.exit(1 if summary["rejetees"] else 0)


# Commands written in their own modules (one module per command family).
from maillage.cli.download import telecharger  # noqa: E402
from maillage.cli.itinerant import itinerance  # noqa: E402
from maillage.cli.planning import implanter, scenario  # noqa: E402
from maillage.cli.transit import tournee  # noqa: E402
from maillage.cli.web import web  # noqa: E402

cli.add_command(telecharger)
cli.add_command(web)
cli.add_command(implanter)
cli.add_command(scenario)
cli.add_command(tournee)
cli.add_command(itinerance)


def main() -> None:
    """Entry point of the ``maillage`` command."""
    cli(prog_name="maillage")


if __name__ == "__main__":  # ``python -m maillage.cli.main``
    main()
