"""The domain DAG and the adjustment sets derived from it."""

from __future__ import annotations

import matplotlib
import networkx as nx
import pytest

from satprofit.causal.dag import DESIGNS, domain_dag, draw_dag, identify

matplotlib.use("Agg")


def test_dag_is_acyclic_and_labelled():
    g = domain_dag()
    assert nx.is_directed_acyclic_graph(g)
    assert all("label" in g.nodes[n] for n in g.nodes)
    assert g.nodes["client_traits"]["latent"]


@pytest.mark.parametrize("question", list(DESIGNS))
def test_adjustment_sets_satisfy_the_backdoor_criterion(question):
    g = domain_dag()
    d = DESIGNS[question]
    ident = identify(question)
    assert ident.identified, ident.note
    z = set(ident.nodes)
    assert not z & nx.descendants(g, d.treatment), "no descendant of the treatment"
    bd = g.copy()
    bd.remove_edges_from(list(g.out_edges(d.treatment)))
    assert nx.is_d_separator(bd, {d.treatment}, {d.outcome}, z)
    assert not z & {"client_traits"} or d.client_fe


def test_presales_adjusts_for_skill_and_size():
    ident = identify("presales_signoff")
    assert {"team_skill", "client_size"} <= set(ident.nodes)
    assert "delivery_team" in ident.columns and "size_rank" in ident.columns
    assert "change_requests" not in ident.columns  # a mediator, never adjusted for


def test_latent_health_needs_client_fixed_effects():
    """Satisfaction and repeat business share relationship health: without client fixed
    effects no observed set blocks that path, and the identification says so."""
    assert identify("csat_to_repeat").identified
    without = identify("csat_to_repeat", client_fe=False)
    assert not without.identified and "confounded" in without.note


def test_draw_dag_returns_figure():
    fig = draw_dag(highlight="csat_to_repeat")
    assert isinstance(fig, matplotlib.figure.Figure)
    matplotlib.pyplot.close(fig)


def test_the_identification_table_has_one_row_per_question_as_identify_says():
    from satprofit.causal import identification_table

    table = identification_table()
    assert list(table.index) == list(DESIGNS)
    row = table.loc["presales_signoff"]
    ident = identify("presales_signoff")
    assert row["adjustment"] == ", ".join(ident.nodes)
    assert row["columns"] == ", ".join(ident.columns) and bool(row["identified"])
    assert table.loc["quality_to_repeat", "mediator"] == "csat"
