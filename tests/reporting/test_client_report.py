"""The report templates rendered end to end: papermill, then nbconvert, code hidden.

Two renders in all (each starts a kernel and loads the run, several seconds): the client report
of the sample portfolio's client with the hostile name and id, and the portfolio report, both
from the run shared with ``test_content.py`` (fitted once with few draws, so not converged).
"""

from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from satprofit.reporting import (
    ReportError,
    find_kernel,
    html_active_content,
    html_external_urls,
    render_notebook,
    safe_filename,
)
from satprofit.reporting.config import ReportConfig
from tests.reporting.test_content import (
    ESCAPED_SCRIPT,
    HOSTILE_ID,
    HOSTILE_NAME,
    RAW_SCRIPT,
    SEED,
    other_clients,
    shared_run,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "src/satprofit/reporting/templates/notebooks"

CLIENT_SECTIONS = (
    "Executive summary",
    "Your metrics over time",
    "Delivery quality and escalations",
    "Satisfaction trend",
    "Likelihood to recommend (NPS)",
    "Your scores on the detailed survey",
    "What drives your satisfaction",
    "What-if scenarios",
    "Methods appendix",
)
PORTFOLIO_SECTIONS = (
    "Overview",
    "Every question by method",
    "Dashboard by team and business unit",
    "Incentive policies",
    "Diagnostics",
)
#: Source code of the templates' cells: none of it may reach the HTML.
CODE_MARKERS = ("show(client.", "show(portfolio.", "load_config(", "import warnings", "config_path")


class _Elements(HTMLParser):
    """Alt text of every image and the classes of every element."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str | None] = []
        self.classes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.classes.update((values.get("class") or "").split())
        if tag == "img":
            self.alts.append(values.get("alt"))


def _elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def _without_images(page: str) -> str:
    """The page without base64 image data (random letters could spell anything)."""
    return re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=\s]+", "data:", page)


@pytest.fixture(scope="module")
def kernel() -> str:
    try:
        return find_kernel()
    except ReportError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return shared_run(tmp_path_factory)


def _render(run, kind: str, client_id: str | None, out: Path, kernel: str):
    stem = safe_filename(client_id, "client-report") if client_id else "portfolio-report"
    config = ReportConfig(str(run.folder.resolve()), kind, client_id, SEED, data=str(run.data))
    cfg = config.write(out / "configs" / f"{stem}.json")
    names = run.portfolio.clients.set_index("client_id")["client_name"]
    title = f"Client report: {names[client_id]}" if client_id else "Portfolio report"
    return render_notebook(
        NOTEBOOKS / f"{kind}_report.py",
        out / "reports" / f"{stem}.html",
        title=title,
        audit_dir=out / "audit",
        params={"config_path": str(cfg.resolve()), "seed": SEED},
        kernel_name=kernel,
    )


@pytest.fixture(scope="module")
def rendered(run, kernel, tmp_path_factory):
    """kind -> (html text, RenderResult) for the hostile client's report and the portfolio's."""
    out = tmp_path_factory.mktemp("rendered")
    jobs = {"client": ("client", HOSTILE_ID), "portfolio": ("portfolio", None)}
    with ThreadPoolExecutor(max_workers=2) as pool:  # each render waits on its own kernel
        futures = {k: pool.submit(_render, run, *job, out, kernel) for k, job in jobs.items()}
        results = {k: f.result() for k, f in futures.items()}
    return {k: (r.html.read_text(encoding="utf-8"), r) for k, r in results.items()}


@pytest.mark.parametrize(
    ("kind", "sections"), [("client", CLIENT_SECTIONS), ("portfolio", PORTFOLIO_SECTIONS)]
)
def test_every_section_and_no_code(rendered, kind, sections):
    page, _ = rendered[kind]
    for section in sections:
        assert f">{html.escape(section)}" in page, section
    classes = _elements(page).classes
    assert not classes & {"jp-InputPrompt", "jp-CodeMirrorEditor", "highlight", "jp-OutputPrompt"}
    for marker in CODE_MARKERS:
        assert marker not in page, marker
    # no warning or error printed by a cell
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert "Traceback" not in page


@pytest.mark.parametrize("kind", ["client", "portfolio"])
def test_self_contained_inert_and_every_image_described(rendered, kind):
    page, _ = rendered[kind]
    assert html_external_urls(page) == []
    assert html_active_content(page) == []
    alts = _elements(page).alts
    assert len(alts) >= 3
    assert all(alt and alt.strip() and alt != "Figure" for alt in alts), alts


def test_client_report_holds_no_other_client(run, rendered):
    page = _without_images(rendered["client"][0])
    leaks = [s for s in other_clients(run, HOSTILE_ID) if s in page or html.escape(s) in page]
    assert leaks == []


def test_portfolio_report_names_no_client(run, rendered):
    page = _without_images(rendered["portfolio"][0])
    assert [s for s in other_clients(run, "") if s in page] == []


def test_hostile_client_name_and_id_render_escaped(rendered):
    page, result = rendered["client"]
    assert RAW_SCRIPT not in page
    assert ESCAPED_SCRIPT in page
    # nbconvert writes text content with <, > and & escaped (quotes need no escaping there)
    assert (
        f"<h1>Client report: {html.escape(' '.join(HOSTILE_NAME.split()), quote=False)}</h1>"
        in page
    )
    assert html.escape(" ".join(HOSTILE_ID.split()), quote=False) in page  # the client id line
    assert result.html.name.startswith("client-report-c-script-alert-1-script")
    assert result.html.parent.name == "reports"


def test_unconverged_models_and_unanswerable_questions_are_shown(rendered):
    for kind in ("client", "portfolio"):
        page, _ = rendered[kind]
        assert "Not converged" in page
        assert "not estimable: " in page


def test_audit_notebook_records_the_parameters(rendered):
    _, result = rendered["client"]
    nb = nbformat.read(result.notebook, as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["seed"] == SEED and params["config_path"].endswith(".json")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
