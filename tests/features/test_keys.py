"""Arrow-backed key look-ups agree with pandas'."""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.features.keys import isin, lookup, positions, reindex


def test_positions_match_get_indexer():
    ref = pd.Series(["b", "a", "007", "é<&>"], dtype="str")
    keys = pd.Series(["a", None, "007", "zz", "é<&>", "b"], dtype="str")
    expected = pd.Index(ref).get_indexer(keys.fillna("__none__"))
    np.testing.assert_array_equal(positions(keys, ref), expected)
    np.testing.assert_array_equal(isin(keys, ref), expected >= 0)


def test_positions_of_object_arrays():
    np.testing.assert_array_equal(
        positions(np.array(["x", "y"], dtype=object), pd.Series(["y"], dtype="str")), [-1, 0]
    )


def test_lookup_and_reindex():
    ref = pd.Series(["a", "b"], dtype="str")
    np.testing.assert_array_equal(
        lookup(pd.Series(["b", "c"], dtype="str"), ref, pd.Series([1.0, 2.0])), [2.0, np.nan]
    )
    assert lookup(
        pd.Series(["b", "c"], dtype="str"), ref, pd.Series(["x", "y"], dtype="str")
    ).tolist() == ["y", None]
    frame = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["a", "b"], dtype="str"))
    out = reindex(frame, pd.Series(["b", "q", "a"], dtype="str"))
    np.testing.assert_array_equal(out["v"], [2.0, np.nan, 1.0])
