r"""What-if engine: a lever's worth in currency, with posterior uncertainty.

:func:`scenario` takes a :class:`~satprofit.bayes.fits.PortfolioFit` and a set of changes and
draws counterfactual posterior predictions of the next 4 quarters' repeat business (won contract
value and the margin of delivering it) for one client or the whole portfolio.

How a change travels (every step per posterior draw):

1. Levers move the drivers. ``ontime_pp`` raises the on-time milestone rate by that many
   percentage points (capped at 100 %); ``signoff_all`` has delivery sign off every proposal,
   which raises the on-time rate by the causal ``presales_signoff`` effect times the share of
   the client's deals not signed off today (drawn from its sampling distribution: no Bayesian
   model of that question exists); ``status_reports_per_month`` sets how many status reports
   sales sends a month (during projects, and 12 a year in the repeat model's trailing count).
2. The satisfaction model turns the drivers' change into a change of each of the client's
   responses' expected csat (on its own latent level: the effect shrinks near the top of the
   scale), averaged over the client's responses.
3. The repeat-business model turns the trailing csat, on-time rate and status-report changes
   into each quarter's probability of repeat business, its value and its margin.

``mode="steady"`` (default) assumes the change has been in place for a year, so the trailing
4-quarter drivers have fully moved: the lever's yearly worth once established.
``mode="ramp"`` starts the change now: quarter ``j`` of the forecast sees ``(j-1)/4`` of it, as
the trailing windows fill.

The status quo holds each client's drivers at their level at the end of the last full quarter.
Levels (``status_quo``, ``scenario``) are posterior *predictive*: they include the luck of
individual deals. The ``difference`` is the change in *expected* repeat business, so its
interval shows what we do not know about the lever, not deal-to-deal luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.bayes.fits import PortfolioFit
from satprofit.bayes.satisfaction import expected_csat
from satprofit.constants import DEFAULT_SEED, INTERVAL_LABEL, INTERVAL_QUANTILES

#: lever name -> what it means (the CLI's options and the reports' wording)
LEVERS = {
    "ontime_pp": "raise the on-time milestone rate by this many percentage points",
    "status_reports_per_month": "sales sends this many status reports a month",
    "signoff_all": "delivery signs off every proposal before it goes to the client",
}
#: Columns of a what-if table: ``ci_low``/``ci_high`` bound the ``INTERVAL_PROB`` interval (named
#: as in every other result of the package), ``low80``/``high80`` the 80 % one.
QUANTILES = {
    "ci_low": INTERVAL_QUANTILES[0],
    "low80": 0.10,
    "median": 0.5,
    "high80": 0.90,
    "ci_high": INTERVAL_QUANTILES[1],
}


@dataclass
class ScenarioResult:
    """Counterfactual predictions of the next 4 quarters.

    Attributes
    ----------
    client_id : str or None
        None for the portfolio.
    changes : dict
    table : DataFrame
        Index (measure, case): measure ``value`` / ``margin`` (currency), case ``status_quo``,
        ``scenario``, ``difference``; columns ``median``, ``low80``/``high80`` (80 % interval)
        and ``ci_low``/``ci_high`` (the ``INTERVAL_PROB`` interval).
    n_clients : int
        Clients forecast (those with a trailing satisfaction level).
    notes : list of str
        Assumptions that applied (thin data, levers without effect).
    """

    client_id: str | None
    changes: dict
    table: pd.DataFrame
    n_clients: int
    mode: str
    notes: list[str] = field(default_factory=list)
    draws: dict = field(default_factory=dict, repr=False)

    def summary(self) -> pd.DataFrame:
        """The table, rounded to whole currency units."""
        return self.table.round(0)

    def plot(self, *, ax=None, title: str | None = None):
        """Difference from the status quo: median with the 80 % and ``INTERVAL_PROB`` intervals,
        for value and margin; returns the figure."""
        import matplotlib.pyplot as plt

        d = self.table.xs("difference", level="case")
        fig = ax.figure if ax is not None else plt.figure(figsize=(6.5, 2.2))
        ax = ax or fig.add_subplot()
        y = np.arange(len(d))
        ax.hlines(
            y, d["ci_low"], d["ci_high"], color="0.6", lw=2, label=f"{INTERVAL_LABEL} interval"
        )
        ax.hlines(y, d["low80"], d["high80"], color="C0", lw=5, label="80% interval")
        ax.plot(d["median"], y, "o", color="black", label="median")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, [f"repeat {m}" for m in d.index])
        ax.set_xlabel("change over the next 4 quarters (currency)")
        ax.set_title(title or "What the change is worth")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        fig.tight_layout()
        return fig


def _check_changes(changes: dict) -> dict:
    unknown = set(changes) - set(LEVERS)
    if unknown:
        raise ValueError(f"unknown levers {sorted(unknown)}; known: {sorted(LEVERS)}")
    out = dict(changes)
    if "ontime_pp" in out and not np.isfinite(float(out["ontime_pp"])):
        raise ValueError("ontime_pp must be a finite number of percentage points")
    if "status_reports_per_month" in out and not 0 <= float(out["status_reports_per_month"]) <= 31:
        raise ValueError("status_reports_per_month must be between 0 and 31")
    return out


def forecastable_clients(fit: PortfolioFit) -> pd.DataFrame:
    """The clients :func:`scenario` can forecast, those with most data first.

    A client can be forecast when the repeat-business model has its current quarter (a
    trailing satisfaction level). Ranked by survey responses, then finished projects, then
    deals (ties by id): the first row is the client whose what-ifs rest on most of its own data.

    Returns
    -------
    DataFrame
        Indexed by ``client_id``: ``responses``, ``projects``, ``deals`` (rows in the data),
        ``csat_trailing`` and ``ontime_rate_trailing`` (the levels the status quo holds).

    Raises
    ------
    ValueError
        When the fit has no repeat-business model (as :func:`scenario` does).
    """
    if "repeat" not in fit.results:
        why = getattr(fit, "failed", {}).get("repeat") or fit.skipped.get("repeat", "not fitted")
        raise ValueError(f"the repeat-business model is needed for what-ifs ({why})")
    cur = fit.data["repeat"].current.set_index("client_id")
    p = fit.portfolio
    table = pd.DataFrame(
        {
            name: frame["client_id"].value_counts().reindex(cur.index, fill_value=0)
            for name, frame in (
                ("responses", p.surveys),
                ("projects", p.projects),
                ("deals", p.deals),
            )
        }
    ).assign(csat_trailing=cur["csat_trailing"], ontime_rate_trailing=cur["ontime_rate_trailing"])
    return table.rename_axis("client_id").sort_values(
        ["responses", "projects", "deals", "client_id"], ascending=[False, False, False, True]
    )


def scenario(
    fit: PortfolioFit,
    client_id: str | None = None,
    changes: dict | None = None,
    *,
    mode: str = "steady",
    seed: int = DEFAULT_SEED,
    max_draws: int = 1000,
) -> ScenarioResult:
    """Posterior predictions of the next 4 quarters' repeat business under ``changes``.

    Parameters
    ----------
    fit : PortfolioFit
        Needs the repeat-business model; the satisfaction model for levers acting through csat.
    client_id : str, optional
        One client; None for the whole portfolio (the sum over its clients).
    changes : dict
        Any of :data:`LEVERS`, e.g. ``{"ontime_pp": 10, "status_reports_per_month": 1,
        "signoff_all": True}``. Empty: the status quo only (difference 0).
    mode : {"steady", "ramp"}
        See the module docstring.
    seed : int
        Seed of the predictive draws (same inputs and seed, same numbers).
    max_draws : int
        Posterior draws used (thinned evenly).

    Returns
    -------
    ScenarioResult
    """
    changes = _check_changes(changes or {})
    if mode not in ("steady", "ramp"):
        raise ValueError("mode must be 'steady' or 'ramp'")
    if "repeat" not in fit.results:
        why = getattr(fit, "failed", {}).get("repeat") or fit.skipped.get("repeat", "not fitted")
        raise ValueError(f"the repeat-business model is needed for what-ifs ({why})")
    rd = fit.data["repeat"]
    cur = rd.current
    scope = np.ones(len(cur), bool)
    if client_id is not None:
        scope = (cur["client_id"] == client_id).to_numpy()
        if not scope.any():
            raise ValueError(
                f"client {client_id!r} has no quarter with a trailing satisfaction score: the "
                "repeat-business model cannot forecast it"
            )
    cur = cur[scope].reset_index(drop=True)
    x_now = rd.x_now[scope]
    notes: list[str] = []
    rep = fit.results["repeat"]
    post = rep.draws(max_draws)
    n_draws = len(post["sigma"])
    cl = fit.portfolio.clients.set_index("client_id")
    codes = (
        pd.Index(rd.clients).get_indexer(cur["client_id"]),
        pd.Index(rd.sizes).get_indexer(cur["client_id"].map(cl["size_band"])),
        pd.Index(rd.industries).get_indexer(cur["client_id"].map(cl["industry"])),
    )
    # a forecast quarter: the average quarter effect; the clients' size-band slopes
    lin_any, lin_val = rep.model.linear_predictors(
        post, x_now, *codes, None, rep.model.band_predictors(rd), list(rd.predictors)
    )
    # separate streams: the status quo's predictive draws never depend on which levers move
    lever_seed, outcome_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(outcome_seed)
    delta = _driver_changes(fit, cur, changes, n_draws, np.random.default_rng(lever_seed), notes)
    # driver change -> the repeat model's predictor that carries it
    predictors = {"csat": "csat_within", "ontime10": "ontime", "sr_z": "status_reports"}

    def moved(var: str) -> np.ndarray:
        """Change of a linear predictor [client, draw] for the coefficients ``var`` (the
        purchase and value parts at each client's size-band slopes)."""
        part = var.removeprefix("beta_")
        if part in ("any", "value"):
            return sum(
                delta[k] * rep.model.band_slope(post, part, rd, p)[codes[1]]
                for k, p in predictors.items()
            )
        return sum(delta[k] * rep.coef(var, p, max_draws) for k, p in predictors.items())

    d_any = moved("beta_any")
    d_val = moved("beta_value")
    margin = "beta_margin" in post
    if margin:
        rate = (
            post["mu_margin"][None, :]
            + x_now @ post["beta_margin"].T
            + post["u_client_margin"][:, codes[0]].T
        )
        d_rate = moved("beta_margin")
    else:
        notes.append("too few delivered repeat margins to model margin: margin not forecast")
        rate = d_rate = np.full_like(lin_any, np.nan)
    shares = [1.0] * 4 if mode == "steady" else [j / 4 for j in range(4)]
    sigma = post["sigma"][None, :]
    totals = {k: np.zeros(n_draws) for k in ("sq_v", "sc_v", "sq_m", "sc_m", "dv", "dm")}
    for s in shares:
        linear = {
            "sq": (lin_any, lin_val, rate),
            "sc": (lin_any + s * d_any, lin_val + s * d_val, rate + s * d_rate),
        }
        values = rep.model.predictive_values([v[:2] for v in linear.values()], sigma, rng)
        cases = {}
        for (case, (la, lv, r)), value in zip(linear.items(), values, strict=True):
            expected = rep.model.expected_value(la, lv, sigma)
            cases[case] = (value, expected, r)
            totals[f"{case}_v"] += value.sum(axis=0)
            totals[f"{case}_m"] += (value * r).sum(axis=0)
        totals["dv"] += (cases["sc"][1] - cases["sq"][1]).sum(axis=0)
        totals["dm"] += (cases["sc"][1] * cases["sc"][2] - cases["sq"][1] * cases["sq"][2]).sum(
            axis=0
        )
    rows = {
        ("value", "status_quo"): totals["sq_v"],
        ("value", "scenario"): totals["sc_v"],
        ("value", "difference"): totals["dv"],
        ("margin", "status_quo"): totals["sq_m"],
        ("margin", "scenario"): totals["sc_m"],
        ("margin", "difference"): totals["dm"],
    }
    table = pd.DataFrame(
        {
            k: {name: float(np.quantile(v, q)) for name, q in QUANTILES.items()}
            for k, v in rows.items()
        }
    ).T
    table.index = pd.MultiIndex.from_tuples(table.index, names=["measure", "case"])
    table = table[["median", "low80", "high80", "ci_low", "ci_high"]]
    return ScenarioResult(
        client_id, changes, table, len(cur), mode, notes, {"_".join(k): v for k, v in rows.items()}
    )


def _driver_changes(fit, cur, changes, n_draws, rng, notes) -> dict[str, np.ndarray]:
    """Per client and draw [client, draw]: change of trailing csat (points), of the on-time
    rate (per 10 pp, as the repeat model's column) and of the status-report count (z units)."""
    n = len(cur)
    zero = np.zeros((n, n_draws))
    rd = fit.data["repeat"]
    ontime_now = cur["ontime_rate_trailing"].to_numpy(float)
    has_ontime = ~np.isnan(ontime_now)
    ontime_pp = np.zeros((n, n_draws)) + float(changes.get("ontime_pp", 0.0))
    if changes.get("signoff_all"):
        if fit.signoff is None:
            notes.append("the sign-off effect could not be estimated: sign-off lever ignored")
        else:
            share = np.nan_to_num(cur["signoff_share_trailing"].to_numpy(float), nan=0.0)
            eff = rng.normal(fit.signoff["estimate"], fit.signoff["se"], n_draws)
            ontime_pp = ontime_pp + (1 - share)[:, None] * eff[None, :]
    # capped at 100 % (and at 0 % for a decrease)
    room_up = np.where(has_ontime, 100 * (1 - np.nan_to_num(ontime_now)), 0.0)[:, None]
    room_down = np.where(has_ontime, -100 * np.nan_to_num(ontime_now), 0.0)[:, None]
    ontime_pp = np.clip(ontime_pp, room_down, room_up)
    ontime_lever = "ontime_pp" in changes or bool(changes.get("signoff_all"))
    if (~has_ontime).any() and ontime_lever:
        notes.append(
            f"{int((~has_ontime).sum())} client(s) finished no project with milestones in the "
            "last 4 quarters: on-time levers do not apply to them"
        )
    sr_month_new = changes.get("status_reports_per_month")
    sr_count = cur["status_reports_by_sales_trailing"].to_numpy(float)
    sr_z = zero.copy()
    if sr_month_new is not None:
        sr_z = zero + ((12.0 * float(sr_month_new) - sr_count) / rd.scales["sr_sd"])[:, None]
    d_csat = zero.copy()
    if (ontime_lever or sr_month_new is not None) and "satisfaction" in fit.results:
        d_csat = _csat_change(fit, cur, ontime_pp, sr_month_new, n_draws, notes)
    elif "satisfaction" not in fit.results:
        notes.append("no satisfaction model: levers act on repeat business directly only")
    return {"csat": d_csat, "ontime10": ontime_pp / 10.0, "sr_z": sr_z}


def _csat_change(fit, cur, ontime_pp, sr_month_new, n_draws, notes) -> np.ndarray:
    """Change of each client's expected csat [client, draw] through the satisfaction model."""
    sd = fit.data["satisfaction"]
    sat = fit.results["satisfaction"]
    eta, cut, beta = sat.model.latent(sat.idata, sd, n_draws)
    k = min(len(beta), n_draws)
    idx = np.arange(n_draws) % k if k < n_draws else np.arange(k)
    # recycle draws so both models' draws pair up
    eta, cut = eta[:k][idx], cut[:k][idx]
    cols = {}
    for estimand, lever in (
        ("quality_to_csat", "on-time"),
        ("status_reports_to_csat", "status-report"),
    ):
        col = sd.effect_column(estimand)
        row = sat.effects.loc[estimand] if estimand in sat.effects.index else None
        status = "ok" if row is None else str(row.get("status", "ok"))
        if col is None or status != "ok":
            why = sd.refused.get(estimand) or (row.get("reason", "") if row is not None else "")
            notes.append(
                f"the {lever} lever's effect on satisfaction is not estimable ({why}): "
                "it acts on repeat business directly only"
            )
            cols[estimand] = None
        else:
            cols[estimand] = col

    def slope(estimand: str) -> np.ndarray:
        """Each response's slope of the treatment of ``estimand`` [draw, response] (its size
        band's), paired with the repeat model's draws; 0 when not estimable."""
        if cols[estimand] is None:
            return np.zeros((len(idx), sd.n))
        return sat.model.slopes(sat.idata, sd, estimand, n_draws)[:k][idx]

    b_on, b_sr = slope("quality_to_csat"), slope("status_reports_to_csat")
    frame = sd.frame
    sr_rate = frame["status_reports_per_month"].to_numpy() + sd.sr_center
    out = np.zeros((len(cur), n_draws))
    thin = 0
    for i, c in enumerate(cur["client_id"]):
        mask = (frame["client_id"] == c).to_numpy()
        if not mask.any():
            mask = np.ones(len(frame), bool)
            thin += 1
        shift = b_on[:, mask] * ontime_pp[i][:, None] / 10.0
        if sr_month_new is not None:
            shift = shift + b_sr[:, mask] * (float(sr_month_new) - sr_rate[mask].mean())
        e = eta[:, mask]
        out[i] = (expected_csat(e + shift, cut) - expected_csat(e, cut)).mean(axis=1)
    if thin:
        notes.append(
            f"{thin} client(s) have no survey response tied to a finished project: their "
            "satisfaction response is the portfolio's average"
        )
    return out
