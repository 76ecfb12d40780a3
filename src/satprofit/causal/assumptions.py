"""What each default causal answer assumes, and how well it held in simulated worlds.

Every estimate rests on assumptions the data cannot check. Issue 10 asks that where a design of
the simulator shows a method cannot recover its estimand, the method either changes or states
the assumption it needs, and the reports show it. This module is that statement, one entry per
estimand of QUESTIONS.md (default methods of :data:`satprofit.causal.api.DEFAULT_METHODS`; an
assumption only the Bayesian model takes says so):

* :data:`ASSUMPTIONS`: the assumptions in plain business language, each with the simulated
  world (:mod:`satprofit.simulate.designs`) where it fails and what happens then;
* :func:`calibration_evidence`: one sentence per estimand from the calibration study shipped
  with the package (``validation/causal_calibration_summary.csv``, written by
  ``python -m satprofit.validation.causal_calibration --summary-out``), so the reports quote
  measured coverage and bias, not promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from satprofit.constants import INTERVAL_LABEL

__all__ = [
    "ASSUMPTIONS",
    "WORLDS",
    "Assumption",
    "assumptions_table",
    "calibration_evidence",
    "read_summary",
]


@dataclass(frozen=True)
class Assumption:
    """One assumption behind an estimate.

    Attributes
    ----------
    text : str
        The assumption in plain language (a sentence a client can read).
    fails_when : str
        A plausible world where it does not hold, and what the estimate does there.
    design : str
        The simulator design that shows the failure ("" when none of them does).
    also : tuple of str
        Other designs where the calibration study measured the same failure.
    """

    text: str
    fails_when: str = ""
    design: str = ""
    also: tuple[str, ...] = ()

    @property
    def designs(self) -> tuple[str, ...]:
        """Every design named as showing the failure (the main one first)."""
        return tuple(d for d in (self.design, *self.also) if d)


_NO_CONFOUNDING = (
    "Apart from the factors it adjusts for (listed with each estimate), nothing that drives "
    "{what} also drives {outcome}."
)

#: The assumptions of each estimand's default causal answer.
ASSUMPTIONS: dict[str, tuple[Assumption, ...]] = {
    "presales_signoff": (
        Assumption(
            _NO_CONFOUNDING.format(
                what="whether delivery signs off a proposal", outcome="on-time delivery"
            )
        ),
        Assumption(
            "Some deals are signed off by delivery and some are not.",
            "Where nobody signs off proposals, there is nothing to compare and the question "
            "is answered 'not estimable'.",
            "unused_lever",
        ),
    ),
    "quality_to_csat": (
        Assumption(
            _NO_CONFOUNDING.format(what="a project's on-time rate", outcome="the client's rating")
        ),
        Assumption(
            "Where each project has a single milestone, on-time rates are only 0 % or 100 % and "
            "the data show only the on-time-versus-late difference; it is read as the effect of "
            "a 10-point change through a standard model of how the 1-5 scale tops out.",
            "If the scale tops out in another way than that model's, the reading is off by the "
            "difference; the data cannot show it. In the simulation, which uses that same model, "
            "it came within 5 % (dividing the difference by ten instead ran 4-19 % high).",
            "binary_ontime",
        ),
    ),
    "status_reports_to_csat": (
        Assumption(
            _NO_CONFOUNDING.format(
                what="how often sales send status reports", outcome="the client's rating"
            )
            + " In particular, sales do not report more or less often because of how the "
            "client currently feels.",
            "Where sales report more often to clients who are already unhappy, the estimate "
            "runs low (about a quarter below the truth in the simulation).",
            "feedback",
        ),
        Assumption(
            "The status reports sent during a project are the contact that shaped the "
            "answers of its client's survey responses.",
            "With many clients the estimate ran 11-27 % high in seven simulated worlds "
            "without any such reaction (most in those with many renewals agreed before the "
            "data start and with effects much larger for big clients), and within 10 % in the "
            "others; the cause was not established.",
            "opening_renewals",
            (
                "size_heterogeneity",
                "few_responses",
                "decided_at_proposal",
                "funnel",
                "default",
                "price_and_size",
            ),
        ),
    ),
    "sales_in_escalations": (
        Assumption(
            _NO_CONFOUNDING.format(
                what="whether sales take part in an escalation",
                outcome="the client's later rating",
            )
        ),
        Assumption(
            "Each escalation is followed by enough survey responses to see the client's reaction.",
            "Where clients rarely answer surveys the interval is several times the effect. "
            "Where satisfaction acts on the sales funnel or deals are decided months before "
            "they close, the estimate ran about 15 % low with many clients (cause not "
            "established).",
            "few_responses",
            ("funnel", "decided_at_proposal"),
        ),
    ),
    "csat_to_repeat.value": (
        Assumption(
            "A client's satisfaction moves its repeat business within a few quarters of the "
            "decision to buy (the proposal, or the delivery lead), and what else changes "
            "from quarter to quarter for a client is not tied to its satisfaction.",
        ),
        Assumption(
            "Repeat business does not itself move later satisfaction windows, apart from "
            "what the client's own level and the quarter capture.",
            "Repeat deals bring projects whose survey answers form later satisfaction "
            "windows. Comparing each client's quarters with its own average over all of them "
            "then credits satisfaction with part of what repeat business did to it: with many "
            "clients the estimate ran 9-21 % high in five of the simulated worlds, and within "
            "6 % in the others. Methods free of this assumption gave intervals two to three "
            "times as wide. The Bayesian model compares each quarter with the client's own "
            "average too: with 1,000 clients it ran 18-44 % high in six worlds, most where "
            "deals are decided months before they close and where histories are short.",
            "default",
            (
                "opening_renewals",
                "short_panel",
                "unused_lever",
                "binary_ontime",
                "decided_at_proposal",
                "feedback",
                "few_responses",
            ),
        ),
    ),
    "csat_to_repeat.margin": (
        Assumption(
            "The margin of repeat work is set when the deal is decided, from the client's "
            "satisfaction then, and cost overruns are not themselves caused by the margin.",
            "With few repeat projects per client (short histories, few responses) the "
            "interval is wide and the estimate ran about a fifth low; where satisfaction acts "
            "on the sales funnel or deals are decided months before they close, 10-13 % low "
            "in the simulation.",
            "short_panel",
            ("funnel", "decided_at_proposal", "few_responses", "size_heterogeneity"),
        ),
        Assumption(
            "The Bayesian model reads the effect as the within-client slope of the delivered "
            "margin on the satisfaction windows, at the share of repeat projects they move.",
            "With 1,000 clients the Bayesian estimate ran high in every simulated world: 6-23 % "
            "in ten and 53 % where clients rarely answer surveys (cause not established; the "
            "causal estimate ran within 10 % in most of the same worlds).",
            "default",
            (
                "binary_ontime",
                "decided_at_proposal",
                "feedback",
                "few_responses",
                "opening_renewals",
                "price_and_size",
                "size_heterogeneity",
                "unused_lever",
            ),
        ),
    ),
    "quality_to_repeat.total": (
        Assumption(
            "On-time delivery acts on repeat business only through the client's trailing "
            "on-time record and satisfaction, within a year.",
        ),
        Assumption(
            "The Bayesian total adds its direct and indirect parts and takes their "
            "assumptions (below).",
            "With 1,000 clients the Bayesian total ran 30 % high where satisfaction's effects "
            "differ strongly by client size (its direct part ran high there) and 24 % high "
            "where clients rarely answer surveys (cause not established).",
            "size_heterogeneity",
            ("few_responses",),
        ),
        Assumption(
            "Nothing that changes from quarter to quarter for a client drives both its "
            "on-time record and its repeat business.",
        ),
    ),
    "quality_to_repeat.direct": (
        Assumption(
            "As for the total effect; the direct part is what on-time delivery does with the "
            "client's satisfaction held where it would be without the improvement.",
        ),
        Assumption(
            "The Bayesian model also takes this direct effect to be the same for clients of "
            "every size (its satisfaction effects may differ by size).",
            "Where on-time delivery matters more for some client sizes than for others, the "
            "Bayesian direct effect averages the sizes by how much data each has rather than "
            "by their repeat business; none of the simulated worlds has such a difference.",
        ),
        Assumption(
            "The Bayesian model separates the direct part by holding the client's trailing "
            "satisfaction score fixed, taking that score for the satisfaction that matters.",
            "Survey scores measure satisfaction with noise, so holding them fixed holds "
            "satisfaction only in part: where satisfaction's effects differ strongly by client "
            "size (and the indirect part is large) the Bayesian direct part ran 60 % high with "
            "1,000 clients, and 20 % high where clients rarely answer surveys. Where deals are decided months before they close, in short "
            "histories, with two-valued on-time rates and where repeat business feeds later "
            "satisfaction, it ran 22-45 % low (cause not established).",
            "size_heterogeneity",
            ("decided_at_proposal", "short_panel", "binary_ontime", "feedback", "few_responses"),
        ),
    ),
    "quality_to_repeat.indirect": (
        Assumption(
            "How strongly on-time delivery moves a client's satisfaction varies with the "
            "client's size, tenure, earlier satisfaction and room left on the scale, and "
            "otherwise not together with how strongly satisfaction moves its repeat business.",
            "Where both effects are much larger for big clients, one average effect for every "
            "client ran about a third low in the simulation; spread by those client traits it "
            "came within 10 %.",
            "size_heterogeneity",
        ),
        Assumption(
            "It inherits the satisfaction -> repeat business assumptions (above).",
            "With many clients the indirect part ran 14-16 % high in three of the simulated "
            "worlds (where the satisfaction -> repeat business estimate ran high too), and "
            "within about 10 % in the others. The Bayesian indirect part ran 16-47 % high in "
            "seven worlds with 1,000 clients, most where deals are decided months before they "
            "close.",
            "default",
            (
                "unused_lever",
                "opening_renewals",
                "binary_ontime",
                "decided_at_proposal",
                "few_responses",
                "short_panel",
                "feedback",
            ),
        ),
    ),
    "delivery_bonus_to_leads": (
        Assumption(
            "Without the bonus, delivery-sourced leads in the adopting business units would "
            "have grown at the same rate as in units that had not adopted it yet (parallel "
            "trends in ratios), and units did not adopt it because leads were about to rise.",
        ),
        Assumption(
            "Every delivery-sourced lead counts, including leads about work already under "
            "discussion, which the bonus may only relabel.",
            "The estimate ran 10-25 % above the bonus's effect on new leads in every simulated "
            "world.",
            "default",
            (
                "opening_renewals",
                "short_panel",
                "few_responses",
                "size_heterogeneity",
                "unused_lever",
            ),
        ),
    ),
}


def assumptions_table(estimands=None) -> pd.DataFrame:
    """One row per assumption: ``estimand``, ``assumption``, ``fails_when``, ``design``."""
    keys = list(ASSUMPTIONS) if estimands is None else [e for e in estimands if e in ASSUMPTIONS]
    rows = [
        {
            "estimand": e,
            "assumption": a.text,
            "fails_when": a.fails_when,
            "design": ", ".join(a.designs),
        }
        for e in keys
        for a in ASSUMPTIONS[e]
    ]
    return pd.DataFrame(rows, columns=["estimand", "assumption", "fails_when", "design"])


#: The simulated worlds in a phrase a client can read (designs of the simulator).
WORLDS: dict[str, str] = {
    "default": "the baseline firm",
    "decided_at_proposal": "deals decided at the proposal and closed months later",
    "opening_renewals": "many renewals agreed before the data start",
    "price_and_size": "satisfaction also moving price and deal size",
    "funnel": "satisfaction acting on proposals, win rates and deal size",
    "feedback": "sales reporting more to unhappy clients",
    "size_heterogeneity": "effects much larger for big clients",
    "few_responses": "clients rarely answering surveys",
    "short_panel": "only two years of data",
    "binary_ontime": "one milestone per project",
    "unused_lever": "nobody signing off proposals",
}


#: Where the validation studies' summaries ship. Read as package resources: ``causal`` sits below
#: :mod:`satprofit.validation` (which imports it) and never imports its code.
SUMMARY_PACKAGE = "satprofit.validation"


def read_summary(study: str) -> pd.DataFrame:
    """The calibration summary of ``study`` (``"causal"`` or ``"bayes"``) shipped with the
    package (``validation/<study>_calibration_summary.csv``; one row per size, design and
    estimand), or an empty frame when none is shipped."""
    try:
        ref = resources.files(SUMMARY_PACKAGE).joinpath(f"{study}_calibration_summary.csv")
        with ref.open("r", encoding="utf-8") as fh:
            return pd.read_csv(fh)
    except (FileNotFoundError, OSError, ModuleNotFoundError):
        return pd.DataFrame()


@lru_cache(maxsize=1)
def calibration_summary() -> pd.DataFrame:
    """The causal defaults' shipped calibration summary (see :func:`read_summary`)."""
    return read_summary("causal")


def calibration_evidence(estimand: str, summary: pd.DataFrame | None = None) -> str:
    """One plain sentence: how the method did on the simulated worlds of ``summary`` (default:
    the causal defaults' shipped study); "" when the study does not cover ``estimand``."""
    s = calibration_summary() if summary is None else summary
    if s.empty or estimand not in set(s["estimand"]):
        return ""
    s = s[(s["estimand"] == estimand) & (s["answered"] > 0)]
    if s.empty:
        return ""
    small = s[s["clients"] == s["clients"].min()]
    large = s[s["clients"] == s["clients"].max()]
    good = int((small["coverage"] >= 0.9).sum())
    text = (
        f"Checked on {len(small)} simulated worlds ({int(small['reps'].min())} portfolios of "
        f"{int(small['clients'].iloc[0]):,} clients each): the {INTERVAL_LABEL} interval held "
        f"the true effect in at least 90 % of portfolios in {good} of them"
    )
    lo, hi = large["rel_bias"].min(), large["rel_bias"].max()
    worst = large.loc[large["rel_bias"].abs().idxmax(), "design"]
    size = int(large["clients"].iloc[0])
    where = "" if size == int(small["clients"].iloc[0]) else f" of {size:,} clients"
    reps = int(large["reps"].min())
    over = "on one portfolio" if reps == 1 else f"averaged over {reps} portfolios"
    text += (
        f"; {over}{where} per world, the estimate "
        f"ran between {lo:+.0%} and {hi:+.0%} of the truth (largest gap: "
        f"{WORLDS.get(worst, worst.replace('_', ' '))})"
    )
    return text + "."
