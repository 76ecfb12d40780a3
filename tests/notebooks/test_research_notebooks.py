"""The research notebooks (notebooks/research/*.py) run top to bottom, headless, through
papermill on a small simulated portfolio, and show what they say they show.

All five execute once per session (the ``executed`` fixture), two at a time: the Bayesian
notebook fits the models at a few draws and saves them as a run, which the what-if notebook
then loads (fitted once, as reports do); the exploring, causal and extension notebooks run
beside them. Few draws fail the convergence gate, and the notebooks must say so, not crash.
Measured on 2 shared cores: about a minute in all.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from satprofit.constants import ESTIMAND_IDS
from satprofit.reporting.errors import ReportError
from satprofit.reporting.execution import find_kernel, load_template
from satprofit.simulate import simulate_portfolio

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "research"
NAMES = (
    "01_explore_portfolio",
    "02_causal_questions",
    "03_bayesian_models",
    "04_what_if",
    "05_extending_satprofit",
)
#: Seed of the test portfolio (30 clients, 8 quarters): every question the notebooks walk
#: through is answered or refused with a reason, and the models can be fitted on it.
SEED = 12345
#: Within this many standard errors of the truth, the extension notebook's new estimator has
#: recovered it (the notebook's ``tolerance_se``).
TOLERANCE_SE = 3.0


def _execute(name: str, params: dict, out: Path, kernel: str) -> nbformat.NotebookNode:
    """Headless through papermill with satprofit's engine: inline figures whatever
    ``MPLBACKEND`` this process has (``make test`` exports Agg, which would leave a plain
    papermill kernel without images)."""
    from satprofit.reporting.execution import execute

    work = out / f"{name}.work"  # its own folder: kernel cwd and connection file
    work.mkdir(exist_ok=True)
    staged = work / "notebook.ipynb"
    nbformat.write(load_template(NOTEBOOKS / f"{name}.py", kernel_name=kernel), staged)
    return execute(staged, out / f"{name}.ipynb", params=params, kernel_name=kernel, timeout=300)


def _in_order(names, params, out, kernel) -> dict:
    """Execute ``names`` one after the other: name -> notebook, or the exception it raised
    (a notebook that needs a failed one's output is not run)."""
    done: dict = {}
    for name in names:
        if any(isinstance(v, Exception) for v in done.values()):
            done[name] = RuntimeError(f"not run: an earlier notebook of {names} failed")
            continue
        try:
            done[name] = _execute(name, params[name], out, kernel)
        except Exception as err:  # reported by the test of that notebook
            done[name] = err
    return done


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> dict:
    """Notebook name -> the executed notebook (or the exception that stopped it)."""
    try:
        kernel = find_kernel()
    except ReportError as exc:
        pytest.skip(str(exc))
    tmp = tmp_path_factory.mktemp("research")
    data = str(simulate_portfolio(30, 8, seed=SEED).write(tmp / "portfolio"))
    run = str(tmp / "run")
    params = {
        "01_explore_portfolio": {"data": data, "seed": SEED},
        "02_causal_questions": {"data": data, "seed": SEED, "n_boot": 20},
        "03_bayesian_models": {
            "data": data,
            "seed": SEED,
            "draws": 10,
            "tune": 10,
            "chains": 2,
            "cores": 1,
            "prior_samples": 50,
            "run_out": run,
        },
        "04_what_if": {"data": data, "seed": SEED, "run": run, "client_id": ""},
        "05_extending_satprofit": {
            "data": data,
            "seed": SEED,
            "n_clients": 80,
            "tolerance_se": TOLERANCE_SE,
            "reps": 1,
        },
    }
    chains = (NAMES[2:4], (NAMES[0], NAMES[1], NAMES[4]))  # the run: fitted, then used
    with ThreadPoolExecutor(max_workers=2) as pool:  # each waits on its own kernel
        futures = [pool.submit(_in_order, names, params, tmp, kernel) for names in chains]
        return {k: v for f in futures for k, v in f.result().items()}


def _notebook(executed: dict, name: str) -> nbformat.NotebookNode:
    nb = executed[name]
    if isinstance(nb, Exception):
        pytest.fail(f"{name} did not run: {type(nb).__name__}: {nb}")
    return nb


def _text(cell) -> str:
    """A code cell's printed and displayed text (plain-text form)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "\n".join(parts)


def _cell(nb, source: str):
    """The first code cell whose source contains ``source``."""
    return next(c for c in nb.cells if c.cell_type == "code" and source in c.source)


def _images(nb) -> int:
    return sum(
        "image/png" in out.get("data", {})
        for c in nb.cells
        if c.cell_type == "code"
        for out in c.get("outputs", [])
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_research_notebook_runs_top_to_bottom_headless(executed, name):
    nb = _notebook(executed, name)
    errors = [out for c in nb.cells for out in c.get("outputs", []) if out.output_type == "error"]
    assert not errors
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell ran"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged parameters"
    assert {"data", "seed"} <= set(re.findall(r"^(\w+) =", tagged[0].source, re.M))


def test_the_bayesian_notebooks_take_the_sampler_settings_as_parameters():
    for name in ("03_bayesian_models", "04_what_if"):
        nb = load_template(NOTEBOOKS / f"{name}.py")
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        defaults = dict(re.findall(r"^(draws|tune|chains) = (\d+)", cell.source, re.M))
        assert defaults == {"draws": "1000", "tune": "1000", "chains": "4"}, name


def test_the_explore_notebook_shows_validation_problems_and_the_dashboard(executed):
    nb = _notebook(executed, "01_explore_portfolio")
    problems = _text(_cell(nb, "DataValidationError as err"))
    assert ">= 0" in problems and "exists in clients.client_id" in problems
    dash = _text(_cell(nb, "dash = dashboard("))
    assert "status_reports_by_sales" in dash and "joint_engagements" in dash
    assert _images(nb) >= 4  # the scatter and the three dashboard figures


def test_the_causal_notebook_answers_or_refuses_every_estimand_with_sensitivity(executed):
    nb = _notebook(executed, "02_causal_questions")
    estimates = _text(_cell(nb, "est = estimate_all("))
    assert all(e in estimates for e in ESTIMAND_IDS)
    sentences = _text(_cell(nb, "for r in est:"))
    lines = [s for s in sentences.splitlines() if s.strip()]
    assert len(lines) == len(ESTIMAND_IDS)
    assert all("Estimated effect" in s or "not estimable" in s or "failed" in s for s in lines)
    assert "e_value" in _text(_cell(nb, '"e_value", "e_value_ci"'))
    assert "placebo treatment" in _text(_cell(nb, "refutations = {"))
    assert "naive" in _text(_cell(nb, "methods = compare_methods("))
    assert "Apart from the factors it adjusts for" in _text(_cell(nb, "assumptions_table()"))


def test_the_bayesian_notebook_prints_diagnostics_checks_and_answers(executed):
    nb = _notebook(executed, "03_bayesian_models")
    gate = _text(_cell(nb, "fit.diagnostics()"))
    assert "R-hat <= 1.01" in gate
    assert all(k in gate for k in ("rhat_max", "ess_min", "divergences", "satisfaction", "repeat"))
    assert "ess_bulk_min" in _text(_cell(nb, 'result.diagnostics["table"]'))
    assert "share with repeat business" in _text(_cell(nb, "prior_checks = {}"))
    checks = _text(_cell(nb, "result.model.posterior_predictive("))
    assert "observed" in checks and "predicted" in checks
    answers = _text(_cell(nb, "answers = fit.summary()"))
    assert "quality_to_csat" in answers and "csat_to_repeat.value" in answers
    assert _images(nb) >= 4  # trace and rank plots of both models
    assert "run saved in" in _text(_cell(nb, "save_run(run_out"))


def test_the_what_if_notebook_gives_a_clients_worth_in_currency_with_intervals(executed):
    nb = _notebook(executed, "04_what_if")
    chosen = _text(_cell(nb, "clients = forecastable_clients(fit)"))
    assert re.search(r"client C\d+: 1 of \d+ by data", chosen)
    table = _text(_cell(nb, "report = what_if.build_what_if("))
    assert all(k in table for k in ("ontime", "reports", "signoff", "low80", "ci_high"))
    assert re.search(r"P\(the change raises repeat business\) = \d+%", _text(_cell(nb, "gain =")))
    assert "ramp" in _text(_cell(nb, 'mode="ramp"'))
    assert "clients forecast" in _text(_cell(nb, "portfolio_wide = scenario("))


def test_the_extension_notebooks_estimator_answers_and_recovers_the_new_worlds_truth(executed):
    nb = _notebook(executed, "05_extending_satprofit")
    methods = _text(_cell(nb, 'print({q: METHODS[q] for q in QUESTION_IDS if "ipw"'))
    assert "'presales_signoff': ('regression', 'aipw', 'naive', 'ipw')" in methods
    assert "inverse-probability weighting (Hajek)" in methods
    answer = _text(_cell(nb, 'ipw = estimate(portfolio, check_question, "ipw"'))
    assert "Estimated effect" in answer and "placebo treatment" in answer
    verdict = _text(_cell(nb, 'row = check.set_index("method").loc["ipw"]'))
    found = re.search(
        r"ipw on young_firm: estimate (\S+) \(standard error (\S+)\) against a truth of (\S+): "
        r"recovered within",
        verdict,
    )
    assert found, verdict
    estimate, se, truth = map(float, found.groups())
    assert abs(estimate - truth) <= TOLERANCE_SE * se
    assert "young_firm" in _text(_cell(nb, "rows = calibrate("))
