"""PLS path model on small simulated surveys: figures that can be checked by hand, single-item
constructs, degenerate resamples, and the results object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from satprofit.survey import SurveyDataError, fit_pls
from satprofit.survey.spec import parse_spec

SPEC = parse_spec(
    "constructs: {X: [x1, x2, x3], M: [m1, m2], Y: [y1]}\npaths: {X: [M, Y], M: [Y]}", "t.yaml"
)


def _survey(rng, n=300) -> pd.DataFrame:
    x = rng.normal(size=n)
    m = 0.6 * x + 0.8 * rng.normal(size=n)
    y = 0.3 * x + 0.5 * m + 0.7 * rng.normal(size=n)
    cols = {f"x{i}": x + 0.6 * rng.normal(size=n) for i in (1, 2, 3)}
    cols |= {f"m{i}": 2 * m + rng.normal(size=n) for i in (1, 2)}
    cols |= {"y1": y, "id": np.arange(n)}
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def survey():
    return _survey(np.random.default_rng(1))


@pytest.fixture(scope="module")
def result(survey):
    return fit_pls(survey, SPEC, n_boot=200, seed=3)


def test_paths_are_ols_on_the_scores_and_effects_multiply_along_paths(result):
    scores = result.scores
    assert np.allclose(scores.mean(), 0) and np.allclose(scores.std(ddof=0), 1)
    z = scores.to_numpy()
    beta_m = np.linalg.lstsq(z[:, [0]], z[:, 1], rcond=None)[0]
    beta_y = np.linalg.lstsq(z[:, :2], z[:, 2], rcond=None)[0]
    paths = result.paths.set_index(["from", "to"])["estimate"]
    assert np.allclose(paths[("X", "M")], beta_m[0])
    assert np.allclose(paths[[("X", "Y"), ("M", "Y")]], beta_y)
    r2_y = 1 - np.var(z[:, 2] - z[:, :2] @ beta_y) / np.var(z[:, 2])
    assert np.isclose(result.r_squared["Y"], r2_y)
    assert np.isclose(result.r_squared["M"], np.corrcoef(z[:, 0], z[:, 1])[0, 1] ** 2)
    effects = result.effects.set_index(["from", "to"])
    assert np.isclose(effects.loc[("X", "Y"), "indirect"], beta_m[0] * beta_y[1])
    assert np.isclose(effects.loc[("X", "Y"), "total"], beta_y[0] + beta_m[0] * beta_y[1])
    indirect = result.indirect_effects.set_index(["from", "to"])
    assert list(indirect.index) == [("X", "Y")]


def test_a_single_item_construct_has_its_item_as_score(result, survey):
    y = survey["y1"]
    assert np.allclose(result.scores["Y"], (y - y.mean()) / y.std(ddof=0))
    loadings = result.loadings.set_index("item")
    assert np.isclose(loadings.loc["y1", "loading"], 1.0)
    assert (loadings[["loading", "ci_low", "ci_high"]] > 0.5).all().all()


def test_intervals_bracket_the_estimates_and_the_simulated_signs(result):
    tables = [(result.paths, "estimate"), (result.total_effects, "estimate")]
    for table, est in [*tables, (result.r_squared_table, "r_squared")]:
        assert (table["ci_low"] <= table[est]).all() and (table[est] <= table["ci_high"]).all()
        assert (table["se"] > 0).all()
    assert (result.paths["ci_low"] > 0).all()  # every simulated path is positive


def test_resamples_with_a_constant_item_are_left_out_and_counted():
    rng = np.random.default_rng(5)
    survey = _survey(rng, n=40)
    survey.loc[1:, "x3"] = 4.0  # one respondent differs: ~37 % of resamples lack them
    result = fit_pls(survey, SPEC, n_boot=100, seed=1)
    assert 10 < result.n_boot_failed < 70
    assert np.isfinite(result.paths[["ci_low", "ci_high"]].to_numpy()).all()


def test_results_summary_and_json_record(result):
    summary = result.summary()
    assert list(summary.index) == ["X -> M", "X -> Y", "M -> Y"]
    assert {"estimate", "se", "ci_low", "ci_high", "r_squared_of_to"} <= set(summary)
    record = result.to_dict()
    assert set(record) >= {"paths", "r_squared", "total_effects"}
    assert record["paths"][0].keys() == {"from", "to", "estimate", "ci_low", "ci_high"}
    assert set(record["r_squared"]) == {"M", "Y"}
    assert len(record["total_effects"]) == 3


def test_without_bootstrap_intervals_are_missing_not_invented(survey):
    result = fit_pls(survey, SPEC, n_boot=0)
    assert result.paths[["se", "ci_low", "ci_high"]].isna().all().all()
    assert result.to_dict()["paths"][0]["ci_low"] is None


def test_bad_items_in_a_frame_are_refused_with_rows(survey):
    bad = survey.astype({"m1": object})
    bad.loc[[3, 7], "m1"] = "n/a"
    with pytest.raises(SurveyDataError, match=r"column m1: non-numeric value.*2 rows, e.g. row 4"):
        fit_pls(bad, SPEC, n_boot=0)


def test_too_few_respondents_are_refused(survey):
    with pytest.raises(ValueError, match="PLS needs at least 10"):
        fit_pls(survey.head(5), SPEC, n_boot=0)
