"""Slow: the Bayesian models over simulated worlds (reduced
``python -m satprofit.validation.bayes_calibration``).

Three replications of two designs (the default, and a world with two-valued on-time rates
that the satisfaction model's linear term must still handle) at 250 clients x 12 quarters,
2 chains x 400 draws. The satisfaction estimands, which the issue found answered as direct
effects, must cover the truth in at least 5 of the 6 fits and lie within 35 % of it on
average; every estimand must come back with a status (answered, refused or failed), never
missing.

And one portfolio of 1,000 clients where the intervals are narrow enough to show bias in the
path from on-time delivery to repeat business.
"""

from __future__ import annotations

import pandas as pd
import pytest

from satprofit.questions import ESTIMAND_IDS
from satprofit.validation.bayes_calibration import calibrate
from satprofit.validation.causal_calibration import summarize

SATISFACTION = ("quality_to_csat", "status_reports_to_csat")


@pytest.mark.slow
def test_bayesian_satisfaction_answers_cover_the_truth_across_designs():
    rows = calibrate(
        ["default", "binary_ontime"],
        n_reps=3,
        n_clients=250,
        fit={"draws": 400, "tune": 400, "chains": 2, "cores": 1},
        jobs=2,
    )
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print("\n", summarize(rows))
    bayes_ids = {e for e in ESTIMAND_IDS if not e.startswith(("presales", "sales_in", "delivery"))}
    for (_design, _seed), g in rows.groupby(["design", "seed"]):
        assert bayes_ids <= set(g["estimand"]), set(g["estimand"])
    sat = rows[rows["estimand"].isin(SATISFACTION) & (rows["status"] == "ok")]
    for estimand, g in sat.groupby("estimand"):
        assert g["covered"].sum() >= len(g) - 1, g
        rel = (g["estimate"].mean() - g["truth"].mean()) / g["truth"].mean()
        assert abs(rel) <= 0.35, (estimand, rel)


#: design -> the estimands checked at 1,000 clients (seed 2000) and what was measured
LARGE_SAMPLE = {
    # on-time windows as levels with size-band on-time slopes: direct 0.22x, total 0.40x of
    # the truth; then total, direct 0.87x, indirect 0.90x, csat -> repeat value 0.88x; with
    # repeat deals counted (purchase="count"): total 0.95x, direct 0.93x, indirect 0.97x,
    # value 1.00x, intervals 1.05-1.35x the effect
    "default": (
        "quality_to_repeat.total",
        "quality_to_repeat.direct",
        "quality_to_repeat.indirect",
        "csat_to_repeat.value",
    ),
    # one on-time slope in the satisfaction model for every client size: indirect 0.44x (its
    # interval missing the truth); then 0.80x, total 1.15x; with repeat deals counted
    # indirect 0.87x, total 1.24x (the direct part, 1.60x with an interval 1.3x the effect,
    # is not asserted: a stated assumption, see causal.assumptions)
    "size_heterogeneity": ("quality_to_repeat.indirect", "quality_to_repeat.total"),
}


@pytest.mark.slow
@pytest.mark.parametrize("design", list(LARGE_SAMPLE))
def test_on_time_to_repeat_business_where_intervals_are_narrow(design):
    """1,000 clients x 12 quarters, seed 2000, the study's fit (2 chains x 1,000 draws after
    500; 1.5-3.5 minutes each), where intervals (0.6-1.4x the effect) are narrow enough to show
    the biases :data:`LARGE_SAMPLE` records. Asserted (one fixed portfolio per design: a
    regression check, not a coverage rate): each estimand within 30 % of the truth, its 95 %
    interval covering it and narrower than twice the effect."""
    rows = calibrate([design], n_reps=1, n_clients=1000, seed0=2000, jobs=1)
    rows = rows.set_index("estimand")
    for estimand in LARGE_SAMPLE[design]:
        r = rows.loc[estimand]
        ratio = r["estimate"] / r["truth"]
        width = (r["ci_high"] - r["ci_low"]) / abs(r["truth"])
        assert abs(ratio - 1) <= 0.30 and r["covered"] and width < 2, (estimand, ratio, width)


@pytest.mark.slow
def test_on_time_to_satisfaction_where_clients_rarely_answer():
    """``few_responses`` at 1,000 clients, seed 2000, the satisfaction model alone (the study's
    fit, under a minute) with ``ontime_mean="projects"``: most clients answer for one project,
    so the on-time rate's within part must come from the client's other projects. With the
    default client mean over the answered projects only, the estimate was 0.53x the truth with
    an interval 0.88x the effect wide (0.09-0.97); with the mean over every rated project
    1.08x, 0.55x wide. Asserted: within 20 % of the truth, covered, interval narrower than
    0.8x the effect."""
    import warnings

    from satprofit.bayes import fit_models
    from satprofit.bayes.base import SamplerConfig
    from satprofit.simulate import simulate_portfolio
    from satprofit.validation.bayes_calibration import STUDY_FIT

    sim = simulate_portfolio(1000, 12, seed=2000, design="few_responses")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_models(
            sim.portfolio,
            models=("satisfaction",),
            sampler_config=SamplerConfig(**STUDY_FIT, random_seed=2000),
            model_configs={"satisfaction": {"ontime_mean": "projects"}},
        )
    rec = {r.get("estimand") or r.get("question"): r for r in fit.records()}["quality_to_csat"]
    truth = sim.truth["quality_to_csat"]
    ratio = rec["estimate"] / truth
    width = (rec["ci_high"] - rec["ci_low"]) / truth
    assert abs(ratio - 1) <= 0.20 and rec["ci_low"] <= truth <= rec["ci_high"], (ratio, rec)
    assert width < 0.8, width
