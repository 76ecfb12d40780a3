"""The Bayesian multilevel ordinal path model, fast checks: the standardization maths on known
cases, the encoding of answers (unused and rare categories), refusals (one-item construct, one
answer, too few respondents) without a traceback, and tiny fits for the shape of the result,
determinism (same seed, same numbers) and ``satprofit paths --method bayes --json``.
The statistical checks (ECSI vs PLS, the generator's truth) are in test_bayes_paths_slow.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from satprofit.cli import main
from satprofit.survey import SurveyDataError, load_spec, read_portfolio_survey
from satprofit.survey.bayes_model import BayesPathDataError, collapse_categories, encode_items
from satprofit.survey.bayes_paths import fit_bayes_paths, standardize
from satprofit.survey.spec import SurveySpec

from .conftest import ECSI_CSV

TINY = ["--draws", "15", "--tune", "15", "--chains", "1"]
ECSI_NAMES = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]


def _chain_spec(paths: list[tuple[str, str]], names: list[str]) -> SurveySpec:
    """A spec of two-item constructs ``names`` (in causal order) and ``paths``."""
    from satprofit.survey.spec import Construct

    constructs = tuple(Construct(n, (f"{n.lower()}1", f"{n.lower()}2")) for n in names)
    return SurveySpec(constructs, tuple(paths))


def test_standardized_paths_r_squared_and_effects_on_known_cases():
    # X -> Y with unit residuals: beta* = b / sqrt(b^2 + 1), R^2 = b^2 / (b^2 + 1)
    spec = _chain_spec([("X", "M"), ("M", "Y")], ["X", "M", "Y"])
    b = np.array([[2.0, 0.5]])
    out = standardize(b, spec)
    bm, by = 2 / np.sqrt(5), 0.5 * np.sqrt(5) / np.sqrt(0.25 * 5 + 1)
    assert out["direct"][0, 1, 0] == pytest.approx(bm)
    assert out["direct"][0, 2, 1] == pytest.approx(by)
    assert out["r_squared"][0, 1] == pytest.approx(4 / 5)
    assert np.isnan(out["r_squared"][0, 0])
    # total effect of X on Y through M: the product of the standardized paths
    assert out["total"][0, 2, 0] == pytest.approx(bm * by)
    # a client effect of sd 1 on X only: X's variance is 2, half of it at the client level
    tau = np.array([[1.0, 0.0, 0.0]])
    out = standardize(b, spec, client_sd=tau)
    assert out["client_share"][0, 0] == pytest.approx(0.5)
    assert out["direct"][0, 1, 0] == pytest.approx(2 * np.sqrt(2) / np.sqrt(4 * 2 + 1))


def test_standardize_uses_the_exogenous_correlation():
    spec = _chain_spec([("A", "Y"), ("B", "Y")], ["A", "B", "Y"])
    corr = np.array([[[1.0, 0.5], [0.5, 1.0]]])
    out = standardize(np.array([[1.0, 1.0]]), spec, corr=corr)
    var_y = 1 + 1 + 2 * 0.5 + 1  # b' R b + 1
    assert out["sd"][0, 2] == pytest.approx(np.sqrt(var_y))
    assert out["r_squared"][0, 2] == pytest.approx(3 / 4)


def test_unused_answers_get_no_category_and_rare_ones_are_merged():
    x = np.array([1, 1, 1, 3, 3, 3, 3, 9, 10, 10, 10], dtype=float)
    codes, cats = collapse_categories(x, min_count=3)
    # 2 and 4..8 unused: no category; 9 (once) merged into its smaller neighbour 10
    assert cats == [(1.0,), (3.0,), (9.0, 10.0)]
    assert list(codes) == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    codes, cats = collapse_categories(np.array([0.0, 1, 1, 1, 1]), min_count=3)
    assert cats == [(0.0,), (1.0,)]  # never fewer than two categories


def test_a_one_item_construct_an_answer_given_by_all_and_tiny_data_are_refused(ecsi, ecsi_spec):
    one_item = SurveySpec(
        tuple(c if c.name != "VAL" else type(c)(c.name, c.items[:1]) for c in ecsi_spec.constructs),
        ecsi_spec.paths,
        source="one.yaml",
    )
    with pytest.raises(BayesPathDataError, match="VAL has one item"):
        encode_items(ecsi.items[one_item.items], one_item)
    with pytest.raises(BayesPathDataError, match="9 respondents"):
        encode_items(ecsi.items.head(9), ecsi_spec)
    constant = ecsi.items.assign(sat1=7.0)
    with pytest.raises(BayesPathDataError, match="item sat1 has one answer only"):
        encode_items(constant, ecsi_spec)
    with pytest.raises(SurveyDataError, match="the same value"):  # checked as for PLS
        fit_bayes_paths(constant, ecsi_spec)
    with pytest.raises(BayesPathDataError, match="client ids for 250"):
        encode_items(ecsi.items, ecsi_spec, clients=["a"] * 3)


def test_the_cli_refuses_bad_input_without_a_traceback(tmp_path, capsys):
    frame = pd.read_csv(ECSI_CSV)
    small = tmp_path / "ecsi_small.csv"
    frame.head(8).to_csv(small, index=False)
    assert main(["paths", str(small), "--spec", "ecsi", "--method", "bayes"]) == 2
    err = capsys.readouterr().err
    assert "8 respondents; the Bayesian path model needs at least 10" in err
    assert "Traceback" not in err
    assert (
        main(["paths", str(ECSI_CSV), "--spec", "ecsi", "--method", "bayes", "--draws", "0"]) == 2
    )
    assert "--draws 0" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ecsi_small(tmp_path_factory):
    path = tmp_path_factory.mktemp("bayes") / "ecsi_small.csv"
    pd.read_csv(ECSI_CSV).head(40).to_csv(path, index=False)
    return path


def test_cli_json_has_the_pls_keys_and_the_same_seed_gives_the_same_numbers(ecsi_small, capsys):
    outs = []
    for _ in range(2):
        argv = ["paths", str(ecsi_small), "--spec", "ecsi", "--method", "bayes", "--json"]
        assert main([*argv, *TINY, "--seed", "3"]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    a, b = outs
    for record in outs:
        record["diagnostics"].pop("seconds")
    assert a == b
    assert {"paths", "r_squared", "total_effects", "diagnostics", "settings"} <= set(a)
    assert [c["construct"] for c in a["measurement"]["constructs"]] == ECSI_NAMES
    assert a["method"] == "bayes" and a["multilevel"] is False and a["n"] == 40
    assert len(a["paths"]) == 10 and len(a["total_effects"]) == 15
    for row in a["paths"] + a["total_effects"]:
        assert set(row) == {"from", "to", "estimate", "ci_low", "ci_high"}
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    assert set(a["r_squared"]) == {"EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert all(0 <= v <= 1 for v in a["r_squared"].values())
    assert set(a["diagnostics"]) >= {"rhat_max", "ess_min", "divergences", "converged"}
    assert a["diagnostics"]["converged"] is False  # 15 draws cannot pass the gate
    assert any("single-level model" in n for n in a["notes"])
    assert a["settings"]["draws"] == 15 and a["settings"]["seed"] == 3


def test_the_table_names_the_model_and_the_gate(ecsi_small, capsys):
    # PyMC's sampler here (nutpie, the default, in the JSON test above)
    argv = ["paths", str(ecsi_small), "--spec", "ecsi", "--method", "bayes", *TINY]
    assert main([*argv, "--sampler", "pymc"]) == 0
    captured = capsys.readouterr()
    assert "(15 tuning, pymc sampler)" in captured.out
    assert "Bayesian ordinal path model" in captured.out and "single level" in captured.out
    assert "IMAG -> EXPE" in captured.out and "NOT converged" in captured.out
    assert "measurement (items, from PLS composites):" in captured.out
    assert "convergence gate" in captured.err


@pytest.mark.slow  # ~27 s: a multilevel fit; the fast suite fits the single-level model (CLI test)
def test_a_portfolio_fits_respondents_nested_in_clients(small_sim, tmp_path):
    folder = small_sim.write(tmp_path / "sim")
    spec = load_spec("satprofit_survey")
    data = read_portfolio_survey(folder, spec)
    surveys = small_sim.portfolio.surveys.set_index("response_id")["client_id"]
    assert data.clients is not None and len(data.clients) == len(data.items)
    assert (data.clients.to_numpy() == surveys.to_numpy()[: len(data.clients)]).all()
    with pytest.warns(UserWarning, match="convergence gate"):
        result = fit_bayes_paths(data, spec, draws=10, tune=10, chains=1, seed=1)
    assert result.multilevel and result.n_clients == data.clients.nunique()
    record = result.to_dict()
    assert set(record["client_share"]) == set(spec.names)
    assert all(0 <= v <= 1 for v in record["client_share"].values())
    assert {(p["from"], p["to"]) for p in record["paths"]} == set(spec.paths)
    fig = result.plot()
    assert len(fig.axes[0].get_yticklabels()) == len(record["paths"]) + len(
        record["indirect_effects"]
    ) + len(record["total_effects"])


def test_the_exogenous_correlation_prior_is_lkj():
    """The C-vine construction gives LKJ(eta): each correlation's marginal is
    Beta(eta - 1 + n/2, same) on (-1, 1) (Lewandowski, Kurowicka and Joe 2009), and the
    factor's rows have unit length. KS test on 4,000 prior draws, first, last and corner pair."""
    import pymc as pm
    from scipy import stats

    from satprofit.survey.bayes_model import lkj_cholesky

    for n in (3, 4):
        with pm.Model():
            factor = lkj_cholesky("cpc", n, 2.0)
            pm.Deterministic("corr", factor @ factor.T)
            prior = pm.sample_prior_predictive(draws=4000, random_seed=1)
        corr = prior.prior["corr"].to_numpy().reshape(-1, n, n)
        assert np.allclose(np.diagonal(corr, axis1=1, axis2=2), 1.0)
        assert (np.linalg.eigvalsh(corr) > 0).all()
        a = 2.0 - 1 + n / 2
        for i, j in [(1, 0), (n - 1, n - 2), (n - 1, 0)]:
            p = stats.kstest((corr[:, i, j] + 1) / 2, stats.beta(a, a).cdf).pvalue
            assert p > 0.001, (n, i, j, p)
