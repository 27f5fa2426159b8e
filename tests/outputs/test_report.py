"""The diagnostic report of the built-in Maurienne, as the README's main command writes it.

The HTML is opened in a real headless Chromium (Debian's, driven by Playwright) and
every section is screenshotted; the PDF is rendered to PNG by pdftoppm and read back by
pdftotext. Figures shown in the report are checked against the exports (CSV, XLSX),
recomputed independently from them where the report aggregates.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from maillage._data import data_path
from maillage.cli.main import cli
from maillage.outputs.report.content import french_number, french_percent
from maillage.services.typology import FAMILIES, load_typology

LABELS = load_typology().family_labels

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The five communautés de communes of the built-in territory (SIREN), one fiche each.
EPCI = ["200070340", "200070464", "247300361", "247300452", "247300676"]
SECTIONS = [
    "synthese",
    *[f"fiche-{code}" for code in EPCI],
    "territoire",
    *[f"famille-{family}" for family in FAMILIES],
    "horaires",
    "saisons",
    "bassins",
    "enjeux",
    "methode",
]
#: Families with services in the built-in data (town halls, France Services, hospitals).
#: Every family has data: the per-commune national files fill the three without points.
FAMILIES_WITH_DATA = ["social_emploi", "soins", "domicile", "jeunesse_parents", "petite_enfance"]
MAPS = [
    *[f"carte-temps-{f}" for f in FAMILIES_WITH_DATA],
    *[f"carte-e2sfca-{f}" for f in FAMILIES_WITH_DATA],
    "carte-bassins",
    "carte-enjeux",
    *[f"carte-fiche-{code}" for code in EPCI],
]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``maillage rapport --sortie DIR --json`` on the built-in territory (``make demo``)."""
    folder = tmp_path_factory.mktemp("etude")
    result = CliRunner().invoke(cli, ["rapport", "--sortie", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    return folder, json.loads(result.stdout)


class _Tables(html.parser.HTMLParser):
    """Cells of every ``<table id=...>`` of a page (stdlib parser, no browser)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(folder: Path) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed((folder / "rapport.html").read_text(encoding="utf-8"))
    return parser.tables


def _not_blank(path: Path, *, min_colours: int = 8) -> bool:
    image = Image.open(path).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    return (
        image.width > 100
        and image.height > 100
        and (colours is None or len(colours) >= min_colours)
    )


def test_the_command_writes_report_and_exports_side_by_side(study) -> None:
    folder, summary = study
    for name in ("rapport.html", "rapport.pdf", "diagnostic.gpkg", "diagnostic.xlsx"):
        assert (folder / name).stat().st_size > 10_000, name
    assert summary["fichiers"]["rapport_pdf"].endswith("rapport.pdf")
    text = (folder / "rapport.html").read_text(encoding="utf-8")
    # Self-contained: nothing fetched from elsewhere.
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text
    assert 'src="data:image/png;base64,' in text


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium absent (apt-get install chromium)"
)
def test_every_section_renders_in_headless_chromium(study, tmp_path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    folder, _ = study
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto((folder / "rapport.html").as_uri())
        assert "Pays de Maurienne" in page.title()
        for section in SECTIONS:
            locator = page.locator(f"#{section}")
            assert locator.count() == 1, section
            shot = tmp_path / f"{section}.png"
            locator.screenshot(path=str(shot))
            assert _not_blank(shot, min_colours=4), section
        # Every map is decoded by the browser, at a real size.
        sizes = page.evaluate(
            "() => Array.from(document.querySelectorAll('figure.carte img'))"
            ".map(i => [i.closest('figure').id, i.naturalWidth, i.naturalHeight])"
        )
        assert sorted(s[0] for s in sizes) == sorted(MAPS)
        assert all(w > 600 and h > 300 for _, w, h in sizes)
        for map_id in MAPS:
            shot = tmp_path / f"{map_id}.png"
            page.locator(f"#{map_id} img").screenshot(path=str(shot))
            assert _not_blank(shot, min_colours=30), map_id
        # Tables have rows; the straight-line warning is shown where times appear.
        rows = page.evaluate(
            "() => Object.fromEntries(Array.from(document.querySelectorAll('table'))"
            ".map(t => [t.id, t.tBodies[0].rows.length]))"
        )
        assert rows and all(n > 0 for n in rows.values()), rows
        warning = page.locator("#famille-soins .avertissement").inner_text()
        assert "vol d'oiseau" in warning
        # Filled from the CAF's places, it shows times too: the same warning.
        early = page.locator("#famille-petite_enfance .avertissement").inner_text()
        assert "vol d'oiseau" in early
        font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
        assert "DejaVu Sans" in font  # the inline stylesheet applies
        browser.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils absent")
def test_pdf_pages_show_the_sections_and_maps(study, tmp_path) -> None:
    folder, _ = study
    pdf = folder / "rapport.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 10  # the sections flow; the synthèse and each fiche have a page
    assert all(_not_blank(page, min_colours=2) for page in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for title in (
        "Le territoire en chiffres",
        "Services publics sociaux et de l'emploi",
        "Accès aux soins",
        "Services à domicile",
        "Jeunesse et aide aux parents",
        "Petite enfance, famille",
        "Horaires d'ouverture accessibles",
        "Saisonnalité",
        "Bassins de services",
        "Territoires à enjeux",
        "Méthode et sources",
        "Millésime",  # the sources table, with licences and vintages
        "INSEE",
    ):
        assert title in text, title
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    images = [line for line in listing if " image " in line]
    assert len(images) >= len(MAPS)


def test_report_figures_equal_the_exports(study) -> None:
    folder, summary = study
    tables = _tables(folder)
    access = pd.read_csv(folder / "csv" / "acces_par_zone.csv", sep=";", decimal=",")
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    for family in FAMILIES_WITH_DATA:
        table = tables[f"acces-{family}"]
        header, territory = table[0], table[1]
        assert territory[0] == "Pays de Maurienne"
        row = access[
            (access["niveau"] == "territoire")
            & (access["famille"] == LABELS[family])
            & (access["saison"] == "été")
        ].iloc[0]
        for t in (7, 15, 20, 30):
            column = header.index(f"Hab. à {t} min ou plus")
            assert territory[column] == french_number(row[f"population_a_{t}_min_ou_plus"])
            assert territory[column + 1] == french_percent(row[f"part_a_{t}_min_ou_plus"])
        assert territory[2] == french_number(summary["familles"][family]["mediane_minutes"], 1)
        # E2SFCA per EPCI, recomputed from the workbook's commune rows.
        sheet = book[
            {
                "social_emploi": "Services publics et emploi",
                "soins": "Accès aux soins",
                "domicile": "Services à domicile",
                "jeunesse_parents": "Jeunesse et parents",
                "petite_enfance": "Petite enfance et famille",
            }[family]
        ]
        rows = list(sheet.values)
        frame = pd.DataFrame(rows[1:], columns=rows[0])
        epci_names = {r[1]: r[0] for r in tables["territoire-epci"][1:]}
        for line in tables[f"e2sfca-{family}"][1:]:
            code = next(c for c, name in epci_names.items() if name == line[0])
            part = frame[frame["SIREN de l'EPCI"] == code]
            expected = np.average(
                part["Offre pour 10 000 hab. (E2SFCA)"].astype(float),
                weights=part["Population"].astype(float),
            )
            assert line[1] == french_number(expected, 1)
    # The ranking of territoires à enjeux is the workbook's.
    enjeux = list(book["Territoires à enjeux"].values)[1:16]
    report = tables["enjeux-communes"][1:]
    assert [r[1] for r in report] == [r[2] for r in enjeux]
    assert [r[3] for r in report] == [french_number(r[5], 2) for r in enjeux]
    # The territory's population is the sum of its communes.
    assert summary["population"] == 42_946
    populations = [int(r[3].replace("\u202f", "")) for r in tables["territoire-epci"][1:]]
    assert sum(populations) == 42_946
    # Each family's finding of the synthèse cites the largest threshold somebody is beyond,
    # with the export's figure (Services à domicile: 614 inhabitants beyond 30 min).
    synthese = " ".join(_page_texts(folder / "rapport.pdf")[1].split())
    for family in FAMILIES_WITH_DATA:
        row = access[
            (access["niveau"] == "territoire")
            & (access["famille"] == LABELS[family])
            & (access["saison"] == "été")
        ].iloc[0]
        beyond = [t for t in (30, 20, 15, 7) if row[f"population_a_{t}_min_ou_plus"] > 0]
        if beyond:
            people = french_number(row[f"population_a_{beyond[0]}_min_ou_plus"])
            expected = " ".join(f"{LABELS[family]} : {people} habitant".split())
            assert expected in synthese and f"à plus de {beyond[0]} minutes" in synthese
        else:
            assert f"{LABELS[family]} : tous les habitants à moins de 7 minutes" in synthese


def test_geopackage_and_workbook_have_the_documented_layers_and_sheets(study) -> None:
    import re

    import pyogrio

    folder, _ = study
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rapport.md").read_text("utf-8")
    gpkg_part = doc.split("### `diagnostic.gpkg`")[1].split("###")[0]
    documented = re.findall(r"^\| `(\w+)` \|", gpkg_part, flags=re.MULTILINE)
    layers = {name: kind for name, kind in pyogrio.list_layers(folder / "diagnostic.gpkg")}
    assert sorted(layers) == sorted(documented)
    assert layers["communes_contours"] == "MultiPolygon"
    outlines = pyogrio.read_dataframe(folder / "diagnostic.gpkg", layer="communes_contours")
    assert outlines.crs.to_epsg() == 2154 and len(outlines) == 53
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    xlsx_part = doc.split("### `diagnostic.xlsx`")[1]
    sheets = re.findall(r"`([^`]+)`", xlsx_part.split("En-têtes")[0])
    expected = [
        "Territoire",
        "Services publics et emploi",
        "Accès aux soins",
        "Services à domicile",
        "Jeunesse et parents",
        "Petite enfance et famille",
        "Intercommunalités",
        "Bassins de services",
        "Territoires à enjeux",
        "Comparaison",
        "Dictionnaire des données",
    ]
    assert all(name in sheets for name in expected)
    assert book.sheetnames == expected


def _page_texts(pdf: Path) -> list[str]:
    """The text of every page (pdftotext, page by page)."""
    count = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True
            ).stdout,
        ).group(1)  # type: ignore[union-attr]
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for i in range(1, count + 1)
    ]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils absent")
def test_no_page_more_than_two_thirds_empty_and_numbered(study, tmp_path) -> None:
    """Every page rendered to an image: the content (ink between the page margins, the
    footer line left out) reaches at least a third of the page's height; every page
    carries its number."""
    folder, _ = study
    pdf = folder / "rapport.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    texts = _page_texts(pdf)
    assert len(pages) == len(texts) >= 10
    for number, path in enumerate(pages, start=1):
        grey = np.asarray(Image.open(path).convert("L"))
        height = grey.shape[0]
        top, bottom = round(height * 16 / 297), round(height * (297 - 18) / 297)
        inked = np.flatnonzero((grey[top:bottom] < 235).any(axis=1))
        filled = (inked.max() + 1) / (bottom - top) if len(inked) else 0.0
        assert filled >= 1 / 3, (number, round(filled, 2))
        assert f"page {number} sur {len(pages)}" in texts[number - 1], number


def test_table_of_contents_pages_match(study) -> None:
    folder, _ = study
    texts = _page_texts(folder / "rapport.pdf")
    entries = re.findall(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", texts[0], flags=re.MULTILINE)
    parser = _Headings()
    parser.feed((folder / "rapport.html").read_text(encoding="utf-8"))
    assert [h[:12] for h in parser.headings] == [t[:12] for t, _ in entries]
    assert len(entries) == len(SECTIONS)
    for title, page in entries:
        start = " ".join(title.split()[:4])
        assert start in " ".join(texts[int(page) - 1].split()), (title, page)
    # The synthèse's references give the page of their map or table too.
    refs = re.findall(r"→ (.+?), p\. (\d+)", " ".join(texts[1].split()))
    assert len(refs) >= 5
    for _, page in refs:
        assert int(page) <= len(texts)


class _Headings(html.parser.HTMLParser):
    """The section headings (h2 of the sections) of the report, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self._in: bool = False
        self._section = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = True
        elif tag == "h2" and self._section:
            self._in = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in = False
            self._section = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.headings[-1] += data


class _Figures(html.parser.HTMLParser):
    """Each map's legend and drawn classes (data attributes) and its classes table."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, tuple[list[str], list[str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure":
            split = lambda v: [x for x in (v or "").split("|") if x]  # noqa: E731
            self.figures[found["id"] or ""] = (
                split(found.get("data-legende")),
                split(found.get("data-classes")),
            )


def test_each_legend_names_the_classes_on_its_map_and_in_its_table(study) -> None:
    folder, _ = study
    parser = _Figures()
    parser.feed((folder / "rapport.html").read_text(encoding="utf-8"))
    tables = _tables(folder)
    classed = {k: v for k, v in parser.figures.items() if v[0]}
    assert {"carte-enjeux", "carte-bassins", "carte-temps-soins"} <= set(classed)
    for figure, (legend, drawn) in classed.items():
        assert set(legend) == set(drawn), figure
        key = tables[figure.replace("carte-", "classes-", 1)]
        assert [row[0] for row in key[1:]] == legend, figure
        # The counts of the legend's table add up to the territory.
        assert sum(int(row[1].replace("\u202f", "")) for row in key[1:]) == 53
    enjeux = {row[4] for row in tables["enjeux-communes"][1:]}
    assert {f"enjeu {c}" for c in enjeux} <= set(classed["carte-enjeux"][0])


def test_report_cli_and_exports_have_no_english(study, english_words) -> None:  # type: ignore[no-untyped-def]
    folder, _ = study
    text = "\n".join(_page_texts(folder / "rapport.pdf"))
    html_text = re.sub(r"<[^>]+>", " ", (folder / "rapport.html").read_text(encoding="utf-8"))
    html_text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html_text)
    for source in (text, html_text):
        found = sorted({m.group(0) for m in english_words.finditer(source)})
        assert not found, found
        assert not re.search(r"(?<!\d)0 habitants", " ".join(source.split()))
        assert "True" not in source and "False" not in source


def test_epci_fiches_show_the_figures_of_the_exports(study) -> None:
    """The five fiches, their figures equal to the workbook's Intercommunalités sheet."""
    folder, _ = study
    tables = _tables(folder)
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    rows = list(book["Intercommunalités"].values)
    header, body = rows[0], rows[1:]
    assert sorted(str(r[0]) for r in body) == EPCI
    for row in body:
        record = dict(zip(header, row, strict=True))
        fiche = tables[f"fiche-chiffres-{record['SIREN']}"]
        cells = {line[0]: line[1] for line in fiche[1:]}
        for family in ("Services publics sociaux et de l'emploi", "Accès aux soins"):
            median = record[f"{family} : temps médian (min)"]
            assert cells[f"{family} : temps médian"] == f"{french_number(median, 1)}\u00a0min"
            share = record[f"{family} : part à 30 min ou plus"]
            assert cells[f"{family} : habitants à 30 min ou plus"] == french_percent(share, 1)
        communes = tables[f"fiche-communes-{record['SIREN']}"][1:]
        assert len(communes) == record["Communes"]
        assert sum(int(r[1].replace("\u202f", "")) for r in communes) == record["Population"]


def _raw_commune_file(name: str) -> pd.DataFrame:
    """A shipped per-commune file as published (pandas), by INSEE code (padded to 5)."""
    table = pd.read_parquet(data_path("indicateurs-communaux", name))
    table = table.dropna(subset=["id"])
    return table.assign(id=table["id"].astype(str).str.zfill(5)).set_index("id")


def test_report_apl_per_commune_and_epci_equal_the_drees_file(study) -> None:
    """APL of every commune, of each EPCI and of the territory (means weighted by DREES's
    population, computed here from the raw file), in the soins section and on the fiches."""
    folder, _ = study
    tables = _tables(folder)
    raw = _raw_commune_file("drees-apl-2023.parquet")
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    rows = list(book["Accès aux soins"].values)
    communes = pd.DataFrame(rows[1:], columns=rows[0])
    epci_of = dict(zip(communes["Code commune"], communes["SIREN de l'EPCI"], strict=True))
    assert len(epci_of) == 53
    # Per commune: the DREES figure, the under-served flag (APL < 2.5), our time beside.
    lines = tables["apl-communes"]
    header, body = lines[0], lines[1:]
    assert [r[1] for r in body] and sorted(r[1] for r in body) == sorted(epci_of)
    for line in body:
        row = raw.loc[line[1]]
        assert line[2] == french_number(row["pop_apl"])
        assert line[3] == french_number(row["apl_gen"], 2)
        assert line[4] == ("oui" if row["apl_gen"] < 2.5 else "non")
    assert any(line[4] == "oui" for line in body) and any(line[4] == "non" for line in body)
    assert "Temps au service de soins le plus proche (min)" in header
    # Our time beside it: the workbook's summer time to the nearest care.
    soins = dict(
        zip(communes["Code commune"], communes["Temps au plus proche, été (min)"], strict=True)
    )
    for line in body:
        assert line[5] == french_number(soins[line[1]], 1)
    # Per EPCI and for the territory: population-weighted means of the raw rows.
    names = {r[1]: r[0] for r in tables["territoire-epci"][1:]}
    frame = raw.loc[list(epci_of)].assign(epci=lambda t: t.index.map(epci_of))
    frame["weighted"] = frame["apl_gen"] * frame["pop_apl"]
    frame["under"] = frame["pop_apl"].where(frame["apl_gen"] < 2.5, 0.0)
    sums = frame.groupby("epci")[["weighted", "pop_apl", "under"]].sum()
    epci_lines = {line[0]: line for line in tables["apl-epci"][1:]}
    assert len(epci_lines) == 6
    whole = frame[["weighted", "pop_apl", "under"]].sum()
    territory = epci_lines["Pays de Maurienne"]
    assert territory[1] == french_number(whole["weighted"] / whole["pop_apl"], 2)
    assert territory[2] == french_percent(whole["under"] / whole["pop_apl"])
    for code, row in sums.iterrows():
        line = epci_lines[names[code]]
        assert line[1] == french_number(row["weighted"] / row["pop_apl"], 2), code
        assert line[2] == french_percent(row["under"] / row["pop_apl"]), code
        fiche = {r[0]: r[1:] for r in tables[f"fiche-chiffres-{code}"][1:]}
        key = next(k for k in fiche if k.startswith("APL aux médecins généralistes"))
        assert fiche[key] == [line[1], territory[1]]


def test_report_says_what_each_family_counts_and_enjeux_cite_the_needs(study) -> None:
    """The counts equal the raw BPE file's sum over the 53 communes; the enjeux reasons of a
    real commune cite its poverty rate (Filosofi) and its share of people aged 65+."""
    folder, _ = study
    page = (folder / "rapport.html").read_text(encoding="utf-8")
    sections = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<section id="([^"]+)"[^>]*>(.*?)</section>', page, flags=re.S)
    }
    tables = _tables(folder)
    codes = [line[1] for line in tables["apl-communes"][1:]]
    bpe = _raw_commune_file("bpe-2024-comptages-communes.parquet").loc[codes]
    pharmacies = int(bpe["pharma"].sum())
    assert f"pharmacie, {french_number(pharmacies)} dans le territoire" in sections["famille-soins"]
    for family in FAMILIES:
        assert "Ce qui est compté : " in sections[f"famille-{family}"], family
    missing = re.search(r"Sans donnée dans les sources utilisées[^<]*", sections["famille-soins"])
    assert missing and "médecin généraliste" in missing.group(0)
    # The enjeux reasons: the commune's own poverty rate, or its EPCI's where withheld.
    filosofi = _raw_commune_file("insee-filosofi-2021-communes.parquet")
    names = {line[0]: line[1] for line in tables["apl-communes"][1:]}
    cited = [line for line in tables["enjeux-communes"][1:] if "taux de pauvreté" in line[5]]
    assert cited
    for line in cited:
        code = names[line[1]]
        rate = re.search(r"taux de pauvreté (\d+)\u202f%( \(EPCI\))?", line[5])
        assert rate, line
        published = filosofi.loc[code, "tp6021"]
        if rate.group(2) is None:
            assert int(rate.group(1)) == round(float(published)), (line, published)
        else:
            assert published == "ND" or pd.isna(published)
    # The share of people aged 65+ beside "population âgée", wherever it is a reason.
    aged = [line[5] for line in tables["enjeux-communes"][1:] if "population âgée" in line[5]]
    assert aged
    for reasons in aged:
        assert re.search(r"population âgée \(\d+\u202f% de 65 ans et plus\)", reasons), reasons


def test_petite_enfance_cites_the_caf_coverage_rate(study) -> None:
    """The median commune's rate and the communes under 50 % equal the CNAF file's."""
    folder, _ = study
    page = (folder / "rapport.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="famille-petite_enfance"[^>]*>(.*?)</section>', page, re.S)
    assert section
    codes = [line[1] for line in _tables(folder)["apl-communes"][1:]]
    assert len(codes) == 53
    rates = pd.to_numeric(
        _raw_commune_file("caf-taux-couverture-accueil-2021.parquet").loc[codes, "tcg"],
        errors="coerce",
    ).dropna()
    text = " ".join(html.unescape(section.group(1)).split())
    median = french_number(rates.median(), 0)
    assert f"{median} % pour la commune médiane" in " ".join(text.split()), text
    low = int((rates < 50).sum())
    assert f"{low} commune{'s' if low > 1 else ''} sous 50 %" in text, text


def test_the_report_names_the_opening_hours_radius_of_the_study() -> None:
    """A study computed with another opening-hours radius (15 min) says 15, not 20."""
    from maillage.indicators.settings import DiagnosticSettings
    from maillage.outputs.report.content import hours_section
    from maillage.outputs.report.synthesis import synthesis_section
    from maillage.study import Study

    settings = DiagnosticSettings(hours_within_minutes=15.0, comparison=False)
    diagnostic = Study.builtin(
        buffer_km=5, builtin_sources=["france_services"], settings=settings
    ).diagnostic()
    section = hours_section(diagnostic)
    assert "à moins de 15 minutes" in section.paragraphs[0]
    assert [table.caption for table in section.tables] == [
        "Accès aux horaires d'ouverture à moins de 15 minutes"
    ]
    findings = [text for text, *_ in synthesis_section(diagnostic, [section]).findings]
    saturday = [text for text in findings if "samedi" in text]
    assert len(saturday) == 1 and "à moins de 15 minutes un service" in saturday[0]
