"""Every layer's registry keyed by question or estimand id covers exactly the specs' ids.

A question is specified once, in :mod:`satprofit.questions`; each layer keeps its own registry
for it (feature builder, causal design, default method, moderators, assumptions, simulated
truth, report labels). Adding a question and forgetting one of them fails here, naming it.
"""

from __future__ import annotations

from satprofit.causal.api import estimand_ids_for
from satprofit.causal.assumptions import ASSUMPTIONS
from satprofit.causal.dag import DESIGNS
from satprofit.causal.estimators import DEFAULT_METHODS, ESTIMATORS, methods_for
from satprofit.causal.regression import MODERATORS
from satprofit.features.questions import BUILDERS
from satprofit.questions import ESTIMAND_IDS, QUESTION_IDS, QUESTIONS
from satprofit.reporting import blocks as B
from satprofit.survey.spec import QUESTION_OUTCOMES


def _mismatch(name: str, keys, expected) -> str | None:
    keys, expected = list(keys), list(expected)
    missing = [k for k in expected if k not in keys]
    extra = [k for k in keys if k not in expected]
    if missing or extra:
        return f"{name}: missing {missing}, not a spec id {extra}"
    return None


def test_every_registry_covers_exactly_the_question_specs(small_sim):
    regression_estimands = [
        e
        for q in QUESTION_IDS
        if "regression" in methods_for(q)
        for e in estimand_ids_for(q, "regression")
    ]
    registries = {
        "features.questions.BUILDERS": (BUILDERS, QUESTION_IDS),
        "causal.dag.DESIGNS": (DESIGNS, QUESTION_IDS),
        "causal.estimators.DEFAULT_METHODS": (DEFAULT_METHODS, QUESTION_IDS),
        "causal.regression.MODERATORS": (MODERATORS, regression_estimands),
        "causal.assumptions.ASSUMPTIONS": (ASSUMPTIONS, ESTIMAND_IDS),
        "simulate truth (Truth.values)": (small_sim.truth.values, ESTIMAND_IDS),
        "reporting.blocks.ESTIMAND_TITLES": (B.ESTIMAND_TITLES, ESTIMAND_IDS),
        "survey.spec.QUESTION_OUTCOMES": (QUESTION_OUTCOMES, QUESTION_IDS),
    }
    problems = [_mismatch(name, keys, ids) for name, (keys, ids) in registries.items()]
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_each_question_defaults_to_a_method_that_answers_it_and_every_method_has_labels():
    for spec in QUESTIONS:
        default = DEFAULT_METHODS[spec.id]
        assert ESTIMATORS[default].applies_to(spec), (spec.id, default)
        assert spec.total_ids, spec.id  # something every method can answer
    for name, est in ESTIMATORS.items():
        assert est.name == name
        assert B.method_label(name) == est.label != name
        assert B.method_label(name, short=True) == est.short_label


def test_titles_and_units_are_stated_for_every_estimand():
    for spec in QUESTIONS:
        assert spec.title.endswith("?") and spec.wording.units
        for e in spec.estimands:
            assert e.label and e.unit, e.id
            assert B.estimand_title(e.id) == e.label
