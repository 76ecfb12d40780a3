"""Coverage of the NPS intervals by simulation (slow): 200 replications of 30 clients with
3-20 respondents each, three true concentrations. The table is printed (``-s``) and can be
reproduced with ``python -m satprofit.validation.nps_coverage``."""

from __future__ import annotations

import pytest

from satprofit.validation.nps_coverage import coverage_study, replicate


def test_one_replication_is_fast_and_complete():
    rows = replicate(0, seed=1, n_clients=10, kappas=(10.0,), draws=300)
    targets = {r[0] for r in rows}
    assert targets == {
        "portfolio",
        "client (pooled)",
        "difference",
        "portfolio, role-weighted",
        "client change (pooled)",
    }
    assert sum(r[0] == "client (pooled)" for r in rows) == 10


@pytest.mark.slow
def test_intervals_cover_the_true_nps_90_to_99_percent():
    table = coverage_study(200, n_clients=30)
    print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    main = table[~table["target"].str.contains("respondents")]
    assert set(main["target"]) == {
        "portfolio",
        "client (pooled)",
        "difference",
        "portfolio, role-weighted",
        "client change (pooled)",
    }
    for _, row in main.iterrows():
        assert 0.90 <= row["coverage"] <= 0.99, row.to_dict()
    # per client, the average over clients and every size of client
    by_n = table[table["target"].str.contains("respondents")]
    assert by_n["coverage"].between(0.90, 0.99).all(), by_n
