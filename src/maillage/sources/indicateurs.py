"""National per-commune files: BPE counts, DREES APL, CAF, Éducation nationale, ERP, Filosofi.

Source: ``data/indicateurs-communaux/`` (see ``data/README.md`` and ``glossaire.csv``).
Each file has one row per commune (``id`` = INSEE code) plus aggregate rows (départements
``D73``, régions ``R84``, ``FR``, EPCI SIREN) and the columns ``comp1`` … ``comp3``
(EPCI, département, région). The reader:

* pads the codes of départements 01–09, written without their leading zero (warning);
* sets the aggregate rows aside (a warning says how many);
* rejects and lists rows without a code, with an unknown or merged commune code, a
  duplicated code, a value that is not a number, or a negative count;
* reads ``ND`` (statistical secrecy, not published) and empty cells as unknown;
* gives Paris, Lyon and Marseille the sum of their arrondissements' counts and, for a
  rate the commune's own row lacks (or gives for 0 inhabitants), the mean of its
  arrondissements weighted by the file's population column.

:func:`read_commune_counts` turns the counts into services: *n* in a commune become *n*
services at the commune's chef-lieu (:func:`~maillage.sources.mairies.town_hall_points`),
``position = "commune"`` — INSEE's commune-level method — as the typology's
``[[comptages]]`` entries say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from maillage._data import data_path
from maillage._errors import InputFileError
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import CountRule, Typology, load_typology
from maillage.sources._checks import PLM_ARRONDISSEMENTS, _member, check_commune_codes
from maillage.sources._report import Problem, Rejections
from maillage.sources.communes import former_commune_codes, read_communes
from maillage.sources.mairies import town_hall_points

FOLDER = "indicateurs-communaux"


@dataclass(frozen=True)
class CommuneFile:
    """One shipped per-commune file: what it holds and how its columns add up.

    Attributes
    ----------
    filename, label, vintage
        The file in ``data/indicateurs-communaux``, its producer (French) and vintage.
    counts
        Columns that add up (numbers of equipments, places, pupils, inhabitants).
    rates
        Rate columns and the count column that weighs them (``None``: not averaged).

    Examples
    --------
    >>> bpe = COMMUNE_FILES["bpe"]
    >>> bpe.filename, bpe.vintage, bpe.counts[:3]
    ('bpe-2024-comptages-communes.parquet', '2024', ('cult', 'sport', 'alim'))
    """

    filename: str
    label: str
    vintage: str
    counts: tuple[str, ...]
    rates: dict[str, str | None] = field(default_factory=dict)


_BPE = [
    "cult",
    "sport",
    "alim",
    "comprox",
    "pharma",
    "banque",
    "poste",
    "macon",
    "peintre",
    "menuisier",
    "plombier",
    "elect",
    "egb",
    "resto",
    "alim2",
    "boulang",
    "bouch",
    "poisson",
    "journaux",
    "station_serv",
    "cine",
    "places_cine",
    "conservat",
    "biblio",
    "livr_press",
    "expo_med",
    "esp_rq_patri",
    "archiv",
    "spectacl",
    "salle_spectacl",
    "heb_persagees",
    "plac_persagees",
    "soin_persagees",
    "aide_persagees",
]
_FILOSOFI_RATES = [
    "med21",
    "tp6021",
    "d121",
    "d921",
    "tp60_30",
    "tp60_30_39",
    "tp60_40_49",
    "tp60_50_59",
    "tp60_60_74",
    "tp60_75",
    "med_30",
    "med_30_39",
    "med_40_49",
    "med_50_59",
    "med_60_74",
    "med_75",
    "tp60_hs",
    "tp60_fs",
    "tp60_cse",
    "tp60_cae",
    "tp60_mono",
    "tp60_complex",
    "med_hs",
    "med_fs",
    "med_cse",
    "med_cae",
    "med_mono",
    "med_complex",
    "d1_15",
    "d9_15",
    "d1_60_74",
    "d9_60_74",
    "d1_75",
    "d9_75",
]
_ERP = [
    "nb_erp_eval",
    "stat_true",
    "stat_pmr_true",
    "stat_ext_true",
    "stat_pmr_ext_true",
    "entr_plain_pied_true",
    "stat_false",
    "stat_pmr_false",
    "stat_ext_false",
    "stat_pmr_ext_false",
    "entr_plain_pied_false",
]

#: The shipped files, by key.
COMMUNE_FILES: dict[str, CommuneFile] = {
    "bpe": CommuneFile(
        "bpe-2024-comptages-communes.parquet",
        "INSEE, BPE (comptages par commune)",
        "2024",
        tuple(_BPE),
    ),
    "apl": CommuneFile(
        "drees-apl-2023.parquet",
        "DREES, accessibilité potentielle localisée",
        "2023",
        ("pop_apl", "pop_be_s"),
        {
            c: "pop_apl"
            for c in [
                "apl_inf",
                "apl_sf",
                "apl_mk",
                "apl_dent",
                "apl_gen_2015",
                "apl_gen",
                "apl_65",
                "apl_62",
            ]
        },
    ),
    "caf_places": CommuneFile(
        "caf-places-accueil-jeunes-enfants-2020.parquet",
        "CNAF, places d'accueil du jeune enfant",
        "2020",
        ("assmat", "eaje", "autr"),
    ),
    "caf_couverture": CommuneFile(
        "caf-taux-couverture-accueil-2021.parquet",
        "CNAF, taux de couverture global",
        "2021",
        (),
        {"tcg": None},
    ),
    "ecoles": CommuneFile(
        "menj-ecoles-colleges-ips-2024.parquet",
        "Éducation nationale, écoles et collèges (IPS)",
        "2024",
        tuple(
            f"{level}_{what}_{sector}"
            for level in ("prim", "col")
            for what in ("etab", "elev")
            for sector in ("public", "prive")
        ),
        {
            f"{level}_ips_{sector}": f"{level}_elev_{sector}"
            for level in ("prim", "col")
            for sector in ("public", "prive")
        },
    ),
    "erp": CommuneFile(
        "erp-accessibilite-2024.parquet", "Acceslibre, accessibilité des ERP", "2024", tuple(_ERP)
    ),
    "filosofi": CommuneFile(
        "insee-filosofi-2021-communes.parquet",
        "INSEE, Filosofi (revenus et pauvreté)",
        "2021",
        ("nbmenfisc21", "nbpersmenfisc21"),
        {c: "nbpersmenfisc21" for c in _FILOSOFI_RATES},
    ),
}
_UNKNOWN = {"ND", "", "NA", "NAN"}


@dataclass
class CommuneTable:
    """A per-commune file as read: one row per commune of the COG, numbers as floats.

    Attributes
    ----------
    name
        Key in :data:`COMMUNE_FILES`.
    values
        Indexed by ``commune``: the file's count and rate columns (NaN when unknown).
    rejected
        Rows that could not be used (``fichier, ligne, colonne, valeur, raison,
        correction``); ``ligne`` is the row number in the file (1 = first row).
    warnings
        What was reshaped (padded codes, aggregate rows set aside, arrondissements).
    rows_read
        Rows of the file.
    aggregates
        The file's aggregate rows as published, indexed by ``id`` (``D73``, ``R84``,
        ``FR``, EPCI SIREN): a rate withheld for a small commune is published for its EPCI.

    Examples
    --------
    >>> table = read_commune_file("bpe")
    >>> table.name, len(table.values), table.rows_read, len(table.rejected)
    ('bpe', 34875, 36305, 2)
    """

    name: str
    values: pd.DataFrame
    rejected: pd.DataFrame
    warnings: list[Problem]
    rows_read: int
    aggregates: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def source(self) -> CommuneFile:
        """What the file is (producer, vintage, columns)."""
        return COMMUNE_FILES[self.name]


def read_commune_file(name: str) -> CommuneTable:
    """Read one shipped per-commune file, checked (read once per process; a copy).

    Parameters
    ----------
    name
        A key of :data:`COMMUNE_FILES`: ``bpe``, ``apl``, ``caf_places``,
        ``caf_couverture``, ``ecoles``, ``erp``, ``filosofi``.

    Returns
    -------
    CommuneTable

    Raises
    ------
    InputFileError
        Unknown name, or a column the file should have is missing.

    Examples
    --------
    >>> t = read_commune_file("bpe")
    >>> int(t.values.loc["73248", "pharma"]), int(t.values.loc["01004", "pharma"])
    (4, 4)
    >>> t.rejected[["ligne", "raison"]].head(1).to_dict("records")
    [{'ligne': 118, 'raison': 'code commune manquant'}]
    >>> round(read_commune_file("apl").values.loc["75056", "apl_gen"], 2)
    np.float64(4.71)
    """
    if name not in COMMUNE_FILES:
        raise InputFileError(
            f"fichier communal « {name} » inconnu",
            path=FOLDER,
            fix=f"choisissez parmi {', '.join(COMMUNE_FILES)}",
        )
    table = _read(name)
    return CommuneTable(
        table.name,
        table.values.copy(),
        table.rejected.copy(),
        list(table.warnings),
        table.rows_read,
        table.aggregates.copy(),
    )


@cache
def _read(name: str) -> CommuneTable:
    spec = COMMUNE_FILES[name]
    path = data_path(FOLDER, spec.filename)
    rejections = Rejections(path)
    frame = pd.read_parquet(path)
    rejections.rows_read = len(frame)
    columns = [*spec.counts, *spec.rates]
    absent = [c for c in ["id", *columns] if c not in frame.columns]
    if absent:
        raise InputFileError(
            f"colonne(s) absente(s) : {', '.join(absent)}",
            path=path,
            fix="utilisez le fichier publié (voir glossaire.csv)",
        )
    frame = frame[["id", *columns]].copy()
    frame["line"] = np.arange(1, len(frame) + 1)
    ids = frame["id"].astype("string").str.strip().str.upper()
    aggregate = ids.str.fullmatch(r"(D|R)\w{1,3}|FR|\d{9}").fillna(False).astype(bool)
    if aggregate.any():
        rejections.warn(
            f"{int(aggregate.sum())} ligne(s) d'agrégats (départements, régions, EPCI, France) "
            "écartée(s) : maillage recalcule ses agrégats à partir des communes"
        )
    aggregates = frame[aggregate].drop(columns="line").set_index(ids[aggregate])
    aggregates = aggregates.drop(columns="id").apply(pd.to_numeric, errors="coerce")
    frame = frame[~aggregate].copy()
    communes = read_communes()
    known_codes = set(communes["commune"]) | set(PLM_ARRONDISSEMENTS)
    arrondissement = _member(frame["id"], PLM_ARRONDISSEMENTS)
    known = check_commune_codes(
        frame,
        column="id",
        known=known_codes,
        former=former_commune_codes(),
        rejections=rejections,
    )
    frame = frame[known].copy()
    numbers = frame[["id", "line"]].copy()
    bad_rows = pd.Series(False, index=frame.index)
    for column in columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            value = frame[column].astype(float)
            not_number = pd.Series(False, index=frame.index)
        else:
            text = frame[column].astype("string").str.strip()
            value = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            unknown = text.isna() | _member(text.str.upper(), _UNKNOWN)
            not_number = value.isna() & ~unknown
        negative = (value < 0).fillna(False) & (column in spec.counts)
        for mask, reason in (
            (not_number, "valeur non numérique"),
            (negative, "nombre négatif"),
        ):
            rejections.reject_rows(
                frame.loc[mask, "line"],
                frame.loc[mask, column],
                column=column,
                reason=reason,
                fix="corrigez la valeur (nombre, ou ND si elle n'est pas publiée)",
            )
        bad_rows |= not_number | negative
        numbers[column] = value.astype(float)
    numbers = numbers[~bad_rows]
    duplicated = numbers["id"].duplicated(keep="first") & ~arrondissement.loc[numbers.index]
    duplicated &= ~_member(numbers["id"], set(PLM_ARRONDISSEMENTS.values()))
    rejections.reject_rows(
        numbers.loc[duplicated, "line"],
        numbers.loc[duplicated, "id"],
        column="id",
        reason="commune en double (la première ligne est gardée)",
        fix="gardez une ligne par commune",
    )
    numbers = numbers[~duplicated]
    # every row is an aggregate (kept in ``aggregates``), a commune's row, or rejected once
    rejections.check_balance(int(aggregate.sum()) + len(numbers))
    values = _with_arrondissements(numbers, arrondissement.loc[numbers.index], spec)
    if arrondissement.any():
        rejections.warn(
            "Paris, Lyon et Marseille : somme des arrondissements, taux pondérés par "
            "leur population"
        )
    return CommuneTable(
        name,
        values,
        rejections.frame(),
        list(rejections.warnings),
        rejections.rows_read,
        aggregates,
    )


def _with_arrondissements(
    numbers: pd.DataFrame, arrondissement: pd.Series, spec: CommuneFile
) -> pd.DataFrame:
    """One row per commune: Paris, Lyon and Marseille from their arrondissements."""
    own = numbers[~arrondissement].set_index("id").drop(columns="line")
    parts = numbers[arrondissement]
    if parts.empty:
        own.index.name = "commune"
        return own
    grouped = parts.groupby("id")  # ``id`` already holds the commune's code
    counts = grouped[list(spec.counts)].sum(min_count=1) if spec.counts else None
    for commune in parts["id"].unique():
        if commune not in own.index:
            own.loc[commune] = np.nan
        row = own.loc[commune]
        if counts is not None:
            own.loc[commune, list(spec.counts)] = (
                row[list(spec.counts)].fillna(0) + counts.loc[commune]
            ).to_numpy()
        members = parts[parts["id"] == commune]
        for rate, weight in spec.rates.items():
            if weight is None:
                continue
            if pd.notna(row[rate]) and row[weight] > 0:
                continue
            w = members[weight].where(members[rate].notna(), 0.0).fillna(0.0)
            if w.sum() > 0:
                own.loc[commune, rate] = float((members[rate].fillna(0) * w).sum() / w.sum())
    own.index.name = "commune"
    return own.sort_index()


def read_commune_counts(*, typology: Typology | None = None) -> SourceResult:
    """Services counted per commune, at each commune's chef-lieu (``position="commune"``).

    Each ``[[comptages]]`` entry of the typology names a file and its columns: with
    ``nombre``, the count *n* of a commune gives *n* services of ``type``, sharing
    ``capacite`` (EHPAD places, pupils) equally; with ``places`` only (no count is
    published: crèches, childminders), a commune with places gives one service whose
    capacity is its places.

    Returns
    -------
    SourceResult
        ``source`` is ``comptages_<file>`` (e.g. ``comptages_bpe``), ``source_type``
        ``<file>:<column>``; ``rejected`` and ``warnings`` gather those of the files read.

    Examples
    --------
    >>> r = read_commune_counts()
    >>> s = r.services
    >>> int((s["commune"].eq("73248") & s["type"].eq("D307")).sum())
    4
    >>> s.loc[s["type"].eq("D401") & s["commune"].eq("73248"), "capacity"].tolist()
    [81.0, 81.0]
    >>> sorted(s["position"].unique())
    ['commune']
    """
    typology = load_typology() if typology is None else typology
    points = town_hall_points()
    points.index = points.index.astype(object)
    names = read_communes().set_index("commune")["name"]
    names.index = names.index.astype(object)
    tables, rejected, warnings, rows = [], [], [], 0
    for name in dict.fromkeys(entry.file for entry in typology.counts):
        table = read_commune_file(name)
        rejected.append(table.rejected)
        warnings += table.warnings
        rows += table.rows_read
        for entry in (e for e in typology.counts if e.file == name):
            tables.append(_services(table, entry, points, names))
    services = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    # The files' own lines were balanced when read (read_commune_file); here each row of
    # ``services`` is one service made from a count, so the services balance on their own.
    rejections = Rejections(FOLDER, rows_read=len(services))
    result = build_services(services, source="comptages", rejections=rejections)
    result.rows_read = rows
    files = {rule.type: f"comptages_{rule.file}" for rule in typology.counts}
    result.services["source"] = result.services["type"].map(files)
    result.rejected = pd.concat(rejected, ignore_index=True)
    result.warnings = warnings
    return result


def _services(
    table: CommuneTable, entry: CountRule, points: pd.DataFrame, names: pd.Series
) -> pd.DataFrame:
    values = table.values
    absent = [c for c in (*entry.count, *entry.places, *entry.capacity) if c not in values.columns]
    if absent:
        raise InputFileError(
            f"comptage « {entry.type} » : colonne(s) {', '.join(absent)} absente(s) du "
            f"fichier {table.source.filename}",
            path="typologie",
            fix=f"choisissez parmi {', '.join(values.columns)}",
        )
    if entry.count:
        n = values[list(entry.count)].sum(axis=1, min_count=1).fillna(0).round().astype(int)
    else:
        n = (values[list(entry.places)].sum(axis=1) > 0).astype(int)
    capacity_columns = entry.capacity or entry.places
    total = values[list(capacity_columns)].sum(axis=1, min_count=1) if capacity_columns else None
    n.index = n.index.astype(object)
    n = n[(n > 0).to_numpy() & _member(n.index.to_series(), points.index).to_numpy()]
    codes = np.repeat(n.index.to_numpy(dtype=object), n.to_numpy())
    rank = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
    label = entry.name
    frame = pd.DataFrame(
        {
            "service_id": f"{table.name}:{entry.type}:" + codes + ":" + rank.astype(str),
            "type": entry.type,
            "source_type": f"{table.name}:{'+'.join(entry.count or entry.places)}",
            "name": label + " — " + names.reindex(codes).fillna(pd.Series(codes)).to_numpy(),
            "commune": codes,
            "lon": points["lon"].reindex(codes).to_numpy(),
            "lat": points["lat"].reindex(codes).to_numpy(),
            "capacity": ((total / n).reindex(codes).to_numpy() if total is not None else np.nan),
            "position": "commune",
            "line": pd.NA,
        }
    )
    return frame
