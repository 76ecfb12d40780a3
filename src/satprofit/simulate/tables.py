"""From a simulated :class:`~satprofit.simulate.world.World` to the contract tables and the
:class:`Latent` state the truth needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.constants import SEVERITIES, SIZE_BANDS
from satprofit.simulate import names
from satprofit.simulate.designs import Design
from satprofit.simulate.effects import Effects
from satprofit.simulate.model import NA_DAY, VALUE_SCALE, VALUE_SIGMA, close_lag_matrix
from satprofit.simulate.world import World

#: Project columns of a world without projects.
_EMPTY_PROJECT_COLUMNS = (
    "client",
    "deal",
    "team",
    "start",
    "planned_end",
    "end",
    "mp",
    "mot",
    "defects",
    "cr",
)
_ROLES = np.array(
    ["executive sponsor", "project manager", "procurement", "end user", None], dtype=object
)


@dataclass
class Latent:
    """Everything the truth needs that the tables do not show (arrays indexed by position)."""

    n_quarters: int
    quarter_start_day: np.ndarray
    clients: pd.DataFrame  # client_id, size, health, value_mean, bu
    projects: pd.DataFrame  # per project: lin0, signoff, mp, finished, ontime, ...
    responses: pd.DataFrame  # per response: client, day, quarter, project pos, eta
    escalations: pd.DataFrame  # per escalation: client, day, sales, in_data
    repeat_projects: pd.DataFrame  # per won repeat deal with project: client, quarter, overrun
    loglam_base: np.ndarray  # [client, quarter] log-rate without the T and Q terms
    t_prev: np.ndarray  # [client, quarter] T_{c,k-1} used (fallback applied)
    q_prev: np.ndarray  # [client, quarter] Q_{c,k-1} used (fallback applied)
    resp_n: np.ndarray  # [client, quarter] number of responses dated in the quarter
    proj_n: np.ndarray  # [client, quarter] projects (milestones > 0) finished
    lead_mu0: np.ndarray  # [client, quarter] delivery lead rate without the policy
    bonus_tau: np.ndarray  # [bu, quarter] log effect of the bonus if in force
    bonus_start_q: np.ndarray  # [bu] first quarter in force (n_quarters if never)
    effects: Effects
    design: Design = None  # type: ignore[assignment]
    effect_multiplier: np.ndarray = None  # type: ignore[assignment]  # [client] by size band
    close_lag: np.ndarray = None  # type: ignore[assignment]  # [decision q, close q] probability


def _day(w: World, a) -> pd.DatetimeIndex:
    return pd.to_datetime(w.t0) + pd.to_timedelta(np.asarray(a, dtype="int64"), unit="D")


def _day_or_nat(w: World, a) -> pd.Series:
    a = np.asarray(a, dtype="int64")
    return pd.Series(_day(w, np.where(a == NA_DAY, 0, a))).where(a != NA_DAY)


def _ids(prefix: str, width: int, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)], dtype=object)


def project_frame(w: World) -> pd.DataFrame:
    """The projects drawn, one row each, with ``actual_end`` (NA_DAY while running)."""
    P = w.projects
    pr = P.frame() if P.n else pd.DataFrame({k: np.array([], int) for k in _EMPTY_PROJECT_COLUMNS})
    pr["actual_end"] = np.where(pr.get("finished", np.array([], bool)), pr["end"], NA_DAY)
    return pr


def response_frame(w: World) -> pd.DataFrame:
    """The survey responses drawn, sorted by day and client, with their quarter."""
    rs = w.responses.frame().assign(quarter=lambda f: w.quarter_of(f["day"].to_numpy()))
    return rs.sort_values(["day", "client"], kind="stable").reset_index(drop=True)


def build_tables(w: World) -> dict[str, pd.DataFrame]:
    """The contract tables (dates as Timestamps, before validation).

    Draws the client names and which responses leave nps empty (30 %), in that order.
    """
    rng, client_ids, bu = w.rng, w.client_ids, w.bu
    units = np.array(w.units, dtype=object)
    cl = pd.DataFrame(
        {
            "client_id": client_ids,
            "client_name": names.client_names(rng, w.nc),
            "industry": np.array(names.INDUSTRIES, dtype=object)[w.industry],
            "region": np.array(names.REGIONS, dtype=object)[w.region],
            "size_band": np.array(SIZE_BANDS, dtype=object)[w.size],
            "first_engagement_date": _day(w, w.first_day),
        }
    )
    dl = w.deals.frame()
    deal_ids = _ids("D", 6, len(dl))
    ld = w.leads.frame()
    lead_ids = _ids("L", 6, len(ld))
    lead_of_deal = pd.Series(
        lead_ids[ld["deal"].to_numpy() >= 0],
        index=ld.loc[ld["deal"] >= 0, "deal"].astype(int).to_numpy(),
    )
    dc = dl["client"].astype(int).to_numpy()
    deals_df = pd.DataFrame(
        {
            "deal_id": deal_ids,
            "client_id": client_ids[dc],
            "deal_type": dl["type"].to_numpy(),
            "lead_source": dl["source"].to_numpy(),
            "lead_id": pd.Series(np.arange(len(dl))).map(lead_of_deal).to_numpy(),
            "sales_owner": w.owner[dc],
            "business_unit": units[bu[dc]],
            "proposal_date": _day(w, dl["proposal_day"]),
            "close_date": _day_or_nat(w, dl["close_day"]).to_numpy(),
            "status": dl["status"].to_numpy(),
            "presales_delivery_signoff": dl["signoff"].astype(bool).to_numpy(),
            "contract_value": dl["value"].astype(float).to_numpy(),
        }
    )
    pr = project_frame(w)
    project_ids = _ids("P", 6, len(pr))
    pcl = pr["client"].astype(int).to_numpy()
    projects_df = pd.DataFrame(
        {
            "project_id": project_ids,
            "deal_id": deal_ids[pr["deal"].astype(int).to_numpy()],
            "client_id": client_ids[pcl],
            "delivery_team": w.team_names[pr["team"].astype(int).to_numpy()],
            "business_unit": units[bu[pcl]],
            "start_date": _day(w, pr["start"]),
            "planned_end_date": _day(w, pr["planned_end"]),
            "actual_end_date": _day_or_nat(w, pr["actual_end"]).to_numpy(),
            "budget": pr["budget"].astype(float).to_numpy(),
            "actual_cost": pr["cost"].astype(float).to_numpy(),
            "revenue": pr["revenue"].astype(float).to_numpy(),
            "milestones_planned": pr["mp"].astype(int).to_numpy(),
            "milestones_on_time": pr["mot"].astype(int).to_numpy(),
            "defects": pr["defects"].astype(int).to_numpy(),
            "change_requests": pr["cr"].astype(int).to_numpy(),
        }
    )
    es = w.escalations.frame()
    escalations_df = pd.DataFrame(
        {
            "escalation_id": [f"E{i + 1:06d}" for i in range(len(es))],
            "project_id": project_ids[es["project"].astype(int).to_numpy()],
            "client_id": client_ids[es["client"].astype(int).to_numpy()],
            "opened_date": _day(w, es["day"]),
            "resolved_date": _day_or_nat(w, es["resolved"]).to_numpy(),
            "severity": np.array(SEVERITIES, dtype=object)[es["severity"].astype(int).to_numpy()],
            "sales_involved": es["sales"].astype(bool).to_numpy(),
        }
    )
    it = w.interactions.frame().sort_values(["day", "client"], kind="stable")
    it = it.reset_index(drop=True)
    ip = it["project"].astype(int).to_numpy()
    interactions_df = pd.DataFrame(
        {
            "interaction_id": [f"I{i + 1:07d}" for i in range(len(it))],
            "client_id": client_ids[it["client"].astype(int).to_numpy()],
            "project_id": np.where(ip >= 0, project_ids[np.maximum(ip, 0)], None)
            if len(project_ids)
            else np.full(len(it), None),
            "date": _day(w, it["day"]),
            "kind": it["kind"].to_numpy(),
            "sales_present": it["sales"].astype(bool).to_numpy(),
            "delivery_present": it["delivery"].astype(bool).to_numpy(),
        }
    )
    rs = response_frame(w)
    rpj = rs["project"].astype(int).to_numpy()
    nps = rs["nps"].to_numpy().astype(float)
    nps[rng.random(len(rs)) < 0.3] = np.nan
    surveys_df = pd.DataFrame(
        {
            "response_id": [f"R{i + 1:06d}" for i in range(len(rs))],
            "client_id": client_ids[rs["client"].astype(int).to_numpy()],
            "project_id": np.where(rpj >= 0, project_ids[np.maximum(rpj, 0)], None),
            "date": _day(w, rs["day"]),
            "csat": rs["csat"].astype(int).to_numpy(),
            "nps": pd.array(nps, dtype="Float64").round().astype("Int64"),
            "respondent_role": _ROLES[rs["role"].astype(int).to_numpy()],
        }
    )
    ld_deal = ld["deal"].astype(int).to_numpy()
    leads_df = pd.DataFrame(
        {
            "lead_id": lead_ids,
            "client_id": client_ids[ld["client"].astype(int).to_numpy()],
            "created_date": _day(w, ld["day"]),
            "source_team": ld["source"].to_numpy(),
            "estimated_value": ld["value"].astype(float).to_numpy(),
            "converted_deal_id": np.where(ld_deal >= 0, deal_ids[np.maximum(ld_deal, 0)], None),
        }
    )
    return {
        "clients": cl,
        "deals": deals_df,
        "projects": projects_df,
        "escalations": escalations_df,
        "interactions": interactions_df,
        "surveys": surveys_df,
        "leads": leads_df,
        "incentives": w.incentives,
    }


def build_latent(w: World) -> Latent:
    """The hidden state of the world, by position, for :func:`~satprofit.simulate.truth.compute_truth`."""
    pr = project_frame(w)
    pr_lat = pr.assign(project_id=_ids("P", 6, len(pr)))
    return Latent(
        n_quarters=w.nq,
        quarter_start_day=w.q_start,
        clients=pd.DataFrame(
            {
                "client_id": w.client_ids,
                "size": w.size,
                "health": w.health,
                "bu": w.bu,
                "value_mean": VALUE_SCALE[w.size] * np.exp(VALUE_SIGMA**2 / 2),
            }
        ),
        projects=pr_lat,
        responses=response_frame(w),
        escalations=w.escalations.frame(),
        repeat_projects=pr_lat[
            pr_lat.get("repeat_type", pd.Series(False, index=pr_lat.index)).astype(bool)
        ],
        loglam_base=w.loglam_base,
        t_prev=w.t_prev,
        q_prev=w.q_prev,
        resp_n=w.resp_n,
        proj_n=w.proj_n,
        lead_mu0=w.lead_mu0,
        bonus_tau=w.bonus_tau,
        bonus_start_q=w.adopt_q,
        effects=w.effects,
        design=w.design,
        effect_multiplier=w.hm,
        close_lag=close_lag_matrix(w.design, w.q_start, w.q_end),
    )
