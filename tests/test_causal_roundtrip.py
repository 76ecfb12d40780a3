"""Causal estimates round-trip as typed objects through their JSON records (run folders)."""

import json
import math

from satprofit.causal.results import CausalEstimate
from satprofit.runs import json_safe


def test_a_causal_estimate_survives_its_json_record():
    est = CausalEstimate(
        "presales_signoff",
        4.2,
        1.1,
        2.0,
        6.4,
        "pp",
        "regression",
        ("size", "client FE"),
        120,
        40,
        diagnostics={"overlap": 0.9},
        sensitivity={"e_value": 1.8, "e_value_ci": math.nan},
        note="fixed effects",
        status="ok",
    )
    rec = json.loads(json.dumps(json_safe(est.to_dict(full=True))))
    back = CausalEstimate.from_dict(rec)
    assert (back.estimand, back.estimate, back.n_clusters, back.note) == (
        "presales_signoff",
        4.2,
        40,
        "fixed effects",
    )
    assert back.adjustment_set == ("size", "client FE")
    assert back.sensitivity["e_value"] == 1.8 and math.isnan(back.sensitivity["e_value_ci"])
    assert back.diagnostics == {"overlap": 0.9}


def test_the_cli_record_keeps_its_keys():
    est = CausalEstimate("q", 1.0, 0.5, 0.0, 2.0, "pp", "naive", (), 10, 10)
    assert "n_clusters" not in est.to_dict() and "note" not in est.to_dict()
    assert CausalEstimate.from_dict(est.to_dict()).n_clusters == 0
