"""The order of the simulator's random draws is pinned: same seed, same world, to the byte.

Every table and truth of a simulated world follows from the order in which the steps of
:mod:`satprofit.simulate.generator` draw from the one generator; the shipped calibration
summaries and the sample data were made with it. A change that adds, removes or reorders a
draw changes every world. If that is intended, say so in the commit and print the new pins
with ``python -m tests.simulate.test_rng_order``.

Tables are hashed from their CSV text with floats at 6 decimals, so a last-digit difference of
``exp`` or ``log`` between numpy builds does not count as a change; the truth is compared to
1e-9 relative.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from satprofit.simulate.generator import simulate_world
from satprofit.simulate.truth import compute_truth

#: Small worlds covering each branch of the draws: decided at the close or at the proposal,
#: with a win rate, opening renewals, one milestone.
SIZE = {"n_clients": 25, "n_quarters": 6, "seed": 3}
DESIGNS = ("default", "decided_at_proposal", "funnel", "opening_renewals", "binary_ontime")
#: Estimands whose true value is pinned (client-quarter and project level).
ESTIMANDS = ("csat_to_repeat.value", "presales_signoff", "quality_to_csat")

#: Printed by `python -m tests.simulate.test_rng_order` (first at commit 196456d, before the
#: generator was split into steps; the split kept them).
PINS: dict[str, dict] = {
    "default": {
        "rows": {
            "clients": 25,
            "deals": 102,
            "projects": 59,
            "escalations": 43,
            "interactions": 610,
            "surveys": 119,
            "leads": 176,
            "incentives": 8,
        },
        "hashes": {
            "clients": "a7c7debaf883fe91",
            "deals": "ff1c8821770f8465",
            "projects": "638860d981ee9720",
            "escalations": "4a92fcb1e04fb1e7",
            "interactions": "92d57be502af675e",
            "surveys": "977ca03849a3d471",
            "leads": "85e26fefcb9f9ae8",
            "incentives": "5af11d687905fd9a",
        },
        "truth": {
            "csat_to_repeat.value": 89519.81822842757,
            "presales_signoff": 11.457586090448048,
            "quality_to_csat": 0.12293180691500512,
        },
    },
    "decided_at_proposal": {
        "rows": {
            "clients": 25,
            "deals": 112,
            "projects": 42,
            "escalations": 48,
            "interactions": 594,
            "surveys": 75,
            "leads": 173,
            "incentives": 8,
        },
        "hashes": {
            "clients": "9318435201990d3b",
            "deals": "6c6cca3661b6e4f8",
            "projects": "740ed0f4c923d7eb",
            "escalations": "d4f4c834b184e88e",
            "interactions": "48dd32318abbc049",
            "surveys": "8f1e6c1a11804002",
            "leads": "50e37b9354cd2bf1",
            "incentives": "5af11d687905fd9a",
        },
        "truth": {
            "csat_to_repeat.value": 29001.990495648075,
            "presales_signoff": 11.451932106238644,
            "quality_to_csat": 0.14071349528487143,
        },
    },
    "funnel": {
        "rows": {
            "clients": 25,
            "deals": 130,
            "projects": 48,
            "escalations": 37,
            "interactions": 654,
            "surveys": 72,
            "leads": 186,
            "incentives": 8,
        },
        "hashes": {
            "clients": "596c6efd2f5b5c53",
            "deals": "76c0d6475891e902",
            "projects": "15779ca705b66547",
            "escalations": "1e7da15f4f184aae",
            "interactions": "f8ae2ac694f4696b",
            "surveys": "ae1551b46767fbed",
            "leads": "3c5a0fbe66796337",
            "incentives": "5af11d687905fd9a",
        },
        "truth": {
            "csat_to_repeat.value": 45492.220149357825,
            "presales_signoff": 11.939105104590023,
            "quality_to_csat": 0.1423058170619507,
        },
    },
    "opening_renewals": {
        "rows": {
            "clients": 25,
            "deals": 90,
            "projects": 49,
            "escalations": 26,
            "interactions": 551,
            "surveys": 97,
            "leads": 154,
            "incentives": 9,
        },
        "hashes": {
            "clients": "ede5f399889e79f5",
            "deals": "3aea3fc56d5f7475",
            "projects": "b8aa988cbccaa29f",
            "escalations": "05467aae3cf34c2d",
            "interactions": "d5e8c593ece0ef1b",
            "surveys": "e527ad649f7c05f6",
            "leads": "b7adeb7f2693e0b0",
            "incentives": "6d1712c01a610ad2",
        },
        "truth": {
            "csat_to_repeat.value": 65838.28476131914,
            "presales_signoff": 11.817889780321797,
            "quality_to_csat": 0.12740019353338314,
        },
    },
    "binary_ontime": {
        "rows": {
            "clients": 25,
            "deals": 107,
            "projects": 55,
            "escalations": 48,
            "interactions": 589,
            "surveys": 116,
            "leads": 173,
            "incentives": 8,
        },
        "hashes": {
            "clients": "f8032883d368f039",
            "deals": "0f181a372bca9344",
            "projects": "b05ff1336b6999eb",
            "escalations": "6f2f44323f5967e4",
            "interactions": "67aad32c2665d4f6",
            "surveys": "f7f91cc15e76592a",
            "leads": "87eef4e787153395",
            "incentives": "5af11d687905fd9a",
        },
        "truth": {
            "csat_to_repeat.value": 80334.33733308197,
            "presales_signoff": 11.563237649215427,
            "quality_to_csat": 0.11944367846736423,
        },
    },
}


def table_hash(frame: pd.DataFrame) -> str:
    """SHA-256 (first 16 hex digits) of a table's CSV text, floats at 6 decimals."""
    text = frame.to_csv(index=False, lineterminator="\n", float_format="%.6f")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(design: str) -> dict:
    """Row count and hash of every table, and a few true values, of one small world."""
    tables, latent = simulate_world(**SIZE, design=design)
    truth = compute_truth(latent)
    return {
        "rows": {name: len(t) for name, t in tables.items()},
        "hashes": {name: table_hash(t) for name, t in tables.items()},
        "truth": {e: truth.values[e] for e in ESTIMANDS},
    }


@pytest.mark.parametrize("design", DESIGNS)
def test_the_simulators_draws_keep_their_order(design):
    pinned, got = PINS[design], fingerprint(design)
    hint = (
        f"design {design!r}: the simulator's random draws changed (order or number); every "
        "simulated world changes with them. If intended, re-pin with "
        "`python -m tests.simulate.test_rng_order`"
    )
    assert got["rows"] == pinned["rows"], hint
    assert got["hashes"] == pinned["hashes"], hint
    for e, v in pinned["truth"].items():
        assert got["truth"][e] == pytest.approx(v, rel=1e-9, abs=1e-12), (hint, e)


def test_pins_cover_every_pinned_design():
    assert set(PINS) == set(DESIGNS)
    assert all(np.isfinite(list(p["truth"].values())).all() for p in PINS.values())


if __name__ == "__main__":  # print the pins for the current generator
    import pprint

    pprint.pprint({d: fingerprint(d) for d in DESIGNS}, sort_dicts=False, width=96)
