"""The French diagnostic report: maps, tables, HTML and PDF."""

from maillage.outputs.report.content import ReportSection
from maillage.outputs.report.render import write_report

__all__ = ["ReportSection", "write_report"]
