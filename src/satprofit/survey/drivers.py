"""Key-driver analysis: which drivers' variation goes with an outcome's, and which of them is known
to cause it.

:func:`key_drivers` splits the R-squared of the outcome's linear regression on the drivers into
one share per driver, two ways (:mod:`satprofit.survey.dominance`): Johnson's relative weights
and the Shapley value (general dominance). Bootstrap percentile intervals, the rank of each
driver and the probability that it ranks first come from resamples of whole clients when a
client column is given (respondents of one client are not independent) and of respondents
otherwise. Each driver is placed in the importance-vs-performance quadrant (performance: its
mean 0-100 score; importance: its share of R-squared; thresholds at the means over drivers).

Importance here is association: a driver ranks high when it moves together with the outcome,
whether it causes it, is caused by it, or shares a cause with it. Each driver is therefore
labelled **causal** when a question of QUESTIONS.md gives its total effect on what the outcome
measures (the spec's ``question:`` of the driver construct and ``measures:`` of the outcome, see
:data:`satprofit.survey.spec.QUESTION_OUTCOMES`; ``satprofit estimate`` answers that question)
and **associational** otherwise. The label says whether a causal figure exists, not that the
share of R-squared is one.

:func:`survey_key_drivers` runs it on construct scores (:mod:`satprofit.survey.scores`) or items
of a survey file or a portfolio folder (``satprofit drivers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB, INTERVAL_QUANTILES
from satprofit.questions import question as question_spec
from satprofit.survey import dominance as D
from satprofit.survey.spec import QUESTION_OUTCOMES, SurveySpec

__all__ = [
    "DEFAULT_N_BOOT",
    "METHODS",
    "MIN_ROWS",
    "QUADRANTS",
    "KeyDrivers",
    "causal_labels",
    "key_drivers",
    "quadrant",
    "survey_key_drivers",
]

#: Bootstrap resamples by default.
DEFAULT_N_BOOT = 1000
#: Fewest rows (respondents) for a key-driver analysis, beyond one more than the drivers.
MIN_ROWS = 10
#: Fewest clusters (clients) for a clustered bootstrap.
MIN_CLUSTERS = 5
#: The decompositions: column prefix -> label.
METHODS = {"rw": "relative weights", "shapley": "Shapley (general dominance)"}

#: (importance at or above the mean, performance at or above the mean) -> quadrant label.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "keep up",
    (True, False): "fix first",
    (False, True): "possible overkill",
    (False, False): "low priority",
}

#: Plain words of the two kinds of importance.
CAUSAL_TEXT = "measured effect"
ASSOCIATIONAL_TEXT = "moves together with the outcome; not shown to cause it"


def quadrant(importance: float, performance: float, imp_cut: float, perf_cut: float) -> str:
    """Quadrant of a driver: thresholds ``imp_cut``, ``perf_cut`` (ties count as high)."""
    if not (np.isfinite(importance) and np.isfinite(performance)):
        return "not placed"
    return QUADRANTS[(importance >= imp_cut, performance >= perf_cut)]


def causal_labels(spec: SurveySpec, outcome: str, drivers: list[str]) -> pd.DataFrame:
    """Whether each driver's importance for ``outcome`` has a causal counterpart.

    A driver is causal when it is a construct whose ``question`` (a question id) has an outcome
    (:data:`~satprofit.survey.spec.QUESTION_OUTCOMES`) equal to what ``outcome`` measures: the
    ``measures`` of the outcome construct, or of the construct an outcome item belongs to, or the
    outcome column itself (``csat``).

    Returns
    -------
    DataFrame
        Indexed by driver: ``causal`` (bool), ``question`` (id or None), ``evidence`` (plain
        words: the question's title, or why the importance is only associational).
    """
    measured = _measures(spec, outcome)
    rows = {}
    for d in drivers:
        con = next((c for c in spec.constructs if c.name == d), None)
        q = con.question if con is not None else None
        if con is None:
            owner = next((c for c in spec.constructs if d in c.items), None)
            why = (
                f"an item of {owner.name}: a question gives the construct's effect, not one item's"
                if owner is not None and owner.question
                else "no question of QUESTIONS.md gives its effect"
            )
            rows[d] = (False, None, why)
        elif q is None:
            rows[d] = (False, None, "no question of QUESTIONS.md gives its effect")
        elif measured is None or QUESTION_OUTCOMES[q] != measured:
            what = measured or "an outcome the spec does not tie to a question"
            rows[d] = (
                False,
                q,
                f"question {q} gives its effect on {QUESTION_OUTCOMES[q]}, not on {what}",
            )
        else:
            rows[d] = (True, q, f"total effect measured by question {q}: {question_spec(q).title}")
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["causal", "question", "evidence"]
    ).astype({"causal": bool})


def _measures(spec: SurveySpec, outcome: str) -> str | None:
    if outcome in set(QUESTION_OUTCOMES.values()):
        return outcome
    for c in spec.constructs:
        if outcome == c.name or outcome in c.items:
            return c.measures
    return None


@dataclass
class KeyDrivers:
    """A key-driver analysis: importance (shares of R-squared) with intervals, ranks,
    performance, quadrant and the causal label of each driver.

    Attributes
    ----------
    table : DataFrame
        One row per driver (index, in the order given): ``label``; per method ``m`` of
        :data:`METHODS`: ``m`` (its part of R-squared), ``m_low``, ``m_high`` (percentile
        interval), ``m_share`` (part of R-squared / R-squared) and its interval
        ``m_share_low``, ``m_share_high``, ``m_rank`` (1: largest),
        ``m_p_first`` (share of resamples in which it ranks first); ``importance`` (the share
        of R-squared of ``method``), ``performance`` (mean 0-100 score), ``quadrant``,
        ``causal``, ``question``, ``evidence``.
    outcome : str
    r_squared : float
        R-squared of the outcome on every driver.
    r_squared_interval : tuple of float
    n : int
        Rows (respondents).
    n_clusters : int or None
        Clients resampled (None: respondents resampled).
    n_boot : int
        Bootstrap resamples used (after ``n_boot_failed`` singular ones were left out).
    n_boot_failed : int
    seed : int
    method : str
        The decomposition behind ``importance`` and the quadrant (``rw`` or ``shapley``).
    source : str
    notes : list of str
    """

    table: pd.DataFrame
    outcome: str
    r_squared: float
    r_squared_interval: tuple[float, float]
    n: int
    n_clusters: int | None
    n_boot: int
    n_boot_failed: int
    seed: int
    method: str = "rw"
    source: str = "<data>"
    notes: list[str] = field(default_factory=list)
    interval_prob: float = INTERVAL_PROB

    @property
    def drivers(self) -> list[str]:
        return list(self.table.index)

    @property
    def thresholds(self) -> tuple[float, float]:
        """Quadrant thresholds: mean importance and mean performance over the drivers."""
        return float(self.table["importance"].mean()), float(self.table["performance"].mean())

    def ranking(self, method: str | None = None) -> list[str]:
        """Drivers from most to least important by ``method`` (default: :attr:`method`)."""
        return list(self.table[f"{method or self.method}_rank"].sort_values().index)

    def summary(self) -> pd.DataFrame:
        """The readable table: shares of R-squared (%), intervals, ranks, quadrant, label."""
        t = self.table
        out = pd.DataFrame(index=t.index)
        out["label"] = t["label"]
        for m in METHODS:
            out[f"{m} %"] = 100 * t[f"{m}_share"]
            out[f"{m} low %"] = 100 * t[f"{m}_share_low"]
            out[f"{m} high %"] = 100 * t[f"{m}_share_high"]
            out[f"{m} rank"] = t[f"{m}_rank"]
            out[f"P({m} first)"] = t[f"{m}_p_first"]
        out["performance"] = t["performance"]
        out["quadrant"] = t["quadrant"]
        out["importance"] = np.where(t["causal"], "causal", "associational")
        out["question"] = t["question"].fillna("")
        return out

    def to_dict(self) -> dict:
        """Plain JSON-ready record (``satprofit drivers --json``)."""
        drivers = []
        for name, row in self.table.iterrows():
            rec = {"driver": name, "label": row["label"]}
            for m in METHODS:
                rec[m] = {
                    "estimate": _num(row[m]),
                    "ci_low": _num(row[f"{m}_low"]),
                    "ci_high": _num(row[f"{m}_high"]),
                    "share": _num(row[f"{m}_share"]),
                    "share_low": _num(row[f"{m}_share_low"]),
                    "share_high": _num(row[f"{m}_share_high"]),
                    "rank": int(row[f"{m}_rank"]),
                    "p_first": _num(row[f"{m}_p_first"]),
                }
            rec |= {
                "importance": _num(row["importance"]),
                "performance": _num(row["performance"]),
                "quadrant": row["quadrant"],
                "causal": bool(row["causal"]),
                "question": row["question"] if isinstance(row["question"], str) else None,
                "evidence": row["evidence"],
            }
            drivers.append(rec)
        imp_cut, perf_cut = self.thresholds
        return {
            "outcome": self.outcome,
            "source": self.source,
            "n": self.n,
            "n_clusters": self.n_clusters,
            "r_squared": {
                "estimate": _num(self.r_squared),
                "ci_low": _num(self.r_squared_interval[0]),
                "ci_high": _num(self.r_squared_interval[1]),
            },
            "drivers": drivers,
            "quadrant": {
                "importance": self.method,
                "importance_threshold": _num(imp_cut),
                "performance_threshold": _num(perf_cut),
            },
            "settings": {
                "n_boot": self.n_boot,
                "n_boot_failed": self.n_boot_failed,
                "seed": self.seed,
                "interval_prob": self.interval_prob,
                "resampled": "clients" if self.n_clusters else "respondents",
            },
            "notes": list(self.notes),
        }

    def plot(self, ax=None):
        """Importance (share of R-squared, with its interval) against performance (0-100), the
        quadrants split at the means; causal drivers filled, associational ones hollow."""
        import matplotlib.pyplot as plt

        t = self.table
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 5), constrained_layout=True)
        else:
            fig = ax.figure
        imp_cut, perf_cut = self.thresholds
        r2 = self.r_squared
        lo = 100 * t[f"{self.method}_share_low"]
        hi = 100 * t[f"{self.method}_share_high"]
        y = 100 * t["importance"]
        for causal, style in ((True, "black"), (False, "white")):
            sel = t["causal"] == causal
            if not sel.any():
                continue
            ax.errorbar(
                t.loc[sel, "performance"],
                y[sel],
                yerr=np.clip(np.vstack([y[sel] - lo[sel], hi[sel] - y[sel]]), 0, None),
                fmt="o",
                mfc=style,
                mec="black",
                ecolor="0.55",
                capsize=3,
                ms=8,
                label="causal (measured effect)" if causal else "associational only",
            )
        for name, row in t.iterrows():
            ax.annotate(
                str(row["label"] or name).replace("$", r"\$"),
                (row["performance"], 100 * row["importance"]),
                textcoords="offset points",
                xytext=(7, 5),
                fontsize=8.5,
            )
        ax.axvline(perf_cut, color="grey", lw=0.8, ls="--")
        ax.axhline(100 * imp_cut, color="grey", lw=0.8, ls="--")
        corners = {
            (0.02, 0.97, "left"): "fix first",
            (0.98, 0.97, "right"): "keep up",
            (0.02, 0.03, "left"): "low priority",
            (0.98, 0.03, "right"): "possible overkill",
        }
        for (x, yy, ha), text in corners.items():
            ax.text(
                x, yy, text, transform=ax.transAxes, ha=ha, va="top" if yy > 0.5 else "bottom",
                fontsize=9, color="0.35", style="italic",
            )  # fmt: skip
        ax.set_xlabel("Performance: mean score (0-100)")
        ax.set_ylabel(f"Importance: share of R-squared (%, {METHODS[self.method]})")
        ax.set_title(f"Key drivers of {self.outcome} (R-squared {r2:.2f})")
        ax.legend(loc="center right", fontsize=8, frameon=False)
        return fig


def _num(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _resample_weights(
    rng: np.random.Generator, n_boot: int, groups: np.ndarray | None, n: int
) -> np.ndarray:
    """Frequency weights of the rows per resample: whole groups drawn with replacement (their
    rows weighted by how often the group was drawn), or rows when ``groups`` is None."""
    if groups is None:
        return rng.multinomial(n, np.full(n, 1 / n), size=n_boot).astype(float)
    k = int(groups.max()) + 1
    counts = rng.multinomial(k, np.full(k, 1 / k), size=n_boot).astype(float)
    return counts[:, groups]


def _valid(corr: np.ndarray) -> np.ndarray:
    """Resamples whose correlation matrix is finite and whose drivers are not collinear."""
    ok = np.isfinite(corr).all(axis=(-2, -1))
    vals = np.linalg.eigvalsh(np.where(ok[:, None, None], corr, np.eye(corr.shape[-1]))[:, 1:, 1:])
    return ok & (vals[:, 0] > 1e-10 * vals[:, -1])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 for the largest along the last axis (ties: order of the drivers)."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks


def key_drivers(
    frame: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    *,
    clusters: pd.Series | np.ndarray | None = None,
    performance: pd.DataFrame | None = None,
    labels: dict[str, str] | None = None,
    causal: pd.DataFrame | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    method: str = "rw",
    source: str = "<data>",
    chunk: int = 250,
) -> KeyDrivers:
    """Relative weights and Shapley decomposition of R-squared, with bootstrap intervals.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent; numeric columns ``outcome`` and ``drivers``.
    outcome : str
        The outcome column.
    drivers : list of str
        Driver columns (2 to :data:`~satprofit.survey.dominance.MAX_EXACT_DRIVERS`).
    clusters : Series or ndarray, optional
        Client of each row: the bootstrap then resamples whole clients.
    performance : DataFrame, optional
        The drivers on a 0-100 scale for the quadrant's performance (default: ``frame``'s
        driver columns, as they are).
    labels : dict, optional
        Driver -> plain label.
    causal : DataFrame, optional
        :func:`causal_labels` of the drivers (default: every driver associational).
    n_boot : int
        Bootstrap resamples (0: no intervals, ranks from the estimate alone).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same result.
    method : {"rw", "shapley"}
        The decomposition behind ``importance`` and the quadrant.
    source : str
        The data as named in messages.
    chunk : int
        Resamples per batch (memory: ``chunk x rows``).

    Returns
    -------
    KeyDrivers

    Raises
    ------
    ValueError
        A column is missing or not numeric, values are missing, a driver is constant or
        collinear, too few rows or clients; the message names the data, column and rule.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {', '.join(METHODS)}")
    if n_boot < 0:
        raise ValueError(f"n_boot {n_boot}: give 0 (no intervals) or more resamples")
    drivers = list(drivers)
    if len(drivers) < 2:
        raise ValueError(f"{source}: key drivers need at least 2 drivers (got {drivers})")
    if len(set(drivers)) != len(drivers) or outcome in drivers:
        raise ValueError(f"{source}: drivers {drivers} repeat a column or include the outcome")
    if len(drivers) > D.MAX_EXACT_DRIVERS:
        raise ValueError(
            f"{source}: {len(drivers)} drivers; the exact Shapley decomposition is limited to "
            f"{D.MAX_EXACT_DRIVERS} (2^p subsets): group items into constructs or pick fewer"
        )
    z = _matrix(frame, [outcome, *drivers], source)
    n = len(z)
    if n < max(MIN_ROWS, len(drivers) + 2):
        raise ValueError(
            f"{source}: {n} rows; key drivers of {len(drivers)} drivers need at least "
            f"{max(MIN_ROWS, len(drivers) + 2)}"
        )
    notes: list[str] = []
    groups, n_clusters = None, None
    if clusters is not None:
        codes, uniques = pd.factorize(pd.Series(np.asarray(clusters)).astype(str))
        if len(codes) != n:
            raise ValueError(f"{source}: {len(codes)} client ids for {n} rows")
        n_clusters = len(uniques)
        if n_clusters < MIN_CLUSTERS:
            raise ValueError(
                f"{source}: respondents of {n_clusters} clients; a bootstrap by client needs "
                f"at least {MIN_CLUSTERS}"
            )
        groups = codes
    corr = D.correlation(D.weighted_covariance(z))
    if not _valid(corr)[0]:
        raise ValueError(
            f"{source}: the drivers {drivers} are collinear (one is a linear combination of "
            "others): drop one"
        )
    point = {"rw": D.relative_weights(corr)[0], "shapley": D.shapley(corr)[0]}
    r2 = float(D.r_squared(corr, range(1, len(drivers) + 1))[0])
    draws = {m: [] for m in METHODS} | {"r2": []}
    rng = np.random.default_rng(seed)
    failed = 0
    for start in range(0, n_boot, chunk):
        w = _resample_weights(rng, min(chunk, n_boot - start), groups, n)
        c = D.correlation(D.weighted_covariance(z, w))
        ok = _valid(c)
        failed += int((~ok).sum())
        c = c[ok]
        if len(c):
            draws["rw"].append(D.relative_weights(c))
            draws["shapley"].append(D.shapley(c))
            draws["r2"].append(D.r_squared(c, range(1, len(drivers) + 1))[:, None])
    if failed:
        notes.append(f"{failed} of {n_boot} resamples left out: a driver constant or collinear")
    p = len(drivers)
    stacks = {k: (np.concatenate(v) if v else np.zeros((0, 1))) for k, v in draws.items()}
    q = np.asarray(INTERVAL_QUANTILES)
    table = pd.DataFrame(index=pd.Index(drivers, name="driver"))
    table["label"] = [(labels or {}).get(d, d) for d in drivers]
    for m in METHODS:
        table[m] = point[m]
        boot = stacks[m]
        lo_hi = np.quantile(boot, q, axis=0) if len(boot) else np.full((2, p), np.nan)
        table[f"{m}_low"], table[f"{m}_high"] = lo_hi[0], lo_hi[1]
        table[f"{m}_share"] = point[m] / r2 if r2 > 0 else np.nan
        share = boot / stacks["r2"] if len(boot) else boot
        lo_hi = np.quantile(share, q, axis=0) if len(boot) else np.full((2, p), np.nan)
        table[f"{m}_share_low"], table[f"{m}_share_high"] = lo_hi[0], lo_hi[1]
        table[f"{m}_rank"] = _ranks(point[m])
        table[f"{m}_p_first"] = (
            (_ranks(boot) == 1).mean(axis=0) if len(boot) else (table[f"{m}_rank"] == 1) * 1.0
        )
    r2_boot = stacks["r2"][:, 0] if len(stacks["r2"]) else np.zeros(0)
    r2_int = tuple(np.quantile(r2_boot, q)) if len(r2_boot) else (np.nan, np.nan)
    perf = frame[drivers] if performance is None else performance[drivers]
    table["importance"] = table[f"{method}_share"]
    table["performance"] = _matrix(perf, drivers, source, constant=True).mean(axis=0)
    imp_cut, perf_cut = table["importance"].mean(), table["performance"].mean()
    table["quadrant"] = [
        quadrant(i, pf, imp_cut, perf_cut)
        for i, pf in zip(table["importance"], table["performance"], strict=True)
    ]
    if causal is None:
        causal = pd.DataFrame(
            {"causal": False, "question": None, "evidence": "no causal mapping given"},
            index=drivers,
        )
    for col in ("causal", "question", "evidence"):
        table[col] = causal.reindex(drivers)[col].to_numpy()
    table["causal"] = table["causal"].astype(bool)
    return KeyDrivers(
        table=table,
        outcome=outcome,
        r_squared=r2,
        r_squared_interval=(float(r2_int[0]), float(r2_int[1])),
        n=n,
        n_clusters=n_clusters,
        n_boot=n_boot - failed,
        n_boot_failed=failed,
        seed=seed,
        method=method,
        source=source,
        notes=notes,
    )


def _matrix(
    frame: pd.DataFrame, columns: list[str], source: str, *, constant: bool = False
) -> np.ndarray:
    """The columns as a float matrix; missing or non-numeric values (and constant columns,
    unless ``constant``) raise."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{source}: no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    problems = []
    out = []
    for c in columns:
        values = pd.to_numeric(frame[c], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            eg = ", ".join(str(frame.index[i]) for i in bad[:5])
            problems.append(
                f"column {c}: {len(bad)} row(s) missing or not numeric (rows {eg}): key "
                "drivers need every value"
            )
        elif not constant and len(values) and np.ptp(values) == 0:
            problems.append(f"column {c}: the same value in every row: a constant explains nothing")
        out.append(values)
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
    return np.column_stack(out)


def survey_key_drivers(
    data: str | Path,
    spec: SurveySpec,
    outcome: str,
    drivers: list[str] | None = None,
    *,
    items: bool = False,
    cluster: str | None = None,
    scale: tuple[float, float] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    method: str = "rw",
    encoding: str | None = None,
) -> KeyDrivers:
    """Key drivers of a survey file or a portfolio folder's ``survey_items``.

    Parameters
    ----------
    data : str or Path
        A survey file (one row per respondent, item columns) or a portfolio folder.
    spec : SurveySpec
        The construct map (and the drivers' ``question`` / the outcome's ``measures``).
    outcome : str
        A construct (its 0-100 score), an item, or, for a portfolio, ``csat`` or ``nps``.
    drivers : list of str, optional
        Constructs or items; default: the constructs with a path into ``outcome`` (for an item
        or csat, into the construct it belongs to or that measures it), or their items with
        ``items=True``.
    items : bool
        Default drivers are the items of those constructs rather than their scores.
    cluster : str, optional
        A survey file's client column (a portfolio always resamples by client).
    scale : (float, float), optional
        A survey file's answer scale for performance (default: the observed range of its items).
    n_boot, seed, method
        As :func:`key_drivers`.
    encoding : str, optional
        Encoding of a text file that is not UTF-8.

    Returns
    -------
    KeyDrivers
    """
    from satprofit.survey.scores import (
        construct_scores,
        item_scales,
        portfolio_scores,
        rescale_items,
    )

    path = Path(data)
    notes: list[str] = []
    if path.is_dir():
        from satprofit.io import load_portfolio

        ps = portfolio_scores(load_portfolio(path, encoding=encoding), spec, str(path))
        frame, scales, source = ps.frame, ps.scales, ps.source
        clusters = frame["client_id"]
        notes += ps.notes
    else:
        raw_items, clusters, source, read_notes = _read_file(path, spec, cluster, encoding)
        scales = item_scales(raw_items, scale)
        if scale is None:
            lo, hi = next(iter(scales.values()))
            notes.append(
                f"performance on the items' observed range {lo:g}..{hi:g} mapped to 0-100 "
                "(give the answer scale to use the full one)"
            )
        frame = pd.concat([raw_items, construct_scores(raw_items, spec, scales)], axis=1)
        notes += read_notes
    outcome, drivers = _resolve(spec, outcome, drivers, items, list(frame.columns), source)
    if outcome in ("csat", "nps") and "client_id" in frame:
        keep = frame[outcome].notna().to_numpy()
        if not keep.all():
            notes.append(f"{int((~keep).sum())} responses without {outcome} left out")
            frame, clusters = frame[keep], clusters[keep]
    perf = {}
    for d in drivers:
        perf[d] = frame[d] if d in spec.names else rescale_items(frame[[d]], scales)[d]
    labels = {c.name: c.label or c.name for c in spec.constructs}
    result = key_drivers(
        frame,
        outcome,
        drivers,
        clusters=clusters,
        performance=pd.DataFrame(perf),
        labels=labels,
        causal=causal_labels(spec, outcome, drivers),
        n_boot=n_boot,
        seed=seed,
        method=method,
        source=source,
    )
    result.notes[:0] = notes
    return result


def _resolve(
    spec: SurveySpec,
    outcome: str,
    drivers: list[str] | None,
    items: bool,
    columns: list[str],
    source: str,
) -> tuple[str, list[str]]:
    """The outcome column and the driver columns, defaults from the spec's paths."""
    if outcome not in columns:
        raise ValueError(
            f"{source}: outcome {outcome!r} is neither a construct ({', '.join(spec.names)}) nor "
            "an item" + (" nor csat/nps" if "csat" in columns else "")
        )
    if drivers:
        unknown = [d for d in drivers if d not in columns]
        if unknown:
            raise ValueError(
                f"{source}: driver(s) {', '.join(map(repr, unknown))} are neither constructs "
                f"({', '.join(spec.names)}) nor items of the spec"
            )
        return outcome, list(drivers)
    target = outcome
    if outcome not in spec.names:
        owner = next((c.name for c in spec.constructs if outcome in c.items), None)
        owner = owner or next((c.name for c in spec.constructs if c.measures == outcome), None)
        if owner is None:
            raise ValueError(
                f"{source}: outcome {outcome!r} belongs to no construct of the spec: give the "
                "drivers"
            )
        target = owner
    causes = spec.causes(target)
    if len(causes) < (1 if items else 2):
        raise ValueError(
            f"{source}: {target} has {len(causes)} cause(s) in spec {spec.name}: give the "
            "drivers (--drivers)"
        )
    if items:
        return outcome, [i for c in causes for i in spec.construct(c).items]
    return outcome, causes


def _read_file(path: Path, spec: SurveySpec, cluster: str | None, encoding: str | None):
    """A survey file's checked items and its client column (or None)."""
    from satprofit.io.readers import read_table_file
    from satprofit.io.validation import Problem
    from satprofit.survey.data import SurveyDataError, check_items

    shown = str(path)
    if not path.is_file():
        rule = "no such file or folder" if not path.exists() else "not a file"
        raise SurveyDataError([Problem("survey", None, rule, file=shown)], shown)
    expected = [*spec.items, *([cluster] if cluster else [])]
    raw = read_table_file(path, "survey", expected=expected, encoding=encoding, shown=shown)
    if raw.problems or raw.frame is None:
        raise SurveyDataError(raw.problems, shown)
    items = check_items(raw.frame, spec, shown, origin=raw.origin)
    clusters = None
    if cluster:
        if cluster not in raw.frame.columns:
            raise SurveyDataError(
                [Problem("survey", cluster, "no such column (the client column of --cluster)",
                         file=shown)],
                shown,
            )  # fmt: skip
        col = raw.frame[cluster].reset_index(drop=True).astype("string").str.strip()
        blank = np.flatnonzero((col.isna() | (col == "")).to_numpy())
        if len(blank):
            eg = tuple(raw.origin.label(int(i)) for i in blank[:5])
            raise SurveyDataError(
                [Problem("survey", cluster, "missing client id", len(blank), eg, file=shown)],
                shown,
            )
        clusters = col.to_numpy(dtype=object)
    return items, clusters, shown, list(raw.notes)
