"""NPS with intervals: exact conjugate numbers, partial pooling, role weights and Kish's n,
comparisons, refusals and seeds (all numpy: no PyMC here)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from satprofit.constants import INTERVAL_QUANTILES
from satprofit.survey.nps import (
    client_trend,
    compare_groups,
    compare_last_periods,
    compare_periods,
    nps_summary,
    pooled_nps,
)
from satprofit.survey.nps_core import (
    category_codes,
    dm_loglik,
    effective_counts,
    kish_n,
    posterior_sd_nps,
)
from satprofit.survey.nps_data import NoNPSAnswers, NPSDataError, nps_data, period_labels

SCORE = {0: 3, 1: 8, 2: 10}  # a detractor, passive and promoter score


def surveys(counts_by_client: dict, *, dates=None, roles=None) -> pd.DataFrame:
    """A surveys frame with the given (detractors, passives, promoters) per client."""
    rows = []
    for cid, counts in counts_by_client.items():
        for cat, k in enumerate(counts):
            rows += [{"client_id": cid, "nps": SCORE[cat]}] * int(k)
    sv = pd.DataFrame(rows)
    sv["response_id"] = [f"R{i}" for i in range(len(sv))]
    sv["date"] = pd.Timestamp("2024-03-01") if dates is None else dates
    sv["csat"] = 3
    sv["nps"] = sv["nps"].astype("Int64")
    sv["respondent_role"] = "end user" if roles is None else roles
    return sv


def clients_of(segments: dict) -> pd.DataFrame:
    return pd.DataFrame({"client_id": list(segments), "size_band": list(segments.values())})


def test_categories_and_kish():
    assert list(category_codes(np.arange(11))) == [0] * 7 + [1, 1, 2, 2]
    assert kish_n(np.ones(10)) == pytest.approx(10)
    assert kish_n([1, 1, 2, 2]) == pytest.approx(36 / 10)
    codes = np.array([0, 0, 1, 2])
    assert list(effective_counts(codes)) == [2, 1, 1]
    eff = effective_counts(codes, np.array([1.0, 1.0, 1.0, 3.0]))
    assert eff.sum() == pytest.approx(kish_n([1, 1, 1, 3]))
    assert eff[2] / eff.sum() == pytest.approx(3 / 6)


def test_known_counts_give_the_exact_conjugate_posterior():
    """10 detractors, 20 passives, 30 promoters, Dirichlet(1,1,1): posterior Dirichlet(11, 21,
    31); mean NPS 100 * (31 - 11) / 63 exactly; sd and interval match the closed form."""
    sv = surveys({"A": (10, 20, 30)})
    data = nps_data(sv, clients=clients_of({"A": "small"}))
    res = nps_summary(data, draws=40000, seed=1)
    row = res.table.iloc[0]
    assert (row["n"], row["detractors"], row["passives"], row["promoters"]) == (60, 10, 20, 30)
    assert row["raw_nps"] == pytest.approx(100 * 20 / 60)
    assert row["estimate"] == pytest.approx(100 * 20 / 63, abs=1e-12)
    alpha = np.array([11.0, 21.0, 31.0])
    draws = res.draws[0]
    assert draws.std() == pytest.approx(float(posterior_sd_nps(alpha)), rel=0.02)
    # the interval against an independent sampler of the same Dirichlet
    ref = np.random.default_rng(9).dirichlet(alpha, 200000)
    ref = 100 * (ref[:, 2] - ref[:, 0])
    lo, hi = np.quantile(ref, INTERVAL_QUANTILES)
    assert row["ci_low"] == pytest.approx(lo, abs=0.6)
    assert row["ci_high"] == pytest.approx(hi, abs=0.6)
    jeff = nps_summary(data, prior="jeffreys", draws=1000, seed=1).table.iloc[0]
    assert jeff["estimate"] == pytest.approx(100 * 20 / 61.5, abs=1e-12)
    custom = nps_summary(data, prior=(2, 2, 2), draws=1000, seed=1).table.iloc[0]
    assert custom["estimate"] == pytest.approx(100 * 20 / 66, abs=1e-12)
    with pytest.raises(ValueError, match="three finite numbers"):
        nps_summary(data, prior=(1, 0, 1))


def test_same_seed_same_numbers():
    sv = surveys({"A": (3, 1, 0), "B": (5, 10, 25), "C": (2, 2, 2), "D": (1, 0, 6)})
    cl = clients_of({"A": "small", "B": "small", "C": "large", "D": "large"})
    data = nps_data(sv, clients=cl)
    for fn in (nps_summary, pooled_nps):
        a, b, c = fn(data, seed=5), fn(data, seed=5), fn(data, seed=6)
        pd.testing.assert_frame_equal(a.table, b.table)
        assert np.array_equal(a.draws, b.draws)
        assert not np.array_equal(a.draws, c.draws)


def test_dm_loglik_is_the_multinomial_integrated_over_the_dirichlet():
    rng = np.random.default_rng(0)
    alpha, y = np.array([2.0, 1.5, 3.0]), np.array([3.0, 0.0, 2.0])
    p = rng.dirichlet(alpha, 400000)
    mc = np.mean(np.prod(p**y, axis=1))  # E[prod p^y], multinomial without its coefficient
    assert dm_loglik(y, alpha) == pytest.approx(np.log(mc), abs=0.01)


def _portfolio_with_small_and_large_client():
    """Two segments of 8 clients; in the 'small' segment, client S0 has 4 answers (all
    detractors) and S1 has 40 (all detractors); the other clients lean promoter."""
    counts, segs = {}, {}
    rng = np.random.default_rng(3)
    for s in ("small", "large"):
        for i in range(8):
            cid = f"{s[0].upper()}{i}"
            counts[cid] = tuple(rng.multinomial(12, [0.2, 0.3, 0.5]))
            segs[cid] = s
    counts["S0"] = (4, 0, 0)
    counts["S1"] = (40, 0, 0)
    return surveys(counts), clients_of(segs)


def test_pooling_shrinks_a_4_answer_client_more_than_a_40_answer_one():
    sv, cl = _portfolio_with_small_and_large_client()
    res = pooled_nps(nps_data(sv, clients=cl), seed=2)
    small, big = res.row(client_id="S0"), res.row(client_id="S1")
    seg = res.segments.set_index("segment").loc["small", "estimate"]
    assert small["raw_nps"] == big["raw_nps"] == -100
    # both pulled toward the segment, the 4-answer client much further
    assert small["shrinkage"] > big["shrinkage"] + 0.3
    assert small["estimate"] - (-100) > 2 * (big["estimate"] - (-100))
    assert -100 < big["estimate"] < small["estimate"] < seg
    # its interval is wider (fewer answers), and a client's own interval holds its estimate
    assert small["ci_high"] - small["ci_low"] > big["ci_high"] - big["ci_low"]
    assert (res.table["ci_low"] <= res.table["estimate"]).all()
    assert res.kappa["importance_ess"] > 400
    json.dumps(res.to_dict(), allow_nan=False)


def test_clients_without_answers_are_listed_with_their_segments_prediction():
    sv, cl = _portfolio_with_small_and_large_client()
    cl = pd.concat([cl, pd.DataFrame({"client_id": ["Z9"], "size_band": ["large"]})])
    res = pooled_nps(nps_data(sv, clients=cl), seed=2)
    z = res.row(client_id="Z9")
    assert z["n"] == 0 and np.isnan(z["raw_nps"]) and z["shrinkage"] == 1.0
    assert any("gave no nps answer" in n for n in res.notes)


def test_role_weights_change_the_answer_and_the_kish_n():
    sv = surveys({"A": (10, 0, 10)})
    sv["respondent_role"] = ["executive sponsor"] * 10 + ["end user"] * 10  # sponsors detract
    cl = clients_of({"A": "small"})
    plain = nps_summary(nps_data(sv, clients=cl), seed=1).table.iloc[0]
    data = nps_data(sv, clients=cl, role_weights='{"Executive Sponsor": 3}')
    weighted = nps_summary(data, seed=1).table.iloc[0]
    assert plain["raw_nps"] == 0 and plain["n_eff"] == 20
    assert weighted["raw_nps"] == pytest.approx(100 * (10 - 30) / 40)
    assert weighted["n_eff"] == pytest.approx(40**2 / (10 * 9 + 10))  # Kish: 16
    assert weighted["n"] == 20
    # the posterior is Dirichlet(prior + 16 x the weighted shares): 16 answers' worth of
    # information, not 20 (the answers) nor 40 (the sum of the weights)
    alpha = np.array([1.0, 1.0, 1.0]) + 16 * np.array([0.75, 0.0, 0.25])
    assert weighted["estimate"] == pytest.approx(100 * (alpha[2] - alpha[0]) / alpha.sum())
    sd = nps_summary(data, seed=1, draws=40000).draws[0].std()
    assert sd == pytest.approx(float(posterior_sd_nps(alpha)), rel=0.02)
    naive = np.array([1.0, 1.0, 1.0]) + 40 * np.array([0.75, 0.0, 0.25])
    assert sd > 1.3 * float(posterior_sd_nps(naive))
    assert any("count 1" in n for n in data.notes)


def test_role_weights_are_checked():
    sv = surveys({"A": (1, 1, 1)})
    cl = clients_of({"A": "small"})
    with pytest.raises(NPSDataError, match="respondent_role.*'ceo'"):
        nps_data(sv, clients=cl, role_weights={"ceo": 2})
    with pytest.raises(NPSDataError, match="number > 0"):
        nps_data(sv, clients=cl, role_weights={"end user": -1})
    with pytest.raises(NPSDataError, match="not valid JSON"):
        nps_data(sv, clients=cl, role_weights="{end user: 2")


def test_a_big_rise_has_p_rose_near_one():
    dates = [pd.Timestamp("2023-03-01")] * 50 + [pd.Timestamp("2023-09-01")] * 50
    sv = surveys({"A": (40, 5, 5)}, dates=dates[:50])
    sv = pd.concat([sv, surveys({"A": (5, 5, 40)}, dates=dates[50:])], ignore_index=True)
    data = nps_data(sv, clients=clients_of({"A": "small"}))
    cmp = compare_periods(data, "2023-07-01", seed=1)
    row = cmp.table.iloc[0]
    assert row["p_rose"] > 0.999
    assert row["difference"] == pytest.approx(row["nps_b"] - row["nps_a"], abs=1.5)
    assert row["ci_low"] > 40
    last = compare_last_periods(data, seed=1).table.iloc[0]
    assert (last["a"], last["b"]) == ("2023-H1", "2023-H2")
    assert last["p_rose"] > 0.999
    json.dumps(cmp.to_dict(), allow_nan=False)


def test_no_change_gives_p_rose_near_a_half_and_groups_compare():
    sv = surveys({"A": (10, 10, 10), "B": (10, 10, 10), "C": (2, 4, 24)})
    cl = clients_of({"A": "small", "B": "large", "C": "large"})
    data = nps_data(sv, clients=cl)
    same = compare_groups(data, "client_id", "A", "B", seed=3).table.iloc[0]
    assert 0.3 < same["p_rose"] < 0.7
    rose = compare_groups(data, "segment", "small", "large", seed=3).table.iloc[0]
    assert rose["p_rose"] > 0.9 and rose["n_b"] == 60
    with pytest.raises(NoNPSAnswers, match="'huge'"):
        compare_groups(data, "segment", "small", "huge")


def test_pooled_per_client_comparison_and_trend():
    sv, cl = _portfolio_with_small_and_large_client()
    sv["date"] = np.where(np.arange(len(sv)) % 2, "2024-08-01", "2024-02-01")
    sv["date"] = pd.to_datetime(sv["date"])
    data = nps_data(sv, clients=cl)
    cmp = compare_last_periods(data, by="client_id", pooled=True, seed=1)
    assert set(cmp.table["client_id"]) == set(cl["client_id"])
    assert cmp.table["p_rose"].between(0, 1).all()
    tr = client_trend(data, "S1", seed=1)
    assert list(tr.periods["period"]) == ["2024-H1", "2024-H2"]
    assert tr.periods["n"].sum() == 40
    assert tr.change is not None and 0 <= tr.change["p_rose"] <= 1
    json.dumps(tr.to_dict(), allow_nan=False)
    # one fit for every client (a batch of reports): the same trend as a fit per client
    from satprofit.survey.nps import trend_fit

    fit = trend_fit(data, seed=1)
    for cid in cl["client_id"]:
        alone, shared = client_trend(data, cid, seed=1), client_trend(data, cid, seed=1, fit=fit)
        pd.testing.assert_frame_equal(alone.periods, shared.periods)
        assert alone.change == shared.change


def test_responses_without_nps_are_left_out_with_a_note():
    sv = surveys({"A": (2, 2, 2)})
    sv.loc[:1, "nps"] = pd.NA
    data = nps_data(sv, clients=clients_of({"A": "small"}))
    assert data.n == 4 and data.n_ignored == 2
    assert any("2 of 6 responses have no nps answer" in n for n in data.notes)


def test_no_nps_answers_is_a_refusal_not_a_number():
    sv = surveys({"A": (2, 2, 2)})
    sv["nps"] = pd.array([pd.NA] * len(sv), dtype="Int64")
    with pytest.raises(NoNPSAnswers, match="none of the 6 responses has an nps answer"):
        nps_summary(nps_data(sv, clients=clients_of({"A": "small"})))


def test_bad_input_names_table_column_rule_and_rows():
    sv = surveys({"A": (2, 2, 2)})
    sv["nps"] = sv["nps"].astype(object)
    sv.loc[3, "nps"] = 11
    with pytest.raises(NPSDataError, match=r"surveys\.nps: 1 row.*0\.\.10.*response R3: 11"):
        nps_data(sv, clients=clients_of({"A": "small"}))
    with pytest.raises(NPSDataError, match=r"clients\.tier: no such column"):
        nps_data(surveys({"A": (1, 1, 1)}), clients=clients_of({"A": "small"}), segment="tier")
    with pytest.raises(NPSDataError, match=r"surveys: column\(s\) \['nps'\] missing"):
        nps_data(surveys({"A": (1, 1, 1)}).drop(columns="nps"), clients=clients_of({"A": "s"}))


def test_period_labels():
    d = pd.Series(pd.to_datetime(["2024-01-15", "2024-07-01", "2023-12-31"]))
    assert list(period_labels(d, "half-year")) == ["2024-H1", "2024-H2", "2023-H2"]
    assert list(period_labels(d, "year")) == ["2024", "2024", "2023"]
    assert list(period_labels(d, "quarter")) == ["2024Q1", "2024Q3", "2023Q4"]


def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sv, cl = _portfolio_with_small_and_large_client()
    data = nps_data(sv, clients=cl)
    for fig in (
        pooled_nps(data, seed=1, draws=500).plot(),
        nps_summary(data, by="segment", draws=500).plot(),
        compare_groups(data, "segment", "small", "large", draws=500).plot(),
    ):
        assert fig.axes
        plt.close(fig)
