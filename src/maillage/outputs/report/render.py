"""Write the report: a self-contained HTML page and the same as PDF (WeasyPrint).

The HTML works offline: styles are inline and every map is a PNG embedded as a
``data:`` URI, so ``rapport.html`` can be mailed or put on a USB key on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.resources import files
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import markupsafe

from maillage import __version__
from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.report.assemble import build_sections
from maillage.outputs.report.content import ReportSection, context_summary

_TEMPLATES = files("maillage.outputs.report") / "templates"


#: Print layouts tried in turn until no page of the PDF is more than two-thirds empty
#: (map heights: a map that does not fit the rest of a page moves to the next one).
LAYOUTS = (
    "",
    "@media print { figure.carte img { max-height: 104mm; } }",
    "@media print { figure.carte img { max-height: 92mm; } html { font-size: 9pt; } }",
)
#: The least share of a page's height its content must fill.
MIN_PAGE_FILL = 1 / 3
#: Print styles tried in turn for the section at the top of a short page (``{id}``: the
#: section's id): larger maps and tables push more of the section onto that page, smaller
#: ones pull it back onto the one before.
ADJUSTMENTS = (
    "#{id} figure.carte img {{ max-height: 132mm; }} #{id} table {{ font-size: 8.5pt; }}",
    "#{id} figure.carte img {{ max-height: 96mm; }} #{id} table {{ font-size: 6.8pt; }} "
    "#{id} th, #{id} td {{ padding: .1rem .3rem; }}",
    "#{id} figure.carte img {{ max-height: 78mm; }} #{id} table {{ font-size: 6.8pt; }} "
    "#{id} th, #{id} td {{ padding: .1rem .3rem; }}",
)
#: The most renderings of the PDF one report takes (each a few seconds).
MAX_RENDERINGS = 8


def render_html(
    sections: Sequence[ReportSection], diagnostic: Diagnostic, *, layout: str = ""
) -> str:
    """The report's HTML (escaped: text from data never becomes markup).

    ``layout``: CSS added after the stylesheet (print layout variants).
    """
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string((_TEMPLATES / "rapport.html.j2").read_text(encoding="utf-8"))
    return template.render(
        sections=sections,
        titre=context_summary(diagnostic),
        # The stylesheet is the package's own file, not data: inserted as is.
        css=markupsafe.Markup((_TEMPLATES / "rapport.css").read_text(encoding="utf-8")),
        layout=markupsafe.Markup(layout),
        version=__version__,
    )


def write_report(
    diagnostic: Diagnostic,
    services: gpd.GeoDataFrame,
    folder: str | PathLike[str],
    *,
    extra_sections: Sequence[ReportSection] = (),
    pdf: bool = True,
) -> dict[str, Path]:
    """Write ``rapport.html`` (and ``rapport.pdf``) into ``folder``.

    Parameters
    ----------
    diagnostic
        The computed diagnostic.
    services
        The services it used.
    folder
        Output folder (created if needed).
    extra_sections
        Sections of scenarios or siting, placed before "Méthode et sources".
    pdf
        Also write the PDF (WeasyPrint).

    Returns
    -------
    dict
        ``{"html": path, "pdf": path}`` (no ``"pdf"`` key when ``pdf`` is false).

    Examples
    --------
    >>> import tempfile
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.indicators.diagnostic import run_diagnostic
    >>> t = pays_de_maurienne(buffer_km=5)
    >>> services = territory_services(t, builtin=["france_services"])
    >>> paths = write_report(run_diagnostic(t, services), services, tempfile.mkdtemp(), pdf=False)
    >>> paths["html"].name
    'rapport.html'
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sections = build_sections(diagnostic, services, extra_sections=extra_sections)
    html = render_html(sections, diagnostic)
    paths = {"html": folder / "rapport.html"}
    _write_atomic(paths["html"], html.encode("utf-8"))
    if pdf:
        import weasyprint

        # WeasyPrint logs unsupported CSS properties at WARNING: the command line, which
        # owns the terminal, sets those loggers' level (maillage.cli.options.quiet_libraries).
        def render(layout: str) -> Any:
            page = render_html(sections, diagnostic, layout=layout)
            return weasyprint.HTML(string=page, base_url=str(folder)).render()

        document = print_layout(render)
        paths["pdf"] = folder / "rapport.pdf"
        _write_atomic(paths["pdf"], document.write_pdf())
    return paths


def print_layout(render: Callable[[str], Any]) -> Any:
    """The laid-out PDF with the fewest pages more than two-thirds empty (none if it can).

    Each of :data:`LAYOUTS` is tried in turn; within one, the maps of the section at the
    top of the first short page are resized (:data:`ADJUSTMENTS`) until that page is
    filled to :data:`MIN_PAGE_FILL` or every height was tried.

    Parameters
    ----------
    render
        Lays out the report with extra CSS (a WeasyPrint document).
    """
    best: tuple[int, Any] | None = None
    renderings = 0
    for base in LAYOUTS:
        steps: dict[str, int] = {}  # section id -> index in ADJUSTMENTS
        while renderings < MAX_RENDERINGS:
            extra = "".join(
                "@media print { " + ADJUSTMENTS[step].format(id=section) + " }"
                for section, step in steps.items()
            )
            document = render(base + extra)
            renderings += 1
            fills = page_fills(document)
            short = [number for number, fill in enumerate(fills) if fill < MIN_PAGE_FILL]
            if best is None or len(short) < best[0]:
                best = (len(short), document)
            if not short:
                return document
            top = _sections_on(document.pages[short[0]])
            if not top or steps.get(top[0], -1) + 1 >= len(ADJUSTMENTS):
                break
            steps[top[0]] = steps.get(top[0], -1) + 1
    assert best is not None
    return best[1]


def _sections_on(page: Any) -> list[str]:
    """The ids of the report's sections with a box on a laid-out page, in order."""
    found: list[str] = []

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", None) == "section" and element is not None:
            section = element.get("id")
            if section and section not in found:
                found.append(section)
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page._page_box)
    return found


def page_fills(document: Any) -> list[float]:
    """How much of each page's height its content fills, from the top (0 to 1).

    Read off WeasyPrint's laid-out boxes: the lowest text line or image of the page,
    margin boxes (page numbers) left out.
    """
    from weasyprint.formatting_structure import boxes

    fills = []
    for page in document.pages:
        root = page._page_box
        top = root.content_box_y()
        lowest = top

        def walk(box: Any) -> None:
            nonlocal lowest
            for child in getattr(box, "children", ()):
                if isinstance(child, boxes.MarginBox):
                    continue
                if isinstance(child, (boxes.TextBox, boxes.ReplacedBox)):
                    lowest = max(lowest, child.position_y + child.margin_height())
                walk(child)

        walk(root)
        fills.append((lowest - top) / root.height)
    return fills


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside ``path`` then rename: a reader never sees half a report."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
