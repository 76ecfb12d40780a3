r"""Reliability and validity of each construct's measurement, with plain-language warnings.

Per construct with items :math:`x_1..x_k` and standardized loadings :math:`\lambda_i`
(correlation of each item with the construct's PLS score):

.. math::

    \alpha = \frac{k}{k-1}\Big(1 - \frac{\sum_i \operatorname{var} x_i}
        {\operatorname{var} \sum_i x_i}\Big), \qquad
    \rho_c = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i (1 - \lambda_i^2)},
    \qquad \mathrm{AVE} = \frac{1}{k} \sum_i \lambda_i^2,

Cronbach's alpha on the raw items, composite reliability (Dillon-Goldstein's rho, from the PLS
loadings as SmartPLS and seminr compute it; plspm's ``unidim`` uses first-principal-component
loadings instead) and average variance extracted (plspm's block communality). Between constructs :math:`i \ne j`, the
heterotrait-monotrait ratio (Henseler, Ringle & Sarstedt 2015)

.. math::

    \mathrm{HTMT}_{ij} = \frac{\bar r_{ij}}{\sqrt{\bar r_{ii}\, \bar r_{jj}}},

the mean correlation of items across the two constructs over the geometric mean of the mean
correlations among each construct's own items (items are assumed coded in one direction). A
construct with one item has no alpha and no HTMT (NaN, with a note); its loading is 1 by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.survey.data import SurveyData, check_items
from satprofit.survey.pls import PLSResult, fit_pls
from satprofit.survey.spec import SurveySpec

#: The usual thresholds and where they come from.
THRESHOLDS = {
    "alpha": 0.70,  # Nunnally & Bernstein (1994)
    "rho_c": 0.70,  # Hair et al. (2019), "When to use and how to report the results of PLS-SEM"
    "rho_c_redundant": 0.95,  # ibid.: higher suggests near-duplicate items
    "ave": 0.50,  # Fornell & Larcker (1981)
    "loading": 0.70,  # Hair et al. (2019): the construct explains half of the item's variance
    "loading_serious": 0.40,  # ibid.: below it, remove the item
    "htmt_strict": 0.85,  # Henseler, Ringle & Sarstedt (2015): conceptually distinct constructs
    "htmt": 0.90,  # ibid.: conceptually similar constructs
}


def cronbach_alpha(items: np.ndarray | pd.DataFrame, *, standardized: bool = False) -> float:
    """Cronbach's alpha of the columns of ``items`` (NaN for fewer than two items).

    ``standardized=True`` gives alpha of the standardized items, as R plspm's ``unidim``
    reports it (IMAG of ECSI: 0.830 standardized, 0.822 raw).
    """
    x = np.asarray(items, dtype=np.float64)
    k = x.shape[1]
    if k < 2:
        return float("nan")
    if standardized:
        x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def composite_reliability(loadings: np.ndarray) -> float:
    """Composite reliability rho_c of standardized loadings."""
    lam = np.asarray(loadings, dtype=np.float64)
    num = lam.sum() ** 2
    return float(num / (num + (1 - lam**2).sum()))


def average_variance_extracted(loadings: np.ndarray) -> float:
    """Average variance extracted: the mean squared standardized loading."""
    return float(np.mean(np.asarray(loadings, dtype=np.float64) ** 2))


def htmt(items: pd.DataFrame, spec: SurveySpec) -> pd.DataFrame:
    """Heterotrait-monotrait ratios of every pair of constructs (symmetric; NaN on the
    diagonal and for constructs with one item)."""
    corr = items[spec.items].corr().to_numpy()
    index = {}
    start = 0
    for c in spec.constructs:
        index[c.name] = np.arange(start, start + len(c.items))
        start += len(c.items)
    mono = {}
    for name, idx in index.items():
        block = corr[np.ix_(idx, idx)]
        off = block[~np.eye(len(idx), dtype=bool)]
        mono[name] = off.mean() if off.size else np.nan
    names = spec.names
    out = np.full((len(names), len(names)), np.nan)
    for a, na in enumerate(names):
        for b, nb in enumerate(names):
            if a != b and np.isfinite(mono[na]) and np.isfinite(mono[nb]):
                hetero = corr[np.ix_(index[na], index[nb])].mean()
                with np.errstate(invalid="ignore"):
                    out[a, b] = hetero / np.sqrt(mono[na] * mono[nb])
    return pd.DataFrame(out, index=names, columns=names)


#: Columns of :attr:`MeasurementResult.issues`.
ISSUE_COLUMNS = ("construct", "other", "figure", "value", "threshold", "message")


@dataclass(frozen=True)
class MeasurementResult:
    """Reliability and validity of a survey's constructs.

    Attributes
    ----------
    spec : SurveySpec
        The constructs.
    constructs : DataFrame
        One row per construct: n_items, alpha, rho_c, ave, min_loading.
    loadings : DataFrame
        construct, item, loading (from the PLS fit).
    htmt : DataFrame
        Heterotrait-monotrait ratios, constructs x constructs.
    issues : DataFrame
        One row per threshold not met: construct, other (the item, or the other construct of
        an HTMT pair), figure, value, threshold, message.
    notes : list of str
        Figures that cannot be computed and why (single-item constructs).
    """

    spec: SurveySpec
    constructs: pd.DataFrame
    loadings: pd.DataFrame
    htmt: pd.DataFrame
    issues: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Every threshold not met, in plain words."""
        return list(self.issues["message"])

    def summary(self) -> pd.DataFrame:
        """Per construct: n_items, alpha, rho_c, ave, min_loading, max_htmt and the construct
        it is reached with, n_warnings."""
        table = self.constructs.copy()
        h = self.htmt
        has = h.notna().any(axis=1)
        table["max_htmt"] = h.max(axis=1)
        table["max_htmt_with"] = h.fillna(-np.inf).idxmax(axis=1).where(has, "")
        involved = pd.concat(
            [self.issues["construct"], self.issues.query("figure == 'htmt'")["other"]]
        )
        table["n_warnings"] = involved.value_counts().reindex(table.index, fill_value=0)
        return table

    def to_dict(self) -> dict:
        """JSON-ready: constructs (figures, NaN -> None), htmt pairs, warnings, notes."""
        rows = []
        for name, row in self.constructs.iterrows():
            rows.append({"construct": name} | {k: _num(v) for k, v in row.items()})
        names = self.spec.names
        pairs = [
            {"a": a, "b": b, "htmt": _num(self.htmt.loc[a, b])}
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        ]
        return {"constructs": rows, "htmt": pairs, "warnings": self.warnings, "notes": self.notes}


def measure(
    data: pd.DataFrame | SurveyData,
    spec: SurveySpec,
    *,
    pls: PLSResult | None = None,
    **settings,
) -> MeasurementResult:
    """Reliability (alpha, rho_c), convergent validity (AVE, loadings) and discriminant
    validity (HTMT) of each construct, with warnings where the usual thresholds fail.

    Parameters
    ----------
    data : DataFrame or SurveyData
        Responses with the spec's item columns.
    spec : SurveySpec
        Constructs and their items.
    pls : PLSResult, optional
        A PLS fit of these data to take the loadings from (default: fitted here, without
        bootstrap, with ``settings``).
    **settings
        :class:`~satprofit.survey.pls.PLSPathModel` settings (``scheme``, ``scaled``).

    Returns
    -------
    MeasurementResult
    """
    items = data.items if isinstance(data, SurveyData) else check_items(data, spec)
    if pls is None:
        pls = fit_pls(items, spec, n_boot=0, **settings)
    loadings = pls.loadings[["construct", "item", "loading"]]
    rows, issues, notes = {}, [], []
    for c in spec.constructs:
        lam = loadings.loc[loadings["construct"] == c.name, "loading"].to_numpy()
        row = {
            "n_items": len(c.items),
            "alpha": cronbach_alpha(items[list(c.items)]),
            "rho_c": composite_reliability(lam),
            "ave": average_variance_extracted(lam),
            "min_loading": float(lam.min()),
        }
        rows[c.name] = row
        if len(c.items) == 1:
            notes.append(
                f"{c.name} has one item ({c.items[0]}): Cronbach's alpha and HTMT need at least "
                "two items (left empty), and its loading, composite reliability and AVE are 1 "
                "by construction, so its reliability cannot be judged from the data."
            )
            continue
        issues += _construct_issues(c.name, row)
        issues += _loading_issues(c.name, c.items, lam)
    ratios = htmt(items, spec)
    issues += _htmt_issues(ratios)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["n_items"] = table["n_items"].astype("int64")
    issues_table = pd.DataFrame(issues, columns=list(ISSUE_COLUMNS))
    return MeasurementResult(
        spec, table, loadings.reset_index(drop=True), ratios, issues_table, notes
    )


def _construct_issues(name: str, row: dict) -> list[tuple]:
    t = THRESHOLDS
    out = []
    if row["alpha"] < t["alpha"]:
        msg = (
            f"{name}: Cronbach's alpha {row['alpha']:.2f} is below {t['alpha']:.2f}: its items "
            "agree less than the items of one construct usually do."
        )
        out.append((name, "", "alpha", row["alpha"], t["alpha"], msg))
    if row["rho_c"] < t["rho_c"]:
        msg = (
            f"{name}: composite reliability {row['rho_c']:.2f} is below {t['rho_c']:.2f}: its "
            "score is too noisy to rely on."
        )
        out.append((name, "", "rho_c", row["rho_c"], t["rho_c"], msg))
    elif row["rho_c"] > t["rho_c_redundant"]:
        msg = (
            f"{name}: composite reliability {row['rho_c']:.2f} is above "
            f"{t['rho_c_redundant']:.2f}: the items may be near-copies of one question."
        )
        out.append((name, "", "rho_c", row["rho_c"], t["rho_c_redundant"], msg))
    if row["ave"] < t["ave"]:
        msg = (
            f"{name}: AVE {row['ave']:.2f} is below {t['ave']:.2f}: the construct explains less "
            "than half of its items' variance."
        )
        out.append((name, "", "ave", row["ave"], t["ave"], msg))
    return out


def _loading_issues(name: str, items, lam: np.ndarray) -> list[tuple]:
    t = THRESHOLDS
    out = []
    for item, value in zip(items, lam, strict=True):
        if value < t["loading_serious"]:
            msg = (
                f"{name}: item {item} loads {value:.2f} (below {t['loading_serious']:.2f}): it "
                "hardly measures the construct; consider removing it."
            )
            out.append((name, item, "loading", value, t["loading_serious"], msg))
        elif value < t["loading"]:
            msg = (
                f"{name}: item {item} loads {value:.2f} (below {t['loading']:.2f}): weaker than "
                "usual; remove it only if that lifts AVE or composite reliability above their "
                "thresholds."
            )
            out.append((name, item, "loading", value, t["loading"], msg))
    return out


def _htmt_issues(ratios: pd.DataFrame) -> list[tuple]:
    t = THRESHOLDS
    out = []
    names = list(ratios.index)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            value = ratios.loc[a, b]
            if value > t["htmt"]:
                msg = (
                    f"{a} and {b}: HTMT {value:.2f} is above {t['htmt']:.2f}: respondents may "
                    "not tell the two apart (discriminant validity)."
                )
                out.append((a, b, "htmt", value, t["htmt"], msg))
            elif value > t["htmt_strict"]:
                msg = (
                    f"{a} and {b}: HTMT {value:.2f} is above {t['htmt_strict']:.2f}, the strict "
                    f"threshold for distinct constructs ({t['htmt']:.2f} is accepted for "
                    "conceptually similar ones)."
                )
                out.append((a, b, "htmt", value, t["htmt_strict"], msg))
    return out


def _num(v) -> float | int | None:
    if isinstance(v, int | np.integer):
        return int(v)
    v = float(v)
    return v if np.isfinite(v) else None
