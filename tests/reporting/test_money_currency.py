"""Amounts in reports carry the portfolio's currency (issue 11: "about 10,300" named none)."""

from __future__ import annotations

import doctest

import pytest

from satprofit.reporting import blocks as B


@pytest.fixture(autouse=True)
def _no_currency_leaks():
    before = B.set_currency(None)
    yield
    B.set_currency(before)


def test_money_is_bare_without_a_currency():
    assert B.money(10_312.4) == "10,300"
    assert B.interval(10_312.4, 4_100, 20_800) == "about 10,300 (80% interval 4,100 to 20,800)"


def test_money_names_the_currency_given_or_set():
    assert B.money(10_312.4, currency="USD") == "USD 10,300"
    assert B.set_currency("EUR") is None
    assert B.interval(10_312.4, 4_100, 20_800) == (
        "about EUR 10,300 (80% interval EUR 4,100 to EUR 20,800)"
    )
    assert B.money(float("nan")) == "n/a"
    assert B.set_currency(None) == "EUR"
    assert B.money(-987) == "-987"


def test_money_docstrings():
    failures, _ = doctest.testmod(B, optionflags=doctest.ELLIPSIS, verbose=False)
    assert failures == 0
