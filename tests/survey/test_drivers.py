"""Key drivers: shares of R-squared with seeded, client-clustered bootstrap intervals, the
quadrant, causal labels from the spec's question ids, the CLI, ECSI and the generator."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from satprofit.cli import main
from satprofit.questions import QUESTION_IDS
from satprofit.survey import (
    QUESTION_OUTCOMES,
    SpecError,
    causal_labels,
    key_drivers,
    load_spec,
    portfolio_scores,
    survey_key_drivers,
)
from satprofit.survey import drivers as KD
from satprofit.survey.spec import parse_spec

from .conftest import ECSI_CSV

matplotlib.use("Agg")


def _frame(rng, n=300, clients=30):
    x = rng.standard_normal((n, 3))
    x[:, 1] += 0.5 * x[:, 0]  # correlated drivers
    y = 0.8 * x[:, 0] + 0.4 * x[:, 1] + 0.1 * x[:, 2] + rng.standard_normal(n)
    f = pd.DataFrame(x * 10 + 50, columns=["a", "b", "c"]).assign(y=y)
    return f.assign(client=np.repeat(np.arange(clients), n // clients).astype(str))


# --------------------------------------------------------------------------- key_drivers


def test_shares_sum_to_r_squared_with_intervals_ranks_and_p_first(rng):
    f = _frame(rng)
    r = key_drivers(f, "y", ["a", "b", "c"], clusters=f["client"], n_boot=200, seed=3)
    t = r.table
    assert t["rw"].sum() == pytest.approx(r.r_squared, abs=1e-12)
    assert t["shapley"].sum() == pytest.approx(r.r_squared, abs=1e-12)
    assert t["rw_share"].sum() == pytest.approx(1, abs=1e-12)
    for m in KD.METHODS:
        assert (t[f"{m}_low"] <= t[m]).all() and (t[m] <= t[f"{m}_high"]).all()
        assert (t[f"{m}_share_low"] <= t[f"{m}_share"]).all()
        assert t[f"{m}_p_first"].sum() == pytest.approx(1)
    assert r.ranking() == ["a", "b", "c"] and r.ranking("shapley") == ["a", "b", "c"]
    assert r.r_squared_interval[0] < r.r_squared < r.r_squared_interval[1]
    assert r.n == 300 and r.n_clusters == 30 and r.n_boot == 200


def test_the_bootstrap_is_seeded(rng):
    f = _frame(rng)

    def run(seed):
        return key_drivers(
            f, "y", ["a", "b", "c"], clusters=f["client"], n_boot=50, seed=seed
        ).table

    pd.testing.assert_frame_equal(run(7), run(7))
    assert not np.allclose(run(7)["rw_low"], run(8)["rw_low"])


def test_the_bootstrap_resamples_whole_clients(rng):
    groups = np.repeat(np.arange(6), [3, 1, 4, 2, 5, 1])
    w = KD._resample_weights(rng, 40, groups, len(groups))
    for g in range(6):  # every row of a client carries the client's draw count
        rows = w[:, groups == g]
        assert (rows == rows[:, :1]).all()
    assert (np.bincount(groups, minlength=6) > 0).all()
    counts = w[:, [np.flatnonzero(groups == g)[0] for g in range(6)]]
    assert (counts.sum(axis=1) == 6).all()  # 6 clients drawn per resample


def test_clustered_intervals_are_wider_when_clients_share_a_level(rng):
    n, k = 400, 20
    client = np.repeat(np.arange(k), n // k)
    shared = rng.standard_normal(k)[client]  # a client-level driver: 20 values, not 400
    x1 = shared + 0.1 * rng.standard_normal(n)
    x2 = rng.standard_normal(n)
    y = x1 + x2 + rng.standard_normal(n)
    f = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    flat = key_drivers(f, "y", ["x1", "x2"], n_boot=300, seed=1).table
    clus = key_drivers(f, "y", ["x1", "x2"], clusters=client, n_boot=300, seed=1).table
    assert _width(clus) > 1.3 * _width(flat)


def _width(t: pd.DataFrame) -> float:
    return t.loc["x1", "rw_high"] - t.loc["x1", "rw_low"]


def test_quadrants_split_at_the_means():
    assert KD.quadrant(0.5, 80, 0.3, 60) == "keep up"
    assert KD.quadrant(0.5, 40, 0.3, 60) == "fix first"
    assert KD.quadrant(0.1, 80, 0.3, 60) == "possible overkill"
    assert KD.quadrant(0.1, 40, 0.3, 60) == "low priority"
    assert KD.quadrant(0.3, 60, 0.3, 60) == "keep up"  # ties count as high
    assert KD.quadrant(np.nan, 60, 0.3, 60) == "not placed"


def test_quadrant_assignment_in_a_result(rng):
    f = _frame(rng)
    perf = pd.DataFrame({"a": [30.0] * 300, "b": [90.0] * 300, "c": [70.0] * 300})
    r = key_drivers(f, "y", ["a", "b", "c"], performance=perf, n_boot=0, seed=1)
    t = r.table
    assert r.thresholds[1] == pytest.approx(190 / 3)
    assert t.loc["a", "quadrant"] == "fix first"  # most important, lowest performance
    assert t.loc["c", "quadrant"] == "possible overkill"
    assert t["performance"].tolist() == [30.0, 90.0, 70.0]
    assert np.isnan(t["rw_low"]).all() and r.n_boot == 0


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.assign(b="x"), "column b: 300 row"),
        (lambda f: f.assign(c=1.0), "column c: the same value"),
        (lambda f: f.assign(a=f["a"].where(f.index != 4)), r"column a: 1 row.*rows 4"),
        (lambda f: f.head(5), "5 rows"),
        (lambda f: f.assign(c=f["a"] + f["b"]), "collinear"),
    ],
)
def test_bad_input_names_the_column_and_rule(rng, change, match):
    f = change(_frame(rng))
    with pytest.raises(ValueError, match=match):
        key_drivers(f, "y", ["a", "b", "c"], n_boot=10, source="my.csv")


def test_too_few_clients_or_drivers_are_refused(rng):
    f = _frame(rng)
    with pytest.raises(ValueError, match="at least 5"):
        key_drivers(f, "y", ["a", "b"], clusters=np.repeat(["u", "v"], 150), n_boot=5)
    with pytest.raises(ValueError, match="at least 2 drivers"):
        key_drivers(f, "y", ["a"], n_boot=5)
    with pytest.raises(ValueError, match="no column 'zz'"):
        key_drivers(f, "y", ["a", "zz"], n_boot=5)


def test_summary_dict_and_plot(rng):
    f = _frame(rng)
    r = key_drivers(f, "y", ["a", "b", "c"], labels={"a": "A $5"}, n_boot=40, seed=1)
    s = r.summary()
    assert s["rw %"].sum() == pytest.approx(100)
    record = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert [d["driver"] for d in record["drivers"]] == ["a", "b", "c"]
    fig = r.plot()
    assert fig.axes[0].get_ylabel().startswith("Importance")
    import matplotlib.pyplot as plt

    plt.close(fig)


# --------------------------------------------------------------------------- causal labels


def test_question_outcomes_cover_every_question_id():
    assert set(QUESTION_OUTCOMES) == set(QUESTION_IDS)


def test_causal_labels_come_from_the_spec():
    spec = load_spec("satprofit_survey")
    sat = causal_labels(spec, "SAT", ["QUAL", "COMM", "REL"])
    assert sat["causal"].tolist() == [True, True, False]
    assert sat.loc["QUAL", "question"] == "quality_to_csat"
    assert sat.loc["COMM", "question"] == "status_reports_to_csat"
    assert "Does delivery quality raise satisfaction?" in sat.loc["QUAL", "evidence"]
    assert causal_labels(spec, "csat", ["QUAL", "REL"])["causal"].tolist() == [True, False]
    assert causal_labels(spec, "sat1", ["QUAL"])["causal"].all()  # an item of SAT
    loy = causal_labels(spec, "LOY", ["QUAL", "SAT"])  # the questions are about csat
    assert not loy["causal"].any() and "not on" in loy.loc["QUAL", "evidence"]
    items = causal_labels(spec, "SAT", ["qual1", "comm1"])
    assert not items["causal"].any() and "not one item's" in items.loc["qual1", "evidence"]
    ecsi = load_spec("ecsi")
    assert not causal_labels(ecsi, "SAT", ["IMAG", "EXPE", "QUAL", "VAL"])["causal"].any()


@pytest.mark.parametrize(
    ("body", "key", "rule"),
    [
        ("question: quality_to_happiness", "constructs.A.question", "not a question id"),
        ("measures: happiness", "constructs.A.measures", "not a question outcome"),
        ("question: [quality_to_csat]", "constructs.A.question", "must be text"),
    ],
)
def test_spec_question_keys_are_validated(body, key, rule):
    text = f"constructs:\n  A:\n    items: [a1, a2]\n    {body}\n  B: [b1, b2]\npaths:\n  A: [B]\n"
    with pytest.raises(SpecError) as err:
        parse_spec(text, "my.yaml")
    assert err.value.key == key and rule in err.value.rule and err.value.file == "my.yaml"


# --------------------------------------------------------------------------- data


def test_ecsi_drivers_sum_to_r_squared_rank_stably_and_are_associational(ecsi_spec):
    sat = survey_key_drivers(ECSI_CSV, ecsi_spec, "SAT", n_boot=300, seed=1)
    t = sat.table
    assert list(t.index) == ["IMAG", "EXPE", "QUAL", "VAL"]
    assert t["rw"].sum() == pytest.approx(sat.r_squared, abs=1e-12)
    assert t["shapley"].sum() == pytest.approx(sat.r_squared, abs=1e-12)
    assert 0.6 < sat.r_squared < 0.75 and sat.n == 250 and sat.n_clusters is None
    assert sat.ranking() == sat.ranking("shapley") == ["VAL", "IMAG", "QUAL", "EXPE"]
    assert t.loc["VAL", "rw_p_first"] > 0.95
    other = survey_key_drivers(ECSI_CSV, ecsi_spec, "SAT", n_boot=300, seed=2)
    assert other.ranking() == sat.ranking()  # ranks stable across bootstrap seeds
    assert not t["causal"].any()
    loy = survey_key_drivers(ECSI_CSV, ecsi_spec, "LOY", n_boot=100, seed=1)
    assert list(loy.table.index) == ["IMAG", "SAT"] and loy.ranking() == ["SAT", "IMAG"]
    assert loy.table["rw"].sum() == pytest.approx(loy.r_squared, abs=1e-12)
    assert any("observed range 0..10" in n for n in sat.notes)


def test_ecsi_items_as_drivers(ecsi_spec):
    r = survey_key_drivers(ECSI_CSV, ecsi_spec, "LOY", items=True, n_boot=0, seed=1)
    assert len(r.table) == 5 + 4  # IMAG's and SAT's items
    assert r.table["shapley"].sum() == pytest.approx(r.r_squared, abs=1e-12)


def test_a_strong_independent_driver_outranks_a_weak_one_on_the_generator(sim):
    """QUAL and COMM are nearly uncorrelated in the simulator; on-time delivery moves csat far
    more across respondents than status reports do (truth per SD of the treatment)."""
    spec = load_spec("satprofit_survey")
    scores = portfolio_scores(sim.portfolio, spec)
    f = scores.frame
    assert abs(f[["QUAL", "COMM"]].corr().iloc[0, 1]) < 0.2
    r = key_drivers(f, "csat", ["QUAL", "COMM"], clusters=f["client_id"], n_boot=200, seed=1)
    assert r.ranking() == ["QUAL", "COMM"]
    assert r.table.loc["QUAL", "rw_p_first"] > 0.9
    assert r.n_clusters == f["client_id"].nunique()


def test_portfolio_scores_are_on_0_to_100(sim):
    spec = load_spec("satprofit_survey")
    s = portfolio_scores(sim.portfolio, spec)
    assert s.constructs.min().min() >= 0 and s.constructs.max().max() <= 100
    assert s.scales["rel1"] == (1.0, 5.0) and s.scales["qual1"] == (0.0, 10.0)
    assert set(s.frame["client_id"]) <= set(sim.portfolio.clients["client_id"])


# --------------------------------------------------------------------------- CLI


def test_cli_json_is_one_object(capsys):
    args = ["drivers", "data/sample", "--spec", "satprofit_survey", "--outcome", "SAT"]
    assert main([*args, "--boot", "60", "--seed", "4", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert {"outcome", "r_squared", "drivers", "quadrant", "settings", "n", "n_clusters"} <= set(
        record
    )
    assert [d["driver"] for d in record["drivers"]] == ["QUAL", "COMM", "REL"]
    first = record["drivers"][0]
    assert set(first["rw"]) == {
        "estimate", "ci_low", "ci_high", "share", "share_low", "share_high", "rank", "p_first",
    }  # fmt: skip
    assert first["causal"] is True and first["question"] == "quality_to_csat"
    assert record["drivers"][2]["causal"] is False
    assert record["settings"]["resampled"] == "clients" and record["n_clusters"] == 80
    total = sum(d["rw"]["estimate"] for d in record["drivers"])
    assert total == pytest.approx(record["r_squared"]["estimate"])


def test_cli_table_and_errors(capsys, tmp_path):
    assert (
        main(["drivers", str(ECSI_CSV), "--spec", "ecsi", "--outcome", "SAT", "--boot", "20"]) == 0
    )
    out = capsys.readouterr().out
    assert "key drivers of SAT" in out and "no question of QUESTIONS.md" in out
    assert main(["drivers", str(ECSI_CSV), "--spec", "ecsi", "--outcome", "NOPE"]) == 2
    assert "outcome 'NOPE'" in capsys.readouterr().err
    bad = tmp_path / "s.csv"
    pd.read_csv(ECSI_CSV).assign(imag1=lambda d: d["imag1"].astype(object).where(
        d.index != 2, "n/a")).to_csv(bad, index=False)  # fmt: skip
    assert main(["drivers", str(bad), "--spec", "ecsi", "--outcome", "SAT"]) == 2
    err = capsys.readouterr().err
    assert "imag1" in err and "non-numeric" in err and "Traceback" not in err


def test_cli_cluster_column_of_a_file(capsys, tmp_path):
    f = pd.read_csv(ECSI_CSV).assign(client=lambda d: (d.index // 10).astype(str))
    path = tmp_path / "clustered.csv"
    f.to_csv(path, index=False)
    args = ["drivers", str(path), "--spec", "ecsi", "--outcome", "SAT", "--boot", "30"]
    assert main([*args, "--cluster", "client", "--scale", "0", "10", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_clusters"] == 25 and record["notes"] == []
    assert main([*args, "--cluster", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
