"""The tables of a study: their columns, units and codes, in one place.

Inside the library every table is tidy and its columns are English, units in the names
(``minutes``, ``_per_10000``); the exports and the report give them French headers
(:mod:`maillage.outputs.exports`, :mod:`maillage.outputs.french`). Tests check that the
tables of :class:`~maillage.indicators.diagnostic.Diagnostic`, of the access without a car
(:class:`~maillage.indicators.transit.TransitAccess`, ``transit_*``), of a tour
(:class:`~maillage.planning.tour.Tour`, ``tour_*``) and of the itinerant services
(``itinerant``) have exactly these columns.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FRANCE",
    "RING",
    "SEASONS",
    "SUMMER",
    "TABLES",
    "TERRITORY",
    "WINTER",
    "Column",
    "columns",
]

#: The two seasons of a diagnostic (``season`` column).
SUMMER = "summer"
WINTER = "winter"
SEASONS = (SUMMER, WINTER)

#: ``level`` and ``zone`` of the rows about the whole territory; also the ``zone`` of the
#: territory's own communes and services (``Territory.all_communes``).
TERRITORY = "territory"
#: ``zone`` of the communes and services of the buffer ring around the territory.
RING = "ring"
#: ``level`` and ``zone`` of the comparison's row about metropolitan France.
FRANCE = "france"


@dataclass(frozen=True)
class Column:
    """A column: its name, unit (empty for codes and labels) and meaning.

    Examples
    --------
    >>> [(c.name, c.unit) for c in TABLES["family_times"]][-2:]
    [('minutes', 'min'), ('season', '')]
    """

    name: str
    unit: str
    meaning: str


_ORIGIN = Column("origin_id", "", "commune code (INSEE) or grid cell of the origin")
_SEASON = Column("season", "", "summer or winter (SEASONS)")
_MINUTES = Column("minutes", "min", "travel time to the nearest service; NaN when unreachable")
_SERVICE = Column("service_id", "", "the nearest service (missing when unreachable)")
_FAMILY = Column("family", "", "family of services (typology)")
_ACCESS = (
    Column("level", "", "territory, epci, bassin_vie, canton (comparison: departement, france)"),
    Column("zone", "", "code of the zone (territory, france: the whole territory, France)"),
    _FAMILY,
    Column("population", "inhabitants", "population of the zone (peak population in winter)"),
    Column("mean_minutes", "min", "population-weighted mean time over reachable origins"),
    Column("median_minutes", "min", "population-weighted (lower) median time"),
    Column("unreachable_population", "inhabitants", "population reaching no service"),
    Column("threshold_minutes", "min", "threshold"),
    Column("population_beyond", "inhabitants", "population farther than the threshold"),
    Column("share_beyond", "share (0-1)", "population_beyond / population"),
)

_APL_UNIT = "FTE per 100,000 inhabitants"
#: DREES APL 2023 (zones: weighted by DREES's population).
_APL = (
    Column("apl_gp", "consultations per inhabitant per year", "APL to general practitioners"),
    Column(
        "apl_gp_under_65",
        "consultations per inhabitant per year",
        "APL to general practitioners under 65",
    ),
    Column("apl_nurses", _APL_UNIT, "APL to nurses"),
    Column("apl_midwives", _APL_UNIT, "APL to midwives"),
    Column("apl_physiotherapists", _APL_UNIT, "APL to physiotherapists"),
    Column("apl_dentists", _APL_UNIT, "APL to dentists"),
)
#: Acceslibre 2024: public buildings (ERP) assessed for disabled access.
_ERP = (
    Column("erp_assessed", "buildings", "public buildings assessed"),
    Column("erp_step_free", "buildings", "of which with a step-free entrance"),
    Column("erp_entrance_known", "buildings", "of which with the entrance described"),
    Column("step_free_share", "share (0-1)", "erp_step_free / erp_entrance_known"),
)

#: Columns of each table of a diagnostic, in order.
TABLES: dict[str, tuple[Column, ...]] = {
    "nearest": (
        _ORIGIN,
        Column("type", "", "type of service (BPE code)"),
        _SERVICE,
        _MINUTES,
        _SEASON,
    ),
    "family_times": (_ORIGIN, _FAMILY, _SERVICE, _MINUTES, _SEASON),
    "access": (_ACCESS[0], _ACCESS[1], _FAMILY, _SEASON, *_ACCESS[3:]),
    "comparison": (
        *_ACCESS[:3],
        Column("method", "", "travel-time method (Method value): straight_line"),
        *_ACCESS[3:],
    ),
    "density": (
        Column("epci", "", "EPCI SIREN code"),
        _FAMILY,
        Column("services", "services", "services of the family in the EPCI"),
        Column("population", "inhabitants", "population of the EPCI"),
        Column("services_per_10000", "services per 10,000 inhabitants", "density"),
    ),
    "hours": (
        _ORIGIN,
        _FAMILY,
        Column("services_within", "services", "services within the opening-hours budget"),
        Column("services_with_hours", "services", "of which with known opening hours"),
        Column("hours_per_week_within", "h/week", "opening hours per week within reach"),
        Column("saturday_within", "", "a service open on Saturday within reach"),
        Column("after_18h_within", "", "a service open after 18:00 within reach"),
    ),
    "catchments": (
        _ORIGIN,
        Column("key", "", "the family or type code"),
        Column("pole", "", "commune of the nearest service"),
        _MINUTES,
        Column("population", "inhabitants", "population of the origin"),
        Column("level", "", "family or type"),
    ),
    "bassins": (
        _ORIGIN,
        Column("bassin", "", "pole commune of the bassin de services (named after it)"),
        _MINUTES,
        Column(
            "pole_rank",
            "",
            "rank of the bassin's pole among the poles the origin reaches (1: fastest)",
        ),
    ),
    "enjeux": (
        _ORIGIN,
        Column("score", "", "composite score (remoteness × need)"),
        Column("rank", "", "rank in the territory (1: most at stake)"),
        Column("enjeu_level", "", "level code: low, moderate, high, very_high"),
        Column(
            "enjeu_reasons",
            "",
            "reasons of the level as (code, params) records (JSON), need figures cited",
        ),
        Column(
            "poverty_rate_pct",
            "percent",
            "poverty rate at 60 % of the median (Filosofi 2021), the EPCI's where withheld",
        ),
        Column("poverty_rate_level", "", "where the poverty rate is from: commune or epci"),
        Column("share_65_plus_pct", "percent", "share of inhabitants aged 65 and over (RP 2021)"),
    ),
    "enjeux_epci": (
        Column("epci", "", "EPCI SIREN code"),
        Column("score", "", "population-weighted mean score"),
        Column("rank", "", "rank (NA without known population)"),
        Column("population", "inhabitants", "population of the EPCI"),
        Column("communes_tres_fort", "communes", "communes of the highest class"),
    ),
    "e2sfca": (
        _ORIGIN,
        _FAMILY,
        Column("accessibility_per_10000", "per 10,000 inhabitants", "E2SFCA accessibility"),
        Column("demand_band", "", "population column of the demand"),
        Column("capacity_unit", "", "unit of the supply (French label)"),
    ),
    "official": (
        _ORIGIN,
        Column("population_apl", "inhabitants", "DREES's population of the APL (2023)"),
        *_APL,
        Column("underserved", "", "apl_gp below 2.5 (DREES's under-served threshold); NA unknown"),
        Column(
            "childcare_coverage_pct", "percent", "CNAF coverage rate of early childhood care (2021)"
        ),
        *_ERP,
    ),
    "official_zones": (
        Column("level", "", "territory or epci"),
        Column("zone", "", "code of the zone (territory: the whole territory)"),
        Column("population_apl", "inhabitants", "DREES's population of the zone's communes"),
        *_APL,
        Column(
            "underserved_share",
            "share (0-1)",
            "share of DREES's population living in under-served communes",
        ),
        *_ERP,
    ),
}

_JOURNEY = (
    Column("service_id", "", "the nearest service by public transport (missing: no access)"),
    Column("minutes", "min", "public transport + walking, best departure of the window; NaN: none"),
    Column("departure", "HH:MM", "departure from the origin"),
    Column("arrival", "HH:MM", "arrival at the service"),
    Column("walk_only", "", "the service is reached on foot"),
    Column("return_same_day", "", "a return home the same day exists"),
    Column("return_arrival", "HH:MM", "arrival home of the return"),
    _FAMILY,
    Column("car_minutes", "min", "car time of the study to the nearest service (NaN: no car)"),
    Column("gap_minutes", "min", "minutes - car_minutes"),
)
_NAME = Column("name", "", "name of the commune")
_STOP_COMMUNE = Column("commune", "", "INSEE code of the stop's commune")

#: Tables of the access without a car (public transport + walking) and of the tours.
TABLES.update(
    {
        "transit_times": (
            _ORIGIN,
            _NAME,
            Column("type", "", "type of service (BPE code)"),
            Column("type_label", "", "label of the type (typology)"),
            *_JOURNEY,
        ),
        "transit_families": (_ORIGIN, _NAME, *_JOURNEY),
        "transit_access": (
            Column("level", "", "territory or epci"),
            Column("zone", "", "code of the zone (territory: the whole territory)"),
            _FAMILY,
            Column("population", "inhabitants", "population of the zone"),
            Column("median_minutes", "min", "median time over the communes with access"),
            Column("median_gap_minutes", "min", "median of gap_minutes"),
            Column("threshold_minutes", "min", "threshold"),
            Column("population_beyond", "inhabitants", "population without access within it"),
            Column("share_beyond", "share (0-1)", "population_beyond / population"),
        ),
        "tour_stops": (
            Column("order", "", "rank of the stop in the day (1: first)"),
            _STOP_COMMUNE,
            Column("name", "", "name of the stop's commune"),
            Column("lon", "degrees", "longitude of the stop (WGS 84)"),
            Column("lat", "degrees", "latitude of the stop (WGS 84)"),
            Column("drive_minutes", "min", "drive from the previous stop or the depot"),
            Column("arrival", "HH:MM", "arrival at the stop"),
            Column("departure", "HH:MM", "departure from the stop"),
            Column(
                "population_gained",
                "inhabitants",
                "inhabitants whose first stop within the threshold is this one",
            ),
        ),
        "tour_gains": (
            Column("commune", "", "INSEE code of a commune that gains access"),
            Column("name", "", "its name"),
            Column("population", "inhabitants", "its population"),
            Column("stop", "", "INSEE code of the first stop within the threshold"),
        ),
        "itinerant": (
            _ORIGIN,
            Column("type", "", "type of service (BPE code)"),
            Column("hours_per_week", "h/week", "opening hours per week of the stops within reach"),
            Column("stops", "stops", "stops within reach"),
        ),
    }
)


def columns(table: str) -> list[str]:
    """The column names of a table of :data:`TABLES`.

    Examples
    --------
    >>> columns("nearest")
    ['origin_id', 'type', 'service_id', 'minutes', 'season']
    """
    return [column.name for column in TABLES[table]]
