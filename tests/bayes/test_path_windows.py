"""The path model's on-time shift of a trailing window: only the unit's projects inside it."""

from __future__ import annotations

import pytest

from satprofit.bayes.path import window_overlap


@pytest.mark.parametrize(
    "s, expected",
    [
        (10, (4.0, 4.0)),  # the unit's own window: q-3..q, every project is the unit's
        (9, (4.0, 3.0)),  # lag 2 before close quarter q+1: q-4..q-1 holds q-3..q-1 of the unit
        (8, (4.0, 2.0)),  # lag 3: q-5..q-2 holds q-3..q-2
        (12, (4.0, 2.0)),  # a later window q-1..q+2 holds q-1..q
        (14, (3.0, 0.0)),  # q+1..q+4: none of the unit's
    ],
)
def test_window_overlap_counts_only_the_units_quarters_inside_the_window(s, expected):
    """One project a quarter in quarters 5..13 (none in 14), unit quarter q = 10. Before the
    fix the unit's count ran to q whatever the window's end, so a window ending at q-1 gave
    4 of 4 projects as the unit's instead of 3."""
    counts = {("C1", k): 1.0 for k in range(5, 14)}
    counts[("C2", 10)] = 5.0  # another client's projects never count
    assert window_overlap(counts, "C1", s, 10) == expected
