"""The estimator registry: methods, path methods and labels come from it, and a new estimator
is one class registered, nothing else (here a toy difference of means)."""

from __future__ import annotations

import numpy as np
import pytest

from satprofit.causal import METHODS, compare_methods, estimate
from satprofit.causal.api import PATH_METHODS
from satprofit.causal.estimators import ESTIMATORS, EstimatorBase, register, unregister
from satprofit.causal.results import finish
from satprofit.causal.support import NotEstimable
from satprofit.features.questions import question_table
from satprofit.reporting import blocks as B

#: The methods each question had when they were written out by hand (before the registry).
WRITTEN_OUT = {
    "presales_signoff": ("regression", "aipw", "naive"),
    "quality_to_csat": ("regression", "naive"),
    "status_reports_to_csat": ("regression", "naive"),
    "sales_in_escalations": ("aipw", "regression", "naive"),
    "csat_to_repeat": ("repeat_dynamics", "regression", "naive"),
    "quality_to_repeat": ("repeat_dynamics", "mediation", "regression", "naive"),
    "delivery_bonus_to_leads": ("did", "did_cs", "naive"),
}


def test_methods_per_question_are_derived_from_the_registry_as_they_were_written_out():
    assert dict(METHODS) == WRITTEN_OUT
    assert tuple(PATH_METHODS) == ("repeat_dynamics", "mediation")


class ToyDifference(EstimatorBase):
    """Unadjusted difference of the outcome's means, treated minus untreated."""

    name = "toy_difference"
    label = "toy difference of means"
    short_label = "toy"
    kinds = frozenset({"binary"})

    def fit(self, portfolio, estimand, *, table, seed, n_boot, refutations):
        d = table.data
        treated = d[table.treatment].to_numpy(float) > 0.5
        y = d[table.outcome].to_numpy(float) * table.outcome_scale
        diff = y[treated].mean() - y[~treated].mean()
        se = np.sqrt(
            y[treated].var(ddof=1) / treated.sum() + y[~treated].var(ddof=1) / (~treated).sum()
        )
        return finish(
            estimand,
            table.unit_label,
            self.name,
            diff,
            se,
            n=len(d),
            n_clusters=int(d[table.cluster].nunique()),
            adjustment=(),
            sd_outcome=float(y.std()),
        )


@pytest.fixture
def toy():
    est = register(ToyDifference())
    try:
        yield est
    finally:
        unregister(est.name)


def test_a_registered_estimator_answers_through_estimate_with_its_label(toy, small_sim):
    p = small_sim.portfolio
    assert METHODS["presales_signoff"] == ("regression", "aipw", "naive", "toy_difference")
    assert "toy_difference" not in METHODS["quality_to_csat"]  # binary treatments only
    r = estimate(p, "presales_signoff", "toy_difference")["presales_signoff"]
    assert r.ok and r.method == "toy_difference"
    qt = question_table(p, "presales_signoff")
    on = qt.data[qt.treatment] == 1
    raw = (qt.data.loc[on, qt.outcome].mean() - qt.data.loc[~on, qt.outcome].mean()) * 100
    assert r.estimate == pytest.approx(raw)
    assert r.unit == "percentage points of on-time milestone rate"
    assert [x.method for x in compare_methods(p, "sales_in_escalations")][-1] == "toy_difference"
    assert B.method_label("toy_difference") == "toy difference of means"
    assert B.method_label("toy_difference", short=True) == "toy"
    with pytest.raises(ValueError, match="does not answer quality_to_csat"):
        estimate(p, "quality_to_csat", "toy_difference")


def test_a_registered_estimator_runs_in_isolation(toy, small_sim, monkeypatch):
    def refuse(self, portfolio, estimand, **kw):
        raise NotEstimable("the toy cannot say")

    monkeypatch.setattr(ToyDifference, "fit", refuse)
    r = estimate(small_sim.portfolio, "presales_signoff", "toy_difference")["presales_signoff"]
    assert r.status == "not_estimable" and r.reason == "the toy cannot say"

    def crash(self, portfolio, estimand, **kw):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(ToyDifference, "fit", crash)
    r = estimate(small_sim.portfolio, "presales_signoff", "toy_difference")["presales_signoff"]
    assert r.status == "failed" and r.reason == "FloatingPointError: overflow"


def test_the_registry_refuses_what_is_not_an_estimator():
    with pytest.raises(TypeError, match="Estimator protocol"):
        register(object())
    with pytest.raises(ValueError, match="already registered"):
        register(ESTIMATORS["naive"])

    class Odd(ToyDifference):
        name = "odd"
        kinds = frozenset({"ordinal"})

    with pytest.raises(ValueError, match="unknown treatment kinds"):
        register(Odd())
    assert "odd" not in ESTIMATORS
