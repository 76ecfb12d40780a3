"""Support checks: can these data answer this question with this method at all?

Every estimator assumes the data carry enough of the right variation: both arms of a binary
treatment, a continuous treatment that moves, enough clients for a cluster-robust interval,
more units than quantities to adjust for, propensities away from 0 and 1. When one of these
fails, an estimator still returns a number, but a meaningless one (a treatment nobody received
gave -9.45e12 pp with a "significant" interval). The checks here run before and after
estimation; a failed check becomes an honest refusal (``status="not_estimable"``) whose reason
a consultant can read out to a client.

Thresholds are deliberately low: they refuse what cannot be estimated at all, not what is
merely imprecise (the interval says that). Each is a named constant below.

Checks that need the fitted model (residual degrees of freedom, variation left after the
adjustment, propensity overlap) raise :class:`NotEstimable` from inside the estimator;
:mod:`satprofit.causal.api` turns it into a refusal.
"""

from __future__ import annotations

import math

import numpy as np

from satprofit.causal.results import CausalEstimate
from satprofit.features.questions import QuestionTable
from satprofit.questions import Wording
from satprofit.questions import question as question_spec

#: Fewest units of analysis any method is run on.
MIN_UNITS = 10
#: Fewest clients (clusters): a cluster-robust interval from fewer clients is not credible,
#: and AIPW's 5-fold client-grouped cross-fitting needs at least 5.
MIN_CLUSTERS = 5
#: Fewest units on each side of a binary treatment, and fewest units whose continuous
#: treatment differs from its most common value.
MIN_ARM_UNITS = 5
#: Fewest residual degrees of freedom (units minus every fitted quantity, fixed effects
#: included) a regression may leave: at 0 the fit is exact and no interval exists (this was
#: the ``ZeroDivisionError`` of small portfolios).
MIN_RESIDUAL_DOF = 5
#: A continuous treatment gets a curvature (squared) term only when it takes at least this
#: many distinct values and at least :data:`MIN_ARM_UNITS` units lie off its two most common
#: values; otherwise the squared term is (nearly) collinear with the linear one and the
#: contrast is unidentified.
MIN_CURVATURE_LEVELS = 3
#: Share of a treatment's variance that must survive the adjustment (fixed effects and
#: covariates partialled out); below it the treatment is determined by the adjustment set.
MIN_RESIDUAL_VARIANCE_SHARE = 1e-6
#: AIPW: a propensity below this (or above 1 minus this) means a unit's treatment is all but
#: determined by its covariates (separation) ...
EXTREME_PROPENSITY = 0.005
#: ... and AIPW refuses when more than this share of units are in that state: the estimate
#: would rest on the clipping rule, not on comparable treated and untreated units.
MAX_EXTREME_SHARE = 0.10
#: An interval narrower than this times the estimate's scale is no interval (see
#: :func:`check_result`).
ZERO_WIDTH = 1e-9
#: An estimate, or an interval half-width, larger than this many standard deviations of the
#: outcome is not an answer but a model that could not be fitted (a 9-client portfolio gave
#: +1.5e11 currency per csat point, interval +-2.8e13). No lever here moves an outcome by
#: more than a few of its standard deviations.
MAX_EFFECT_SDS = 100.0


class NotEstimable(ValueError):
    """The data cannot support the estimate; ``str(err)`` is a plain-language reason."""


class TooFewDegrees(NotEstimable):
    """More quantities to adjust for than the units can carry (a smaller set may still work)."""


def wording(question: str) -> Wording:
    """How sentences name a question's units and treatment (its spec's
    :class:`~satprofit.questions.Wording`); ``question`` may be an estimand id."""
    return question_spec(question).wording


def check_table(qt: QuestionTable, method: str = "regression") -> str | None:
    """Checks that need only the question's table: units, clients and treatment variation.

    Returns
    -------
    str or None
        The reason the estimand cannot be estimated, or None when the data support it.
    """
    w = wording(qt.estimand)
    n = qt.n
    if n < MIN_UNITS:
        return f"only {n} {w.units} to learn from (at least {MIN_UNITS} are needed)"
    n_clients = int(qt.data[qt.cluster].nunique())
    if n_clients < MIN_CLUSTERS:
        return (
            f"the {n} {w.units} come from only {n_clients} clients (at least {MIN_CLUSTERS} "
            "are needed for an interval that allows for several units of the same client)"
        )
    t = qt.data[qt.treatment].to_numpy(float)
    if not np.isfinite(t).all():
        return f"the {w.treatment} is missing for some {w.units}"
    if qt.treatment_kind == "binary":
        return _binary_variation(t, w)
    return _continuous_variation(t, w)


def _binary_variation(t: np.ndarray, w: Wording) -> str | None:
    n, n1 = len(t), int((t > 0.5).sum())
    effect = "so its effect cannot be estimated"
    if n1 == 0:
        return f"no {w.unit} had {w.treatment}, {effect}"
    if n1 == n:
        return f"every {w.unit} had {w.treatment}, so there is nothing to compare it with"
    if min(n1, n - n1) < MIN_ARM_UNITS:
        return (
            f"only {min(n1, n - n1)} of {n} {w.unit}s {'had' if n1 < n - n1 else 'lacked'} "
            f"{w.treatment} (at least {MIN_ARM_UNITS} with and {MIN_ARM_UNITS} without are "
            f"needed), {effect}"
        )
    return None


def _continuous_variation(t: np.ndarray, w: Wording) -> str | None:
    values, counts = np.unique(np.round(t, 9), return_counts=True)
    effect = "so its effect cannot be estimated"
    if len(values) == 1:
        if values[0] == 0 and w.none:
            return f"{w.none}, {effect}"
        return f"every {w.unit} has the same {w.treatment} ({values[0]:.3g}), {effect}"
    mode = values[counts.argmax()]
    others = len(t) - int(counts.max())
    if others < MIN_ARM_UNITS:
        return (
            f"only {others} of {len(t)} {w.unit}s have a {w.treatment} other than {mode:.3g} "
            f"(at least {MIN_ARM_UNITS} are needed), {effect}"
        )
    return None


def curvature(qt: QuestionTable, t: np.ndarray) -> tuple[bool, str]:
    """Whether a continuous treatment supports a squared term, and the note when it does not.

    With only two values the squared term is the same column as the linear one (up to an
    affine map) and the g-computation contrast is unidentified: a least-squares fit splits the
    slope arbitrarily, which inflated a "+10 pp" effect by ``(1 + 2 mean(t)) / 2``. Then the
    identified contrast is the adjusted difference between the two values, scaled to ``+d``,
    which assumes the effect is linear between them.
    """
    values, counts = np.unique(np.round(t, 9), return_counts=True)
    off_top_two = len(t) - int(np.sort(counts)[-2:].sum())
    if len(values) >= MIN_CURVATURE_LEVELS and off_top_two >= MIN_ARM_UNITS:
        return True, ""
    w = wording(qt.estimand)
    if len(values) == 2:
        return False, (
            f"the {w.treatment} takes only two values here ({values[0]:.3g} and "
            f"{values[1]:.3g}), so the effect shown is the adjusted difference between them "
            f"scaled to {_step(qt)}; this assumes the effect is linear in between (no "
            "curvature term)"
        )
    return False, (
        f"the {w.treatment} takes almost only two values here (only {off_top_two} "
        f"{w.unit}s have another), too few to estimate a curved effect; the effect is "
        "assumed linear"
    )


def _step(qt: QuestionTable) -> str:
    """The question's "+d" in words, from its unit ("csat points per +10 pp on-time rate")."""
    unit = qt.unit_label
    return unit.split(" per ", 1)[1] if " per " in unit else f"+{qt.delta:g}"


def clients_with_variation(qt: QuestionTable) -> int:
    """Clients whose units do not all share one treatment value: with client fixed effects
    only these carry information on the effect."""
    d = qt.data
    by_client = d.groupby(qt.cluster, sort=False)[qt.treatment]
    spread = by_client.max() - by_client.min()
    return int((spread > 1e-12).sum())


def require_within_variation(qt: QuestionTable) -> None:
    """Raise :class:`NotEstimable` when fewer than :data:`MIN_CLUSTERS` clients have
    treatment variation of their own (an estimator that needs client fixed effects)."""
    k = clients_with_variation(qt)
    if k < MIN_CLUSTERS:
        w = wording(qt.estimand)
        raise NotEstimable(
            f"the {w.treatment} changes within only {k} clients (at least {MIN_CLUSTERS} are "
            "needed to compare a client with itself), so its effect cannot be estimated"
        )


def require_residual_dof(qt: QuestionTable, n_params: int) -> int:
    """Residual degrees of freedom of a fit with ``n_params`` quantities (fixed effects
    included); raises :class:`TooFewDegrees` below :data:`MIN_RESIDUAL_DOF`."""
    dof = qt.n - n_params
    if dof < MIN_RESIDUAL_DOF:
        w = wording(qt.estimand)
        raise TooFewDegrees(
            f"only {qt.n} {w.units} for {n_params} quantities to estimate (the effect and "
            "everything it is adjusted for), too few to estimate it"
        )
    return dof


def require_residual_variation(qt: QuestionTable, share: float, adjustment: str) -> None:
    """Raise :class:`NotEstimable` when the treatment keeps almost none of its variance once
    the adjustment set (``adjustment``, plain words) is partialled out."""
    if not share >= MIN_RESIDUAL_VARIANCE_SHARE:
        w = wording(qt.estimand)
        raise NotEstimable(
            f"the {w.treatment} does not vary once {adjustment} are taken into account, so "
            "its effect cannot be separated from theirs"
        )


def require_overlap(qt: QuestionTable, propensity: np.ndarray) -> None:
    """AIPW: raise :class:`NotEstimable` when more than :data:`MAX_EXTREME_SHARE` of units
    have a propensity within :data:`EXTREME_PROPENSITY` of 0 or 1 (separation)."""
    extreme = (propensity < EXTREME_PROPENSITY) | (propensity > 1 - EXTREME_PROPENSITY)
    if extreme.mean() > MAX_EXTREME_SHARE:
        w = wording(qt.estimand)
        raise NotEstimable(
            f"for {100 * extreme.mean():.0f}% of {w.units} the adjustment set all but "
            f"decides whether they had {w.treatment} (no comparable {w.unit}s on the other "
            "side), so its effect cannot be estimated by weighting"
        )


def check_result(r: CausalEstimate) -> str | None:
    """Checks of a finished estimate: a NaN or infinite figure, an interval of (next to)
    zero width, or an estimate or interval beyond :data:`MAX_EFFECT_SDS` standard deviations
    of the outcome, is not an answer. Returns the reason or None.

    "Zero width" is relative: narrower than :data:`ZERO_WIDTH` times the larger of the
    estimate's size and the outcome's standard deviation (``diagnostics["sd_outcome"]``, in
    the estimand's unit). A treatment that never varies gave 8.6e-14 [-2.5e-13, 4.2e-13].
    """
    if not math.isfinite(r.estimate):
        return "the data do not determine the effect (the estimate came out undefined)"
    if not (math.isfinite(r.ci_low) and math.isfinite(r.ci_high) and math.isfinite(r.se)):
        return "the interval of the estimate could not be computed, so it cannot be judged"
    sd = float(r.diagnostics.get("sd_outcome", 0.0) or 0.0)
    scale = max(abs(r.estimate), sd)
    if r.ci_high - r.ci_low <= ZERO_WIDTH * scale:
        return "the interval has zero width, a sign that the data carry no information on it"
    if sd > 0 and max(abs(r.estimate), (r.ci_high - r.ci_low) / 2) > MAX_EFFECT_SDS * sd:
        return (
            f"the estimate or its interval is more than {MAX_EFFECT_SDS:g} times the spread of "
            "the outcome itself, a sign that the model could not be fitted on these data"
        )
    return None
