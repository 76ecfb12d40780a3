"""Report content without papermill: escaped display blocks, client and portfolio sections.

Every test here shares one fitted run (:func:`shared_run`, also used by the render tests in
``test_client_report.py``): the committed sample portfolio with every client renamed to a
distinctive name and id, so a leak of another client is a plain substring, and the client with
the most survey responses renamed to hostile text (``<script>``, quotes, ``../``, ``{}``, a
newline, Unicode). The models are fitted with few draws, so they fail the convergence gate: the
reports must say so.
"""

from __future__ import annotations

import dataclasses
import html
import re
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from satprofit.constants import ESTIMAND_UNITS
from satprofit.features.panel import DASHBOARD_METRICS
from satprofit.reporting import blocks as B
from satprofit.reporting import client as C
from satprofit.reporting import common
from satprofit.reporting import portfolio as P

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"

#: Sampler settings of the shared run: fast, and too short to pass the convergence gate. 200
#: tuning steps, not 60: with 60 the step size never adapted and every draw of the repeat model
#: took the maximum tree depth (1,023 steps; 22 s of sampling instead of 10).
FAST_FIT = {"draws": 60, "tune": 200, "chains": 2}
SEED = 7

# no line break in the id: control characters in ids are refused by the data contract
HOSTILE_ID = "C<script>alert(1)</script>\"'../{} Ü東京"
HOSTILE_NAME = "<script>alert(1)</script> \"Big\" & 'Small' ../{x}\nÄrger 東京 GmbH"
RAW_SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

#: The question the shared run's causal records cannot answer.
UNANSWERED = "sales_in_escalations"

HOSTILE_TEXTS = [
    RAW_SCRIPT,
    "\"quotes\" & 'apostrophes'",
    "../../etc/passwd",
    "{seed} {}",
    "line\nbreak",
    "Müller & Söhne 東京 <b>bold</b>",
    "costs $5 and $10",
]


# --------------------------------------------------------------------------- the shared run

_SHARED: dict[str, object] = {}


def _distinctive(i: int) -> tuple[str, str]:
    """Id and name of client ``i``: tokens that occur nowhere else in a report."""
    return f"Zq{i:03d}vx", f"Quorvath{i:03d} Holdings"


def _hostile_sample(folder: Path):
    """data/sample with distinctive client names and ids, one of them hostile; written as CSV
    and read back, so the fitted run matches what the report loads."""
    from satprofit.io import Portfolio, load_portfolio, write_portfolio

    src = load_portfolio(SAMPLE)
    target = src.surveys["client_id"].value_counts().idxmax()
    ids, names = {}, {}
    for i, cid in enumerate(src.clients["client_id"]):
        ids[cid], names[cid] = _distinctive(i)
    ids[target], names[target] = HOSTILE_ID, HOSTILE_NAME
    tables = {}
    for name, frame in src.tables.items():
        frame = frame.copy()
        if name == "clients":
            frame["client_name"] = frame["client_id"].map(names)
        if "client_id" in frame:
            frame["client_id"] = frame["client_id"].map(ids)
        tables[name] = frame
    write_portfolio(Portfolio.from_tables(tables), folder, fmt="csv")
    return load_portfolio(folder)


def _causal_records(portfolio) -> list[dict]:
    """Causal records as ``satprofit fit`` saves them: the default method of the client-facing
    questions (presales_signoff estimated for real), one question the data cannot answer, and
    the lead-bonus question with a pre-trend note."""
    from satprofit.causal import estimate
    from satprofit.causal.api import unavailable

    def record(r) -> dict:
        return {**r.to_dict(), "note": r.note}

    recs = [record(r) for r in estimate(portfolio, "presales_signoff")]
    recs.append(record(unavailable(UNANSWERED, "aipw", "only 3 units of analysis (need 10)")))
    recs.append(
        {
            "question": "delivery_bonus_to_leads",
            "estimate": 3.2,
            "ci_low": 0.4,
            "ci_high": 6.1,
            "unit": ESTIMAND_UNITS["delivery_bonus_to_leads"],
            "method": "did",
            "n": 22,
            "se": 1.4,
            "adjustment_set": [],
            "identified": True,
            "note": "pre-trend test p = 0.41",
        }
    )
    return recs


def shared_run(tmp_path_factory):
    """The fitted hostile sample run, built once per test session (both report test modules).

    Returns
    -------
    satprofit.runs.Run
    """
    if "run" not in _SHARED:
        from satprofit.bayes import fit_models
        from satprofit.runs import load_run, save_run

        root = tmp_path_factory.mktemp("reporting_run")
        portfolio = _hostile_sample(root / "data")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_models(portfolio, **FAST_FIT, random_seed=SEED)
        save_run(root / "run", root / "data", fit, causal=_causal_records(portfolio))
        _SHARED["run"] = load_run(root / "run", data=root / "data")
    return _SHARED["run"]


def other_clients(run, client_id: str) -> list[str]:
    """Every other client's id and name (the strings a client report must not contain)."""
    cl = run.portfolio.clients
    cl = cl[cl["client_id"] != client_id]
    return [*cl["client_id"], *cl["client_name"]]


def block_text(objs) -> str:
    """The HTML of every display block (images contribute their alt text)."""
    parts = []
    for obj in objs:
        if isinstance(obj.data, bytes):
            parts.append(obj.metadata["alt"])
        else:
            parts.append(obj.data)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return shared_run(tmp_path_factory)


@pytest.fixture(scope="module")
def report(run):
    return C.build_client_report(run, HOSTILE_ID, seed=SEED)


@pytest.fixture(scope="module")
def client_blocks(report):
    B.theme()
    funcs = (
        C.title_blocks,
        C.summary_blocks,
        C.metrics_blocks,
        C.delivery_blocks,
        C.satisfaction_blocks,
        C.drivers_blocks,
        C.what_if_blocks,
        C.methods_blocks,
    )
    return {f.__name__: f(report) for f in funcs}


@pytest.fixture(scope="module")
def portfolio_report(run):
    return P.build_portfolio_report(run)


# --------------------------------------------------------------------------- blocks


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_text_blocks_escape(text):
    for obj in (
        B.heading(text, 2),
        B.paragraph(text),
        B.bullets([text, "plain"]),
        B.callout(text, "warning"),
        B.callout(text, "info"),
    ):
        assert "<script" not in obj.data and "<b>" not in obj.data
        assert html.escape(text.split("\n")[0]) in obj.data


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_table_escapes_cells_columns_index_and_caption(text):
    df = pd.DataFrame({text: [text, None], "n": [1.5, np.nan]}, index=[text, "x"])
    out = B.table(df, caption=text, formats={"n": B.money}, index=True).data
    assert "<script" not in out and "<b>" not in out
    first = html.escape(text.split("\n")[0])
    caption, body = out.split("</p>", 1)
    assert first in caption
    assert body.count(first) >= 3  # column, index and cell
    assert "\u2013" in out  # missing values


def test_heading_level_and_callout_kind_are_checked():
    with pytest.raises(ValueError):
        B.heading("x", 7)
    with pytest.raises(ValueError):
        B.callout("x", "danger")
    assert B.bullets([]).data == ""


def test_figure_is_png_with_alt_and_closed():
    fig, ax = plt.subplots()
    ax.set_title(B.plot_text("costs $5 and $10"))
    img = B.figure(fig, "A line\nchart")
    assert img.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert img.metadata == {"alt": "A line chart"}
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError):
        B.figure(plt.figure(), "  ")


def test_figure_is_cropped_to_its_ink_like_a_tight_bounding_box():
    """One draw, cropped to the ink plus the pad, gives the picture ``bbox_inches="tight"``
    gives (within 30 px at 150 dpi; the report figures come out 15-20 px smaller, the text
    boxes' slack), framed in white, in RGB; a blank figure stays whole."""
    import io

    from PIL import Image as PILImage

    fig, axes = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
    for ax in axes:
        ax.plot([0, 1, 2], [3, 1, 2])
        ax.set_ylabel("a long label to the left")
    fig.legend(["series"], loc="outside lower center")
    tight = io.BytesIO()
    fig.savefig(tight, format="png", dpi=B.DPI, bbox_inches="tight", facecolor="white")
    ours = PILImage.open(io.BytesIO(B.figure(fig, "two charts").data))
    ref = PILImage.open(tight)
    assert ours.mode == "RGB"
    assert all(abs(r - o) <= 30 for r, o in zip(ref.size, ours.size, strict=True)), (
        ref.size,
        ours.size,
    )
    px = np.asarray(ours)
    pad = round(B.PAD_INCHES * B.DPI)
    edges = (px[:pad], px[-pad:], px[:, :pad], px[:, -pad:])
    assert all((e == 255).all() for e in edges)  # a white frame as wide as the pad ...
    assert all((e < 255).any() for e in (px[pad], px[-pad - 1], px[:, pad], px[:, -pad - 1]))
    blank = PILImage.open(io.BytesIO(B.figure(plt.figure(figsize=(2, 1)), "nothing").data))
    assert blank.size == (2 * B.DPI, B.DPI)


def test_plot_text_shows_dollars_not_maths():
    assert B.plot_text("from $5 to\n$10") == r"from \$5 to \$10"


def test_number_formats():
    assert B.money(12345.6) == "12,300"
    assert B.money(-987) == "-987"
    assert B.money(float("nan")) == "n/a"
    assert B.pct(0.834) == "83%"
    assert B.pp(4.25, sign=True) == "+4.2 pp"
    assert B.interval(12345, 4100, 20800) == "about 12,300 (80% interval 4,100 to 20,800)"
    assert B.interval(0.321, 0.11, 0.56, B.number, unit="points").startswith("about 0.32 points")
    assert B.interval(float("nan"), 1, 2) == "not estimable"
    assert B.plural(1, "project") == "1 project" and B.plural(3, "project") == "3 projects"
    assert B.spans_zero(-1, 2) and not B.spans_zero(1, 2)
    for text in (B.money(5), B.interval(5, 1, 9)):
        assert "$" not in text


def test_theme_is_printable():
    B.theme()
    assert matplotlib.rcParams["savefig.dpi"] == B.DPI
    assert not matplotlib.rcParams["text.usetex"]


# --------------------------------------------------------------------------- client sections


def test_unknown_client_is_refused(run):
    with pytest.raises(KeyError):
        C.build_client_report(run, "no such client", seed=SEED)


def test_every_section_is_built(report, client_blocks):
    assert 3 <= len(report.summary) <= 5
    assert set(report.metrics.table["metric"].unique()) == set(DASHBOARD_METRICS)
    assert len(report.delivery.summary) == 6
    assert report.satisfaction.responses > 0
    assert list(report.drivers.table.index) == list(C.DRIVERS)
    assert set(report.what_if.table["scenario"]) == set(C.SCENARIOS)
    assert {"Table", "Rows in the portfolio"} <= set(report.methods.data_used.columns)
    assert all(client_blocks.values())


def test_summary_is_plain_business_language(report):
    text = " ".join(report.summary)
    for jargon in ("posterior", "R-hat", "credible", "coefficient", "csat", "$"):
        assert jargon not in text
    assert "provisional" in text  # the fast run has not converged


def test_benchmarks_aggregate_enough_clients(report):
    for frame in (report.metrics.table, report.metrics.recent, report.delivery.summary):
        shown = frame[frame["median"].notna()]
        assert (shown["n_clients"] >= report.min_clients).all()
    q = report.satisfaction.by_quarter
    assert (q.loc[q["median"].notna(), "n_clients"] >= report.min_clients).all()


def test_benchmarks_are_omitted_below_the_minimum(run):
    many = 10_000
    m = C.build_metrics(run, HOSTILE_ID, min_clients=many)
    d = C.build_delivery(run, HOSTILE_ID, min_clients=many)
    s = C.build_satisfaction(run, HOSTILE_ID, min_clients=many)
    dr = C.build_drivers(run, HOSTILE_ID, min_clients=many)
    assert m.table["median"].isna().all() and m.recent["median"].isna().all()
    assert d.summary["median"].isna().all() and not s.overall.available
    assert dr.table["percentile"].isna().all()
    for notes in (m.notes, d.notes, s.notes, dr.notes):
        assert any("no portfolio benchmark" in n or "not ranked" in n for n in notes)


def test_client_blocks_hold_no_other_client(run, client_blocks):
    text = block_text([b for blocks in client_blocks.values() for b in blocks])
    leaks = [s for s in other_clients(run, HOSTILE_ID) if s in text]
    assert leaks == []


def test_client_blocks_escape_the_hostile_name(client_blocks):
    text = block_text([b for blocks in client_blocks.values() for b in blocks])
    assert RAW_SCRIPT not in text
    assert ESCAPED_SCRIPT in text
    assert html.escape(" ".join(HOSTILE_NAME.split())) in text


def test_thin_survey_data_is_stated(run):
    counts = run.portfolio.surveys["client_id"].value_counts()
    counts = counts.reindex(run.portfolio.clients["client_id"], fill_value=0)
    thin = counts.idxmin()
    assert counts[thin] < C.MIN_RESPONSES
    rep = C.build_client_report(run, thin, seed=SEED)
    assert rep.satisfaction.thin
    assert "we cannot yet say how satisfied" in rep.summary[0]
    assert any("no claim" in n for n in rep.satisfaction.notes)


def test_no_finished_project_is_stated(report):
    unfinished = dataclasses.replace(report.delivery, finished=0)
    rep = dataclasses.replace(report, delivery=unfinished)
    assert "cannot yet judge delivery quality" in C.executive_summary(rep)[1]


def test_drivers_importance_against_performance(report):
    t = report.drivers.table
    assert report.drivers.basis == "client"
    ok = t.dropna(subset=["gain"])
    assert len(ok) == len(C.DRIVERS)
    assert (ok["gain_low"] <= ok["gain"]).all() and (ok["gain"] <= ok["gain_high"]).all()
    placed = t.dropna(subset=["percentile"])
    assert placed["percentile"].between(0, 100).all()
    assert set(t["quadrant"]) <= {*C.QUADRANTS.values(), "not placed"}


def test_what_if_in_currency_with_intervals_and_unconverged_flag(report, client_blocks):
    t = report.what_if.table
    assert len(t) == 2 * len(C.SCENARIOS)
    assert (t["ci_low"] <= t["low80"]).all() and (t["low80"] <= t["median"] + 1e-9).all()
    assert (t["median"] <= t["high80"] + 1e-9).all() and (t["high80"] <= t["ci_high"]).all()
    assert not report.what_if.converged
    text = block_text(client_blocks["what_if_blocks"])
    assert "Not converged" in text
    assert "Not converged" in block_text(client_blocks["title_blocks"])


def test_what_if_from_a_fit_in_memory_equals_the_saved_runs(run, report):
    """A data scientist's fit (no saved run) gives the same what-if as the run it was saved as."""
    w = C.build_what_if(run.fit, HOSTILE_ID, seed=SEED)
    pd.testing.assert_frame_equal(w.table, report.what_if.table)
    assert w.notes == report.what_if.notes


def test_a_client_that_cannot_be_forecast_says_so(run, monkeypatch):
    import satprofit.bayes

    def refuse(*args, **kwargs):
        raise ValueError("the repeat-business model cannot forecast this client")

    monkeypatch.setattr(satprofit.bayes, "scenario", refuse)
    rep = C.build_client_report(run, HOSTILE_ID, seed=SEED)
    assert rep.what_if.error and rep.what_if.table.empty
    assert "cannot be forecast" in block_text(C.what_if_blocks(rep))
    assert any("cannot yet put a money value" in s for s in rep.summary)


def test_methods_show_unanswerable_questions_and_convergence(report, client_blocks):
    q = report.methods.questions
    row = q[q["Question"] == B.ESTIMAND_TITLES[UNANSWERED]].iloc[0]
    assert row["Status"].startswith("not estimable: ")
    assert "only 3 units" in row["Status"]
    assert not q["Question"].str.contains("lead bonus").any()  # internal question
    assert (report.methods.models["Status"] == "NOT CONVERGED").any()
    settings = report.methods.settings.set_index("Setting")["Value"].to_dict()
    assert settings["What-if seed"] == str(SEED) and "satprofit version (report)" in settings
    text = block_text(client_blocks["methods_blocks"])
    assert "not estimable: " in text and "NOT CONVERGED" in text


def test_fixed_margin_figures_hold_the_fixture_clients_labels(report):
    """The client figures drawn with fixed margins need no fallback on the fixture's client
    (hostile name, few projects): every label on the canvas and clear of the other panels."""
    from satprofit.reporting.figure_layout import FIXED_LAYOUT, layout_fits

    B.theme()
    figs = _client_figures(report, "metrics", "delivery", "satisfaction", "nps_trend", "drivers")
    drawn = [f for f in figs if f is not None]
    assert len(drawn) >= 4
    for fig in drawn:
        assert getattr(fig, FIXED_LAYOUT, False)
        fig.set_dpi(B.DPI)
        fig.canvas.draw()
        assert layout_fits(fig, fig.canvas.get_renderer()), fig.axes[0].get_title()
        plt.close(fig)


#: Each client figure's plot function and the report section it draws.
_FIGURES = {
    "metrics": ("plot_metrics", "metrics"),
    "delivery": ("plot_delivery", "delivery"),
    "satisfaction": ("plot_satisfaction", "satisfaction"),
    "nps_trend": ("plot_nps_trend", "nps"),
    "drivers": ("plot_drivers", "drivers"),
    "what_if": ("plot_what_if", "what_if"),
}


def _client_figures(report, *names):
    """The named client figures of ``report`` (None where a section draws none)."""
    return [getattr(C, _FIGURES[n][0])(getattr(report, _FIGURES[n][1])) for n in names]


def test_client_figures(report):
    figs = _client_figures(report, "metrics", "delivery", "satisfaction", "drivers", "what_if")
    for fig in figs:
        assert isinstance(fig, plt.Figure)
        plt.close(fig)


# --------------------------------------------------------------------------- portfolio report


def test_portfolio_estimates_side_by_side(portfolio_report):
    est = portfolio_report.estimates
    assert {"causal", "bayes"} <= set(est["source"])
    assert {"quality_to_csat", "presales_signoff", UNANSWERED} <= set(est["estimand"])
    row = est[est["estimand"] == UNANSWERED].iloc[0]
    assert not row["answered"] and common.estimate_status(row).startswith("not estimable: ")
    assert not est.loc[est["source"] == "bayes", "converged"].all()


def test_portfolio_policy_and_dashboards(run, portfolio_report):
    pe = portfolio_report.policy
    assert list(pe.estimates["method"]) == ["did"]
    inc = run.portfolio.incentives
    assert set(pe.adoption["business_unit"]) == set(inc["business_unit"])
    units = set(run.portfolio.deals["business_unit"])
    assert units <= set(portfolio_report.dashboards.by_unit["business_unit"])
    assert len(portfolio_report.dashboards.quarters) == 4


def test_portfolio_blocks_are_escaped_and_anonymous(run, portfolio_report):
    funcs = (
        P.title_blocks,
        P.overview_blocks,
        P.estimates_blocks,
        P.dashboard_blocks,
        P.policy_blocks,
        P.survey_blocks,
        P.diagnostics_blocks,
    )
    text = block_text([b for f in funcs for b in f(portfolio_report)])
    assert "Not converged" in text and "pre-trend test" in text
    ids_and_names = other_clients(run, "")
    assert [s for s in ids_and_names if s in text] == []
    assert not re.search(r"<script|javascript:", text)


def test_portfolio_figures(portfolio_report):
    for fig in (
        P.plot_estimates(portfolio_report.estimates),
        P.plot_dashboard(portfolio_report.dashboards),
        P.plot_policy(portfolio_report.policy),
    ):
        assert isinstance(fig, plt.Figure)
        plt.close(fig)
