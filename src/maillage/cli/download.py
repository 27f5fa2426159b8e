"""``maillage telecharger``: get the official datasets of a territory into the cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from maillage.cli.options import (
    builtin_territory_option,
    fail_on_errors,
    split_codes,
    territory_options,
    territory_spec,
)


@click.command("telecharger")
@builtin_territory_option
@territory_options
@click.option(
    "--jeux",
    default="bpe,osm,filosofi",
    show_default=True,
    help="Jeux à obtenir (séparés par des virgules) : bpe, osm, filosofi.",
)
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    default=None,
    help="Dossier du cache (par défaut MAILLAGE_CACHE, sinon ~/.cache/maillage).",
)
@click.option(
    "--depuis",
    type=click.Path(path_type=Path),
    default=None,
    help="Dossier de fichiers téléchargés à la main, importés avec les mêmes contrôles "
    "(sans réseau).",
)
@click.option(
    "--catalogue",
    type=click.Path(path_type=Path),
    default=None,
    help="Catalogue TOML personnel (adresses, millésimes, sommes de contrôle) ; par défaut "
    "la variable MAILLAGE_CATALOGUE.",
)
@click.option(
    "--rafraichir", is_flag=True, help="Télécharger de nouveau les fichiers déjà en cache."
)
@click.option(
    "--delai",
    type=float,
    default=60,
    show_default=True,
    help="Secondes sans données avant d'abandonner une tentative.",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@fail_on_errors
def telecharger(
    territoire: str | None,
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    jeux: str,
    cache: Path | None,
    depuis: Path | None,
    catalogue: Path | None,
    rafraichir: bool,
    delai: float,
    as_json: bool,
) -> None:
    """Télécharger la BPE, l'extrait OpenStreetMap et la grille Filosofi du territoire.

    Les fichiers officiels couvrant le territoire et sa couronne sont pris chez leurs
    éditeurs (catalogue : docs/telechargement.md), vérifiés (taille, somme de contrôle,
    format) puis rangés dans le cache, où « maillage diagnostic » les trouve seul.
    """
    from maillage.download.cache import default_cache_dir, ensure_datasets, study_departements
    from maillage.download.catalogue import load_catalogue

    known = load_catalogue(catalogue)
    keys = split_codes([jeux])
    unknown = [key for key in keys if key not in known.entries]
    if unknown or not keys:
        raise click.BadParameter(
            f"jeu(x) inconnu(s) : {', '.join(unknown)} ; choisissez parmi "
            + ", ".join(known.entries),
            param_hint="--jeux",
        )
    territory = territory_spec(
        territoire, communes, epci, departements, bassins_vie, nom, tampon_km
    ).build()
    codes = study_departements(territory)
    folder = cache if cache is not None else default_cache_dir()
    if not as_json:
        click.echo(
            f"{territory.name} : départements {', '.join(codes)} (territoire et couronne) ; "
            f"cache {folder}"
        )
    obtained = ensure_datasets(
        codes,
        keys=keys,
        cache=folder,
        catalogue=known,
        source=depuis,
        refresh=rafraichir,
        timeout_s=delai,
    )
    records: list[dict[str, Any]] = [
        {
            "jeu": item.entry.key,
            "region": item.entry.region,
            "fichier": str(item.fetched.path),
            "etat": item.fetched.status,
            "taille_octets": item.fetched.size,
            "millesime": item.entry.vintage,
            "licence": item.entry.licence,
            "url": item.entry.url,
        }
        for item in obtained
    ]
    if as_json:
        summary = {
            "territoire": territory.name,
            "departements": codes,
            "cache": str(folder),
            "fichiers": records,
        }
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    labels = {
        "telecharge": "téléchargé",
        "reprise": "téléchargé (reprise)",
        "importe": "importé",
        "en cache": "déjà en cache",
    }
    for item, record in zip(obtained, records, strict=True):
        click.echo(
            f"  {labels[record['etat']]} : {record['fichier']} "
            f"({record['taille_octets'] / 1e6:.1f} Mo) — {item.entry.describe()}"
        )
    click.echo("« maillage diagnostic » utilisera ces fichiers pour ce territoire.")
