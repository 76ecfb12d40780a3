"""The questions of QUESTIONS.md as code: one frozen spec per question id.

This is the bottom layer (it imports nothing from satprofit). Every other layer reads a
question's id, parts, units, titles, unit of analysis, treatment kind and "+d" step from here,
and keeps its own registry keyed by these ids (feature builders, causal designs and default
methods, assumptions, the simulator's truth, report labels); ``tests/test_registries.py``
checks that each registry covers exactly the ids below.

To add a question: add its :class:`QuestionSpec` to :data:`QUESTIONS` (in the order reports
list questions), then one entry in each layer's registry (the test names the ones missing).

Examples
--------
>>> from satprofit.questions import estimand, question
>>> question("csat_to_repeat.margin").estimand_ids
('csat_to_repeat.value', 'csat_to_repeat.margin')
>>> estimand("quality_to_csat").unit
'csat points per +10 pp on-time rate'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ESTIMAND_IDS",
    "ESTIMAND_UNITS",
    "QUESTIONS",
    "QUESTION_IDS",
    "TREATMENT_KINDS",
    "EstimandSpec",
    "QuestionSpec",
    "TreatmentKind",
    "Wording",
    "estimand",
    "estimand_ids",
    "find_estimand",
    "question",
]

#: How a question's treatment varies: a yes/no per unit, a quantity per unit, or a policy in
#: force for some units and periods (a staggered adoption, analysed as treated vs not yet).
TreatmentKind = Literal["binary", "continuous", "policy"]
TREATMENT_KINDS: tuple[str, ...] = ("binary", "continuous", "policy")


@dataclass(frozen=True)
class EstimandSpec:
    """One reported figure of a question (``question`` or ``question.part``).

    Attributes
    ----------
    id : str
        Estimand id, ``question`` or ``question.part``.
    label : str
        Short plain-language label for tables and plots ("On-time rate -> satisfaction").
    unit : str
        The estimate's unit, as stated in QUESTIONS.md.
    mediated : bool
        A natural direct or indirect effect: only a method that models the mediator (a path
        method) answers it; every other method answers the question's total effect alone.
    """

    id: str
    label: str
    unit: str
    mediated: bool = False

    @property
    def question(self) -> str:
        """The question id."""
        return self.id.partition(".")[0]

    @property
    def part(self) -> str:
        """The part (``""`` for a question with one estimand)."""
        return self.id.partition(".")[2]


@dataclass(frozen=True)
class Wording:
    """How sentences about a question name its units and treatment (support refusals).

    Attributes
    ----------
    unit : str
        A unit of analysis, singular and short ("deal", "project").
    units : str
        The units, plural, with their definition ("won deals with a finished project").
    treatment : str
        Binary: what a treated unit "had"; continuous: the quantity's name.
    none : str
        Continuous: the sentence when the treatment is 0 everywhere ("" for the generic one).
    """

    unit: str
    units: str
    treatment: str
    none: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    """One question of QUESTIONS.md.

    Attributes
    ----------
    id : str
        The question id.
    title : str
        The plain-language question, as reports quote it.
    unit_of_analysis, treatment, outcome : str
        As QUESTIONS.md states them.
    treatment_kind : {"binary", "continuous", "policy"}
        See :data:`TreatmentKind`.
    step : float
        The "+d" of the estimand in the treatment's own units (0.10 for +10 percentage points
        of a 0..1 rate; 1 for binary treatments and policies).
    effect : {"ate", "att"}
        Average effect over all units, or over the treated units only.
    estimands : tuple of EstimandSpec
        The reported figures, in report order.
    wording : Wording
        Names of the units and the treatment for plain-language sentences.
    mediator : str or None
        The mediator of a question with direct and indirect parts (a node of the causal graph).
    """

    id: str
    title: str
    unit_of_analysis: str
    treatment: str
    outcome: str
    treatment_kind: TreatmentKind
    step: float
    effect: Literal["ate", "att"]
    estimands: tuple[EstimandSpec, ...]
    wording: Wording
    mediator: str | None = None

    def __post_init__(self) -> None:
        if self.treatment_kind not in TREATMENT_KINDS:
            raise ValueError(f"{self.id}: treatment_kind must be one of {TREATMENT_KINDS}")
        if not self.estimands:
            raise ValueError(f"{self.id}: a question needs at least one estimand")
        for e in self.estimands:
            if e.question != self.id or (len(self.estimands) > 1) != bool(e.part):
                raise ValueError(
                    f"{self.id}: estimand {e.id!r} must be {self.id!r} alone or "
                    f"'{self.id}.<part>' for each of several parts"
                )
        if any(e.mediated for e in self.estimands) and self.mediator is None:
            raise ValueError(f"{self.id}: mediated parts need a mediator")

    @property
    def estimand_ids(self) -> tuple[str, ...]:
        """Ids of the question's estimands, in report order."""
        return tuple(e.id for e in self.estimands)

    @property
    def parts(self) -> tuple[str, ...]:
        """Part names (``()`` for a question with a single estimand)."""
        return tuple(e.part for e in self.estimands if e.part)

    @property
    def total_ids(self) -> tuple[str, ...]:
        """The estimands every method answers: all but the mediated (direct, indirect) ones."""
        return tuple(e.id for e in self.estimands if not e.mediated)


_PP_ONTIME = "currency per +10 pp on-time rate"

#: Every question, in the order reports list them.
QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec(
        id="presales_signoff",
        title="Does involving delivery in pre-sales make delivery better?",
        unit_of_analysis="won deal with a finished project",
        treatment="deal.presales_delivery_signoff",
        outcome="the project's on-time milestone rate (0..1)",
        treatment_kind="binary",
        step=1.0,
        effect="ate",
        estimands=(
            EstimandSpec(
                "presales_signoff",
                "Delivery signs off proposals -> on-time rate",
                "percentage points of on-time milestone rate",
            ),
        ),
        wording=Wording(
            "deal", "won deals with a finished project", "a pre-sales sign-off by delivery"
        ),
    ),
    QuestionSpec(
        id="quality_to_csat",
        title="Does delivery quality raise satisfaction?",
        unit_of_analysis="finished project with survey responses",
        treatment="the project's on-time milestone rate",
        outcome="mean csat of responses tied to the project",
        treatment_kind="continuous",
        step=0.10,
        effect="ate",
        estimands=(
            EstimandSpec(
                "quality_to_csat",
                "On-time rate -> satisfaction",
                "csat points per +10 pp on-time rate",
            ),
        ),
        wording=Wording(
            "project", "finished projects with survey responses", "on-time milestone rate"
        ),
    ),
    QuestionSpec(
        id="status_reports_to_csat",
        title="Do business status reports from sales raise satisfaction?",
        unit_of_analysis="finished project with survey responses",
        treatment=(
            "status reports sent by sales to the client during the project, per month of "
            "project duration"
        ),
        outcome="mean csat of responses tied to the project",
        treatment_kind="continuous",
        step=1.0,
        effect="ate",
        estimands=(
            EstimandSpec(
                "status_reports_to_csat",
                "Status reports -> satisfaction",
                "csat points per +1 status report a month",
            ),
        ),
        wording=Wording(
            "project",
            "finished projects with survey responses",
            "number of status reports a month from sales",
            none="no project received a status report from sales",
        ),
    ),
    QuestionSpec(
        id="sales_in_escalations",
        title="Does sales taking part in escalations protect satisfaction?",
        unit_of_analysis="escalation",
        treatment="escalation.sales_involved",
        outcome="the client's mean csat over the 90 days after the escalation opened",
        treatment_kind="binary",
        step=1.0,
        effect="ate",
        estimands=(
            EstimandSpec(
                "sales_in_escalations", "Sales in escalations -> satisfaction", "csat points"
            ),
        ),
        wording=Wording(
            "escalation", "escalations followed by a survey response", "sales taking part"
        ),
    ),
    QuestionSpec(
        id="csat_to_repeat",
        title="Does satisfaction bring re-business?",
        unit_of_analysis="client and calendar quarter end",
        treatment="the client's mean csat over the 4 quarters up to that quarter end",
        outcome=(
            "(a) won repeat-business contract value closed in the next 4 quarters; "
            "(b) margin of the projects that deliver it"
        ),
        treatment_kind="continuous",
        step=1.0,
        effect="ate",
        estimands=(
            EstimandSpec(
                "csat_to_repeat.value",
                "Satisfaction -> repeat business value",
                "currency per +1 csat point",
            ),
            EstimandSpec(
                "csat_to_repeat.margin",
                "Satisfaction -> repeat business margin",
                "percentage points of margin per +1 csat point",
            ),
        ),
        wording=Wording(
            "client-quarter", "client-quarters with survey responses", "satisfaction score"
        ),
    ),
    QuestionSpec(
        id="quality_to_repeat",
        title="How much of delivery quality's value reaches re-business through satisfaction?",
        unit_of_analysis="client and calendar quarter end",
        treatment=(
            "the client's mean on-time milestone rate over the 4 quarters up to that quarter end"
        ),
        outcome="won repeat-business contract value in the next 4 quarters",
        treatment_kind="continuous",
        step=0.10,
        effect="ate",
        estimands=(
            EstimandSpec(
                "quality_to_repeat.total", "On-time rate -> repeat business (total)", _PP_ONTIME
            ),
            EstimandSpec(
                "quality_to_repeat.direct",
                "On-time rate -> repeat business (direct)",
                _PP_ONTIME,
                mediated=True,
            ),
            EstimandSpec(
                "quality_to_repeat.indirect",
                "On-time rate -> repeat business (through satisfaction)",
                _PP_ONTIME,
                mediated=True,
            ),
        ),
        wording=Wording(
            "client-quarter", "client-quarters with finished projects", "on-time milestone rate"
        ),
        mediator="csat",
    ),
    QuestionSpec(
        id="delivery_bonus_to_leads",
        title="Does rewarding delivery for add-on sales bring leads?",
        unit_of_analysis="business unit and calendar quarter",
        treatment=(
            "the delivery_lead_bonus policy in force (incentives table; business units adopt "
            "at different dates)"
        ),
        outcome="leads with source_team = delivery created in the quarter",
        treatment_kind="policy",
        step=1.0,
        effect="att",
        estimands=(
            EstimandSpec(
                "delivery_bonus_to_leads",
                "Delivery lead bonus -> delivery leads",
                "delivery leads a quarter per business unit",
            ),
        ),
        wording=Wording(
            "business-unit quarter", "business-unit quarters", "the delivery lead bonus"
        ),
    ),
)

_BY_ID: dict[str, QuestionSpec] = {q.id: q for q in QUESTIONS}
_ESTIMANDS: dict[str, EstimandSpec] = {e.id: e for q in QUESTIONS for e in q.estimands}

#: Question ids, in report order.
QUESTION_IDS: tuple[str, ...] = tuple(_BY_ID)

#: Estimand ids, one per reported figure, in report order.
ESTIMAND_IDS: tuple[str, ...] = tuple(_ESTIMANDS)

#: Unit of each estimand, as stated in QUESTIONS.md (derived from the specs).
ESTIMAND_UNITS: dict[str, str] = {e.id: e.unit for e in _ESTIMANDS.values()}


def question(id_: str) -> QuestionSpec:
    """The spec of a question id or of an estimand id (``question.part``).

    Raises
    ------
    KeyError
        For an unknown question, naming the known ones.
    """
    q = id_.partition(".")[0]
    try:
        return _BY_ID[q]
    except KeyError:
        raise KeyError(f"unknown question {q!r}; known: {', '.join(QUESTION_IDS)}") from None


def estimand(id_: str) -> EstimandSpec:
    """The spec of an estimand id (``question`` or ``question.part``).

    Raises
    ------
    KeyError
        For an unknown estimand, naming the known ones.
    """
    try:
        return _ESTIMANDS[id_]
    except KeyError:
        raise KeyError(f"unknown estimand {id_!r}; known: {', '.join(ESTIMAND_IDS)}") from None


def find_estimand(id_: str) -> EstimandSpec | None:
    """The spec of an estimand id, or None when there is none (for labels of foreign ids)."""
    return _ESTIMANDS.get(id_)


def estimand_ids(question_id: str | None = None) -> tuple[str, ...]:
    """Every estimand id in report order, or those of one question."""
    if question_id is None:
        return ESTIMAND_IDS
    return question(question_id).estimand_ids
