"""A platform's KPI charts page, declared as data (issue 12 §1: one page shape that each
platform configures instead of copying; like the consoles of core/consoles.py).

A platform part lists its pages in `KPI_PAGES` (core/platforms.py gathers them); the app
serves each at its `path` through the one page template (api/kpi_pages.py, api/pages.py
`base_page`) with one style sheet (api/static/kpi-page.css): a header with the title, the
links and the account; the groupings, the period and the download buttons; a figure per
chart; the tables; a note on how the figures are counted. The page's module (`module`,
under /static) logs in and draws the API's figures into them, with the shared helpers of
api/static/kpi-page.js. What differs between platforms is here, as data.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class KpiTable:
    """A table the module fills (`data-table="{key}"`), under its heading if it has one."""

    key: str
    heading: str = ""


@dataclass(frozen=True)
class KpiExport:
    """A download of the API's own table, offered as xlsx and CSV: "{label} Excel",
    "{label} CSV"; `table` names which table of the API, when it answers several."""

    label: str
    table: str | None = None


@dataclass(frozen=True)
class KpiPage:
    path: str  # the page's address, e.g. /enforcement/kpis (public: a shell without data)
    title: str
    platform: str
    module: str  # its ES module under /static, exporting start(options)
    groups: tuple[tuple[str, str], ...] = ()  # (key, label): the groupings offered
    charts: tuple[tuple[str, str], ...] = ()  # (key, caption): one figure each
    tables: tuple[KpiTable, ...] = ()
    exports: tuple[KpiExport, ...] = ()
    note: str = ""  # how the figures are counted, with the rules' citations
    links: tuple[tuple[str, str], ...] = ()  # (href, label) in the header
