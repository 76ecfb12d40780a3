"""The window weights of the quarterly repeat panel, computed by hand, and the layering rule
that the shipped calibration summaries are read without importing the studies' code."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from satprofit.features.repeat_panel import OFFSETS, overlap_weights, window_weights


def test_overlap_weights_are_the_share_of_each_window_dated_in_the_unit_quarters():
    # one client, responses per quarter t = 0..7; unit quarter q = 3 holds t = 0..3
    p = pd.DataFrame({"client_id": "A", "t": range(8), "responses": [1, 0, 2, 0, 1, 0, 0, 1]})
    units = pd.DataFrame({"client_id": ["A"], "t": [3]})
    w = overlap_weights(p, units)
    # windows s = 0..6 (4 quarters each, clipped at the panel's start): s = 4 holds t = 1..4
    # (3 responses, 2 of them in 0..3), s = 6 holds t = 3..6 (1 response, none in 0..3)
    assert OFFSETS == (-3, -2, -1, 0, 1, 2, 3)
    np.testing.assert_allclose(w[0], [1, 1, 1, 1, 2 / 3, 2 / 3, 0])
    np.testing.assert_allclose(window_weights(p, units)[0], [1, 2 / 3, 2 / 3, 0])


def test_assumptions_read_the_shipped_summaries_without_importing_the_studies():
    code = (
        "import sys\n"
        "from satprofit.causal import assumptions as A\n"
        "assert not A.calibration_summary().empty and not A.read_summary('bayes').empty\n"
        "assert not [m for m in sys.modules if m.startswith('satprofit.validation.')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
