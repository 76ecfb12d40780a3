"""Construct scores on a 0-100 scale: each item rescaled by its answer scale, then averaged.

A respondent's score of a construct is the mean of its items, each mapped from its answer scale
onto 0..100 (``100 (x - min) / (max - min)``), so constructs on 0..10 and 1..5 scales read
alike. Unweighted means are what a client recognises and what performance in a key-driver chart
is measured in; their correlations (the importance side) are those of any equally weighted
composite.

:func:`item_scales` gives each item's scale (a portfolio's ``survey_items`` carry it; a survey
file's items get the observed range unless a scale is given), :func:`construct_scores` the
scores, and :func:`portfolio_scores` a portfolio's respondents with their client, date, csat,
nps, items and construct scores: the one frame key drivers and the client report read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.io.portfolio import Portfolio
from satprofit.io.validation import Origin, Problem
from satprofit.survey.data import SurveyDataError, check_items, wide_items
from satprofit.survey.spec import SurveySpec

__all__ = [
    "PortfolioScores",
    "construct_scores",
    "item_scales",
    "portfolio_scores",
    "rescale_items",
]


def item_scales(
    items: pd.DataFrame, scale: tuple[float, float] | None = None
) -> dict[str, tuple[float, float]]:
    """Answer scale of each item column: ``scale`` for every item, or the observed range of all
    items together (one scale for the whole survey, so no item is stretched on its own)."""
    if scale is None:
        values = items.to_numpy(float)
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    else:
        lo, hi = map(float, scale)
    if not hi > lo:
        raise ValueError(f"answer scale {lo:g}..{hi:g}: the maximum must exceed the minimum")
    return {c: (lo, hi) for c in items.columns}


def rescale_items(items: pd.DataFrame, scales: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Items on 0..100 by their answer scales."""
    out = {}
    for col in items.columns:
        lo, hi = scales[col]
        out[col] = 100.0 * (items[col].astype(float) - lo) / (hi - lo)
    return pd.DataFrame(out, index=items.index)


def construct_scores(
    items: pd.DataFrame, spec: SurveySpec, scales: dict[str, tuple[float, float]]
) -> pd.DataFrame:
    """Each respondent's 0-100 score of every construct of ``spec``.

    Parameters
    ----------
    items : DataFrame
        One column per item of the spec (raw answers), one row per respondent.
    spec : SurveySpec
    scales : dict
        Item -> (scale minimum, scale maximum), e.g. from :func:`item_scales`.

    Returns
    -------
    DataFrame
        One column per construct (causal order), the index of ``items``.
    """
    spec.check_columns(items.columns, "the items")
    scaled = rescale_items(items[spec.items], scales)
    return pd.DataFrame(
        {c.name: scaled[list(c.items)].mean(axis=1) for c in spec.constructs}, index=items.index
    )


@dataclass(frozen=True)
class PortfolioScores:
    """A portfolio's survey respondents with items and construct scores.

    Attributes
    ----------
    frame : DataFrame
        One row per response with items, indexed by ``response_id``: ``client_id``, ``date``,
        ``csat``, ``nps`` (as in ``surveys``), then every item (raw answers) and every
        construct's 0-100 score (:func:`construct_scores`).
    spec : SurveySpec
    scales : dict
        Item -> (scale minimum, scale maximum) from ``survey_items``.
    source : str
    notes : list of str
    """

    frame: pd.DataFrame
    spec: SurveySpec
    scales: dict[str, tuple[float, float]]
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def constructs(self) -> pd.DataFrame:
        """The construct scores alone."""
        return self.frame[self.spec.names]


def portfolio_scores(portfolio: Portfolio, spec: SurveySpec, source: str = "portfolio"):
    """The respondents of a portfolio's ``survey_items`` with their construct scores.

    Parameters
    ----------
    portfolio : Portfolio
        A validated portfolio.
    spec : SurveySpec
        The construct map its items follow (e.g. the shipped ``satprofit_survey``).
    source : str
        The portfolio as named in messages.

    Returns
    -------
    PortfolioScores

    Raises
    ------
    SurveyDataError
        No survey items, or items of the spec missing or not numeric for some responses (file,
        column, rule, rows).
    SpecError
        An item of the spec is not among the portfolio's items.
    """
    shown = f"{source}/survey_items"
    if portfolio.survey_items.empty:
        rule = "no survey items: the portfolio has no survey_items table (or it is empty)"
        raise SurveyDataError([Problem("survey", None, rule, file=shown)], shown)
    wide = wide_items(portfolio)
    items = check_items(wide.reset_index(), spec, shown, origin=Origin(shown))
    items.index = wide.index
    long = portfolio.survey_items
    lo = long.groupby("item")["scale_min"].min()
    hi = long.groupby("item")["scale_max"].max()
    scales = {i: (float(lo[i]), float(hi[i])) for i in spec.items}
    surveys = portfolio.surveys.set_index(portfolio.surveys["response_id"].astype(str))
    meta = surveys.loc[items.index, ["client_id", "date", "csat", "nps"]]
    meta = meta.astype({"csat": "float64", "nps": "float64"})
    frame = pd.concat([meta, items, construct_scores(items, spec, scales)], axis=1)
    frame.index.name = "response_id"
    return PortfolioScores(frame, spec, scales, shown, list(portfolio.notes))
