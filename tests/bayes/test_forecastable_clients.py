"""``forecastable_clients``: the clients a what-if can forecast, those with most data first
(the research notebook's default client). Only the repeat model's data are read: no fit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from satprofit.bayes import forecastable_clients, repeat_data


def test_clients_are_those_with_a_current_quarter_ranked_by_their_data(small_sim):
    p = small_sim.portfolio
    data = repeat_data(p)
    fit = SimpleNamespace(portfolio=p, results={"repeat": None}, data={"repeat": data})
    table = forecastable_clients(fit)
    assert set(table.index) == set(data.current["client_id"])
    responses = p.surveys["client_id"].value_counts()
    assert list(table["responses"]) == [int(responses.get(c, 0)) for c in table.index]
    ranked = table[["responses", "projects", "deals"]].to_records(index=False).tolist()
    assert ranked == sorted(ranked, reverse=True)


def test_without_the_repeat_model_it_says_why():
    fit = SimpleNamespace(results={}, skipped={"repeat": "only 3 clients"}, failed={})
    with pytest.raises(ValueError, match="only 3 clients"):
        forecastable_clients(fit)
