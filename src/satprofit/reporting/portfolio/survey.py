"""Portfolio report section: the multi-item survey's measurement and the path model between its
constructs.

Shown when the portfolio has a ``survey_items`` table. The construct map is the data folder's
``survey_spec.yaml`` when there is one, else the shipped ``satprofit_survey`` spec when every one
of its items is in the data (the simulator writes those items). The PLS path model is fitted here,
not at ``satprofit fit``: it takes well under a second with its bootstrap, is deterministic for a
seed, and shows only construct-level figures across all respondents (no client's data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from satprofit.constants import DEFAULT_SEED
from satprofit.reporting import blocks as B
from satprofit.reporting.survey_blocks import measurement_blocks, path_blocks

if TYPE_CHECKING:
    from satprofit.reporting.portfolio import PortfolioReport

__all__ = [
    "PORTFOLIO_SPEC",
    "SURVEY_BOOT",
    "SPEC_FILE",
    "SurveySection",
    "build_survey",
    "survey_blocks",
]

#: A construct map the consultant puts into the data folder.
SPEC_FILE = "survey_spec.yaml"
#: The shipped spec used when the folder has none (the simulator's items).
PORTFOLIO_SPEC = "satprofit_survey"
#: Bootstrap resamples of the section's PLS intervals.
SURVEY_BOOT = 500


@dataclass
class SurveySection:
    """The survey section: measurement and PLS path model, or why they are not shown.

    Attributes
    ----------
    spec : SurveySpec or None
    spec_source : str
        Where the construct map came from, in words.
    measurement : MeasurementResult or None
    pls : PLSResult or None
    n_responses : int
        Responses with items.
    reason : str or None
        Why the section shows no model (no items, no matching spec, bad data, no convergence).
    notes : list of str
    """

    spec: object = None
    spec_source: str = ""
    measurement: object = None
    pls: object = None
    n_responses: int = 0
    reason: str | None = None
    notes: list[str] = field(default_factory=list)


def _spec(run):
    """(spec, where it came from) for the run's data, or (None, reason)."""
    from satprofit.survey import SpecError, load_spec

    folder = getattr(run, "data", None)
    if folder is not None and (folder / SPEC_FILE).is_file():
        path = folder / SPEC_FILE
        try:
            return load_spec(path), f"the data folder's {SPEC_FILE}"
        except SpecError as exc:
            return None, f"the data folder's {SPEC_FILE} cannot be used: {exc}"
    spec = load_spec(PORTFOLIO_SPEC)
    have = set(run.portfolio.survey_items["item"].astype(str))
    missing = [i for i in spec.items if i not in have]
    if missing:
        return None, (
            f"the survey items do not match the shipped {PORTFOLIO_SPEC} spec (missing "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}); put a "
            f"{SPEC_FILE} mapping items to constructs into the data folder"
        )
    return spec, f"the shipped {PORTFOLIO_SPEC} spec"


def build_survey(run, *, n_boot: int = SURVEY_BOOT, seed: int = DEFAULT_SEED) -> SurveySection:
    """Measurement and PLS path model of the run's survey items (nothing is saved).

    Parameters
    ----------
    run : satprofit.runs.Run
    n_boot : int
        Bootstrap resamples for the path intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    SurveySection
        With ``reason`` set (and no model) when there are no items, no usable spec, the
        items break the spec's rules or PLS does not converge.
    """
    from satprofit.io.validation import Origin
    from satprofit.survey import (
        PLSConvergenceError,
        SpecError,
        SurveyDataError,
        check_items,
        fit_pls,
        measure,
        wide_items,
    )

    p = run.portfolio
    if p.survey_items is None or p.survey_items.empty:
        return SurveySection(reason="the data hold no multi-item survey (no survey_items table)")
    spec, source = _spec(run)
    if spec is None:
        return SurveySection(reason=source)
    shown = "survey_items"
    try:
        wide = wide_items(p).reset_index()
        items = check_items(wide, spec, shown, origin=Origin(shown))
        pls = fit_pls(items, spec, n_boot=n_boot, seed=seed)
        measurement = measure(items, spec, pls=pls)
    except (SpecError, SurveyDataError, PLSConvergenceError) as exc:
        return SurveySection(spec=spec, spec_source=source, reason=str(exc))
    return SurveySection(
        spec=spec,
        spec_source=source,
        measurement=measurement,
        pls=pls,
        n_responses=len(items),
    )


def survey_blocks(r: PortfolioReport) -> list:
    """Display blocks of the survey section."""
    s: SurveySection | None = r.survey
    if s is None or s.reason is not None:
        why = s.reason if s is not None else "the report was built without it"
        return [B.callout(f"No survey measurement or path model: {why}.", "info")]
    constructs = ", ".join(c.label or c.name for c in s.spec.constructs)
    out = [
        B.paragraph(
            f"{B.plural(s.n_responses, 'response')} answered the multi-item survey; its items "
            f"measure {constructs} (construct map: {s.spec_source}). The path model estimates "
            f"how the constructs relate across respondents, with {B.count(s.pls.n_boot)} "
            "bootstrap resamples for the intervals."
        ),
        B.heading("How well the survey measures", 3),
        *measurement_blocks(s.measurement),
        B.heading("Path model between the constructs", 3),
        *path_blocks(s.pls),
    ]
    return out
