"""A family of simulated worlds: named designs of how a services firm could work.

Every estimator of satprofit is checked on each design, not only on the default, because a
method that recovers the truth of one generator may only have learnt that generator's
assumptions. A design changes *mechanisms* (when satisfaction acts on a repeat deal, what it
acts on, who is already under contract, how often clients answer surveys, ...); the effect sizes
stay those of :class:`~satprofit.simulate.effects.Effects` unless the design says otherwise.
The truth of every design is still computed by intervention on its own structural model
(:mod:`satprofit.simulate.truth`).

Select one by name: ``simulate_portfolio(design="decided_at_proposal")`` or
``satprofit simulate OUT --design decided_at_proposal``; :data:`DESIGNS` lists them and
``describe_designs()`` prints the paragraphs below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd


@dataclass(frozen=True)
class Design:
    """Mechanism switches of the structural model (defaults: the ``default`` design).

    Parameters
    ----------
    name : str
        Registry key.
    description : str
        One paragraph in the firm's language: how this world works.
    decision : {"close", "proposal"}
        When satisfaction acts on a repeat deal. ``"close"``: the deal's chance is set by the
        trailing satisfaction before the quarter it closes in. ``"proposal"``: it is set when
        the deal is decided (the proposal date, or the lead's creation date for
        delivery-sourced deals), and the deal closes ``close_lag_days`` later.
    close_lag_days : tuple of int
        Range (uniform, days) from decision to close, for ``decision="proposal"``.
    csat_value_logsize : float
        Log deal size per +1 point of trailing satisfaction at the decision (satisfied clients
        buy bigger). 0: satisfaction acts on whether a client buys only.
    csat_win_logit : float
        Win-rate log-odds per +1 csat point at the decision (``decision="proposal"`` only):
        proposals are drawn at a rate that also moves with satisfaction, and each is won with
        a probability that does, so the effect multiplies across proposal rate, win rate and
        (with ``csat_value_logsize``) deal size.
    win_rate : float
        Base win rate of a decided deal at csat 4 (``decision="proposal"``; 1: every decided
        deal is won, the rate of decisions carries the whole effect).
    existing_share : float
        Share of clients already under contract when the data start.
    opening_renewal : bool
        Clients under contract renew in the first year on terms fixed before the data start
        (proposal up to 8 months before; multi-year contracts worth ``opening_value`` times a
        normal deal); no satisfaction measured in the data can have moved them.
    opening_value : float
        Value multiplier of opening renewals.
    size_heterogeneity : tuple of float
        Multipliers of every satisfaction effect (on csat and on repeat business) by size band
        (small, medium, large, enterprise).
    responses_per_project : float
        Binomial(3, p) survey responses per finished project.
    client_responses_rate : float
        Poisson rate per active client and quarter of responses not tied to a project.
    one_milestone : bool
        Every project has exactly one milestone: on-time rates are 0 or 1.
    unused_lever : str or None
        ``"presales_signoff"``: no deal ever has a pre-sales sign-off (no variation).
    report_feedback : float
        Sales reacts to dissatisfaction: its status-report rate in a quarter is multiplied by
        ``exp(-report_feedback * (T - 4))``, ``T`` the client's trailing csat. Past outcomes
        then feed later treatment (a feedback loop; strict exogeneity fails).
    repeat_rate : float
        Base quarterly rate of repeat-business decisions (at csat 4, median client).
    n_quarters : int or None
        Panel length this design implies (``None``: the caller's).
    """

    name: str
    description: str
    decision: str = "close"
    close_lag_days: tuple[int, int] = (14, 90)
    csat_value_logsize: float = 0.0
    csat_win_logit: float = 0.0
    win_rate: float = 1.0
    existing_share: float = 0.45
    opening_renewal: bool = False
    opening_value: float = 1.0
    size_heterogeneity: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    responses_per_project: float = 0.45
    client_responses_rate: float = 0.35
    one_milestone: bool = False
    unused_lever: str | None = None
    report_feedback: float = 0.0
    repeat_rate: float = 0.2
    n_quarters: int | None = None

    def __post_init__(self) -> None:
        if self.decision not in ("close", "proposal"):
            raise ValueError(f"design {self.name}: decision must be 'close' or 'proposal'")
        lo, hi = self.close_lag_days
        if not 0 <= lo <= hi:
            raise ValueError(f"design {self.name}: close_lag_days must be 0 <= lo <= hi")
        if self.unused_lever not in (None, "presales_signoff"):
            raise ValueError(f"design {self.name}: unknown unused_lever {self.unused_lever!r}")

    @property
    def heterogeneous(self) -> bool:
        return any(m != 1.0 for m in self.size_heterogeneity)

    def to_dict(self) -> dict:
        """Plain-JSON form (written into truth.json)."""
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
            if k != "description"
        }


_DEFAULT = Design(
    "default",
    "Satisfaction moves whether a client buys again in the quarter the deal closes: the "
    "chance of repeat business in a quarter follows the client's satisfaction over the year "
    "before it. Proposals are written two weeks to three months before the close. About half "
    "the clients were already clients before the data start and renew once early on.",
)

DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        _DEFAULT,
        replace(
            _DEFAULT,
            name="decided_at_proposal",
            description="A repeat deal is decided when it is proposed (or, for deals that "
            "delivery sourced, when delivery raises the lead): the client's satisfaction at "
            "that moment sets its chance, and the contract is signed one to six months later. "
            "Satisfaction measured after the decision cannot move the deal any more.",
            decision="proposal",
            close_lag_days=(30, 180),
        ),
        replace(
            _DEFAULT,
            name="opening_renewals",
            description="Most clients are already under contract when the data start and "
            "renew in the first year on multi-year terms negotiated before anything in the "
            "data was measured; these large opening renewals dominate the first quarters' "
            "repeat business but owe nothing to the satisfaction the firm records.",
            existing_share=0.8,
            opening_renewal=True,
            opening_value=3.0,
        ),
        replace(
            _DEFAULT,
            name="price_and_size",
            description="Satisfied clients do not only buy again: they buy bigger engagements "
            "and accept better prices. Satisfaction acts on deal size and margin as well as "
            "on whether a repeat deal happens.",
            csat_value_logsize=0.25,
        ),
        replace(
            _DEFAULT,
            name="funnel",
            description="Repeat business runs through a funnel decided at the proposal: "
            "satisfied clients invite more proposals, more of them are won, and the won ones "
            "are bigger, so satisfaction's effect multiplies across proposal rate, win rate "
            "and deal size; contracts are signed one to four months after the proposal.",
            decision="proposal",
            close_lag_days=(30, 120),
            csat_win_logit=0.4,
            csat_value_logsize=0.15,
            win_rate=0.45,
            repeat_rate=0.45,
        ),
        replace(
            _DEFAULT,
            name="feedback",
            description="Outcomes feed back into later treatment: account managers send more "
            "status reports to clients whose satisfaction has dropped, and repeat deals bring "
            "projects whose survey responses form the next satisfaction windows. Past "
            "satisfaction therefore drives later status reports.",
            report_feedback=0.6,
        ),
        replace(
            _DEFAULT,
            name="size_heterogeneity",
            description="Effects differ strongly by client size: small clients barely react to "
            "delivery quality or status reports, enterprise accounts react strongly, and "
            "satisfaction moves the repeat business of large accounts much more.",
            size_heterogeneity=(0.3, 0.7, 1.4, 2.2),
        ),
        replace(
            _DEFAULT,
            name="few_responses",
            description="Clients rarely answer surveys: about one finished project in six gets "
            "a response and few clients answer outside projects, so most client-quarters have "
            "no satisfaction measurement at all.",
            responses_per_project=0.06,
            client_responses_rate=0.08,
        ),
        replace(
            _DEFAULT,
            name="short_panel",
            description="The firm has only two years of exports (8 quarters), so after the "
            "first year's satisfaction windows only a few quarters have a full year of repeat "
            "business after them.",
            n_quarters=8,
        ),
        replace(
            _DEFAULT,
            name="binary_ontime",
            description="Every project is tracked against one milestone (the go-live), so a "
            "project is either on time or late: on-time rates are 0 or 1.",
            one_milestone=True,
        ),
        replace(
            _DEFAULT,
            name="unused_lever",
            description="Delivery is never asked to sign off proposals in pre-sales: the lever "
            "exists in the data model but nobody uses it, so its effect cannot be learnt from "
            "these data.",
            unused_lever="presales_signoff",
        ),
    )
}


def get_design(design: str | Design | None) -> Design:
    """The :class:`Design` called ``design`` (a Design is returned as is; None is default)."""
    if design is None:
        return DESIGNS["default"]
    if isinstance(design, Design):
        return design
    try:
        return DESIGNS[design]
    except KeyError:
        raise KeyError(f"unknown design {design!r}; known: {', '.join(DESIGNS)}") from None


def describe_designs() -> pd.DataFrame:
    """One row per design: its name and paragraph."""
    return pd.DataFrame(
        {"design": list(DESIGNS), "description": [d.description for d in DESIGNS.values()]}
    ).set_index("design")
