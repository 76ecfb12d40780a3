r"""The path from delivery quality to repeat business through satisfaction, with a posterior.

``quality_to_repeat`` asks how much of the value of on-time delivery reaches repeat business
through satisfaction. The two fitted models are its two links, at the level where each process
happens:

* the satisfaction model (:mod:`satprofit.bayes.satisfaction`) links a project's on-time rate to
  the csat of each response about it (ordinal, with partial pooling);
* the repeat-business model (:mod:`satprofit.bayes.repeat`) links each quarter's repeat
  business to the trailing csat and the trailing on-time rate at the end of the quarter before.

Together they are one path model: the two likelihoods share no parameter, so the joint
posterior is the product of the two posteriors and pairing their draws one to one is an exact
sample of it (what a single ``pm.Model`` holding both would sample, only slower). Per draw, for
each unit (client ``c``, quarter ``q``) of the question, with ``d`` = +10 pp on the on-time rate
of the projects (with milestones) finished in ``q-3..q``:

1. each response tied to those projects moves its expected csat by
   :math:`\Delta_r = E[\text{csat} \mid \eta_r + \beta d/2] - E[\text{csat} \mid \eta_r - \beta d/2]`;
2. the trailing csat of window ``s = q..q+3`` moves by the sum of the :math:`\Delta_r` dated in
   it divided by the window's responses, and its trailing on-time rate by ``d`` times the share of
   the window's projects that are the unit's;
3. repeat business :math:`E[D] = p\,e^{m + \sigma^2/2}` of quarter ``s+1`` is re-evaluated at
   +- half those changes.

The **total** effect moves both drivers, the **direct** effect only the on-time rate (the
mediator held at its natural value), and the **indirect** effect is total minus direct (the
natural indirect effect). Each is the plain mean over the question's units. A unit whose
quarters fall outside the repeat model's rows (not full quarters) contributes 0, as in
:meth:`satprofit.bayes.repeat.RepeatBusinessModel.effects`.

Assumption, stated in reports: the direct path runs through the trailing on-time rate, the
only quality measure the repeat model sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from satprofit.bayes.base import BayesResult
from satprofit.bayes.repeat import RepeatData
from satprofit.bayes.satisfaction import SatisfactionData, expected_csat
from satprofit.constants import ESTIMAND_UNITS, INTERVAL_QUANTILES
from satprofit.features.projects import project_table
from satprofit.features.questions import question_table
from satprofit.io import Portfolio

PARTS = ("total", "direct", "indirect")
METHOD = "bayes_path"


def _quarter_index(dates: pd.Series, t0: pd.Period) -> np.ndarray:
    per = pd.PeriodIndex(pd.to_datetime(dates), freq="Q")
    quarters = np.asarray(per.year) * 4 + np.asarray(per.quarter)
    return (quarters - (t0.year * 4 + t0.quarter)).astype(int)


def rep_labels(rep: BayesResult) -> list[str]:
    """The repeat model's predictor names, in the order of its ``beta_*`` columns."""
    return rep.predictors("beta_any")


def repeat_column(rep: BayesResult, name: str) -> int:
    """Column of the repeat model's predictor ``name`` in its ``beta_*`` draws, by name (the
    repeat model's predictors may change order)."""
    return rep.column("beta_any", name)


def window_overlap(counts: dict, client, s: int, q: int) -> tuple[float, float]:
    """Items (projects) of ``client`` in the trailing window ``s-3..s``, and how many of them
    are dated in the unit's own quarters ``q-3..q`` (``counts`` keyed by (client, quarter)).

    For a window that ends before the unit's quarter (``s < q``: windows lagged two or three
    quarters before a close quarter ``q+1``), the unit's quarters after ``s`` are not in it.
    """
    n_window = sum(counts.get((client, k), 0.0) for k in range(s - 3, s + 1))
    n_mine = sum(counts.get((client, k), 0.0) for k in range(max(s - 3, q - 3), min(s, q) + 1))
    return n_window, n_mine


def path_draws(
    portfolio: Portfolio,
    sat: BayesResult,
    sat_data: SatisfactionData,
    rep: BayesResult,
    rep_data: RepeatData,
    *,
    max_draws: int = 1000,
) -> tuple[dict[str, np.ndarray], int]:
    """Per-draw total, direct and indirect effects (currency per +10 pp) and the unit count."""
    qt = question_table(portfolio, "quality_to_repeat.total")
    d = qt.delta * 10.0  # +10 pp in the models' "per 10 pp" units (= 1)
    post = rep.draws(max_draws)
    n_draws = len(post["sigma"])
    lin_any, lin_val = rep.model.data_linear_predictors(post, rep_data)
    eta, cut, beta = sat.model.latent(sat.idata, sat_data, max_draws)
    idx = np.arange(n_draws) % len(beta)  # pair draws one to one (recycled if fewer)
    eta, cut, beta = eta[idx], cut[idx], beta[idx]

    rows = rep_data.rows
    t0 = pd.Period(rows["period"].min(), freq="Q") - int(rows["t"].min())
    # plain dicts keyed by (client, quarter): a pandas MultiIndex lookup per unit, lag and
    # window cost ~30 s at 2,000 clients
    cells = zip(rows["client_id"], rows["t"].astype(int), strict=True)
    key = {cell: row for row, cell in enumerate(cells)}
    # responses per client and quarter (all of them: the trailing csat averages all)
    sv = portfolio.surveys
    resp_n = (
        pd.Series(
            1.0, index=pd.MultiIndex.from_arrays([sv["client_id"], _quarter_index(sv["date"], t0)])
        )
        .groupby(level=[0, 1])
        .sum()
        .to_dict()
    )
    # projects with milestones finished, per client and quarter
    pt = project_table(portfolio)
    pt = pt[pt["finished"] & pt["ontime_rate"].notna()]
    p_t = _quarter_index(pt["actual_end_date"], t0)
    proj_n = (
        pd.Series(1.0, index=pd.MultiIndex.from_arrays([pt["client_id"], p_t]))
        .groupby(level=[0, 1])
        .sum()
        .to_dict()
    )
    proj_quarter = pd.Series(p_t, index=pt["project_id"].to_numpy())

    # each modelled response: its quarter, its project's finish quarter, its csat shift per draw
    frame = sat_data.frame
    has_ms = frame["no_milestones"].to_numpy() == 0
    r_date = frame["response_id"].map(sv.set_index("response_id")["date"])
    r_t = _quarter_index(r_date, t0)
    r_fin = frame["project_id"].map(proj_quarter).to_numpy(float)
    # each response's on-time slope (its size band's), paired as ``beta`` is; 0 when refused
    slope = sat.model.slopes(sat.idata, sat_data, "quality_to_csat", max_draws)
    shift = np.zeros((len(idx), len(frame))) if slope is None else slope[idx] * d / 2
    delta_r = np.where(
        has_ms[None, :], expected_csat(eta + shift, cut) - expected_csat(eta - shift, cut), 0.0
    )  # [draw, response]
    by_client = pd.Series(np.arange(len(frame))).groupby(frame["client_id"].to_numpy()).indices

    units = qt.data[["client_id", "period"]].copy()
    units["t"] = _quarter_index(pd.PeriodIndex(units["period"], freq="Q").start_time, t0)
    sigma = post["sigma"]
    i_on = repeat_column(rep, "ontime")  # per 10 pp
    i_csat = repeat_column(rep, "csat_within")
    total = np.zeros((len(units), n_draws))
    direct = np.zeros((len(units), n_draws))
    # the csat windows lagged 1, 2, ... quarters before a row's quarter (deals decided before
    # they close respond to earlier satisfaction; see bayes.repeat), by predictor name
    lag_cols = [i_csat]
    while f"csat_lag{len(lag_cols) + 1}" in rep_labels(rep):
        lag_cols.append(repeat_column(rep, f"csat_lag{len(lag_cols) + 1}"))
    on_cols = [i_on]  # the on-time windows, lagged the same way
    while f"ontime_lag{len(on_cols) + 1}" in rep_labels(rep):
        on_cols.append(repeat_column(rep, f"ontime_lag{len(on_cols) + 1}"))
    # slopes per size band [band, draw] (the mean slope in every band when they do not vary)
    names = rep_labels(rep)
    slopes = {
        (part, col): rep.model.band_slope(post, part, rep_data, names[col])
        for part in ("any", "value")
        for col in (*lag_cols, *on_cols)
    }
    for u, (c, q) in enumerate(zip(units["client_id"], units["t"], strict=True)):
        mine = by_client.get(c, np.zeros(0, int))
        hit = mine[(r_fin[mine] >= q - 3) & (r_fin[mine] <= q)]

        def csat_change(s, c=c, hit=hit):
            """Change of window s's mean csat [draw] from the unit's projects' responses."""
            n_resp = sum(resp_n.get((c, k), 0.0) for k in range(s - 3, s + 1))
            in_win = hit[(r_t[hit] >= s - 3) & (r_t[hit] <= s)]
            return delta_r[:, in_win].sum(axis=1) / n_resp if n_resp and len(in_win) else 0.0

        def ontime_change(s, c=c, q=q):
            """Change of window s's on-time rate (per 10 pp) from the unit's projects."""
            n_proj, n_mine = window_overlap(proj_n, c, s, q)
            return d * n_mine / n_proj if n_proj else 0.0

        for r in range(q + 1, q + 5):
            row = key.get((c, r))
            if row is None:
                continue
            band = rep_data.size[row]

            def moved(changes, cols, part, band=band):
                return sum(
                    ch * slopes[part, col][band] for ch, col in zip(changes, cols, strict=True)
                )

            d_on = [ontime_change(r - lag) for lag in range(1, len(on_cols) + 1)]
            ca_on, cv_on = moved(d_on, on_cols, "any"), moved(d_on, on_cols, "value")
            d_csat = [csat_change(r - lag) for lag in range(1, len(lag_cols) + 1)]
            ca_csat, cv_csat = moved(d_csat, lag_cols, "any"), moved(d_csat, lag_cols, "value")
            la, lv = lin_any[row], lin_val[row]

            def ev(
                sign,
                with_csat,
                la=la,
                lv=lv,
                ca_on=ca_on,
                cv_on=cv_on,
                ca_csat=ca_csat,
                cv_csat=cv_csat,
            ):
                # +- half of each driver's change; the csat columns are within-client ones
                ca = ca_on + with_csat * ca_csat
                cv = cv_on + with_csat * cv_csat
                return rep.model.expected_value(la + sign * ca / 2, lv + sign * cv / 2, sigma)

            total[u] += ev(1, 1) - ev(-1, 1)
            direct[u] += ev(1, 0) - ev(-1, 0)
    tot, dire = total.mean(axis=0), direct.mean(axis=0)
    return {"total": tot, "direct": dire, "indirect": tot - dire}, len(units)


def path_effects(
    portfolio: Portfolio,
    sat: BayesResult,
    sat_data: SatisfactionData,
    rep: BayesResult,
    rep_data: RepeatData,
) -> BayesResult:
    """The three ``quality_to_repeat`` estimands as a result whose diagnostics combine both
    models' (converged only when both are).

    When the satisfaction model cannot estimate ``quality_to_csat`` (the on-time rate never
    varies, or its coefficient is mostly prior), the parts through satisfaction (total and
    indirect) are ``not_estimable`` with that reason; the direct part is still answered.
    """
    draws, n = path_draws(portfolio, sat, sat_data, rep, rep_data)
    link = sat.effects.loc["quality_to_csat"] if "quality_to_csat" in sat.effects.index else None
    link_status = str(link.get("status", "ok")) if link is not None else "not_estimable"
    link_reason = str(link.get("reason", "")) if link is not None else "no satisfaction estimate"
    rows = {}
    for part in PARTS:
        estimand = f"quality_to_repeat.{part}"
        lo, med, hi = np.quantile(draws[part], [INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]])
        row = {
            "median": med,
            "ci_low": lo,
            "ci_high": hi,
            "unit": ESTIMAND_UNITS[estimand],
            "n": n,
            "status": "ok",
            "reason": "",
        }
        if part != "direct" and link_status != "ok":
            row.update(
                median=np.nan,
                ci_low=np.nan,
                ci_high=np.nan,
                status="not_estimable",
                reason=f"on-time delivery -> satisfaction is not estimable: {link_reason}",
            )
        rows[estimand] = row
    return derived_result(sat, rep, pd.DataFrame.from_dict(rows, orient="index"))


def derived_result(sat: BayesResult, rep: BayesResult, effects: pd.DataFrame) -> BayesResult:
    """The path estimands as a result whose diagnostics combine both models' (converged only
    when both are)."""
    a, b = sat.diagnostics, rep.diagnostics
    diag = {
        "table": pd.concat([a["table"], b["table"]]),
        "divergences": a["divergences"] + b["divergences"],
        "failing": a["failing"] + b["failing"],
        "rhat_max": max(a["rhat_max"], b["rhat_max"]),
        "ess_min": min(a["ess_min"], b["ess_min"]),
        "converged": a["converged"] and b["converged"],
        "estimand_rows": a.get("estimand_rows", []) + b.get("estimand_rows", []),
    }
    config = {"models": [sat.model_name, rep.model_name], "summary_vars": []}
    return BayesResult(None, METHOD, config, diag, effects)
