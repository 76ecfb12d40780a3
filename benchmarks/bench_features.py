"""Benchmark: the client-quarter panel in satprofit (pandas/numpy) vs the same panel in DuckDB SQL.

Baseline: an equivalent DuckDB query (``PANEL_SQL`` below), run in the same process on the same
in-memory tables; its result is checked equal to satprofit's before any time is reported.

    .venv/bin/pip install duckdb          # benchmark-only dependency
    .venv/bin/python benchmarks/bench_features.py            # 28,000 clients x 12 quarters
    .venv/bin/python benchmarks/bench_features.py --clients 2000 --repeat 3   # quick look

The simulated portfolio is cached as Parquet under benchmarks/.cache/. Prints each method's
median wall time over ``--repeat`` runs (after one warm-up), the ratio satprofit / DuckDB (goal
<= 1.5), and satprofit's peak memory (tracemalloc peak of the build, and the process's maximum
resident set size).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.features import client_panel
from satprofit.features.periods import PeriodGrid
from satprofit.io import load_portfolio
from satprofit.simulate import simulate_portfolio

CACHE = Path(__file__).resolve().parent / ".cache"
REPEAT_TYPES = "('renewal', 'add_on', 'cross_sell')"

PANEL_SQL = f"""
WITH
grid AS (SELECT range AS t FROM range($np)),
pj AS (
  SELECT client_id, deal_id, qcode(start_date) AS sp, qcode(actual_end_date) AS fp,
         CASE WHEN milestones_planned > 0
              THEN milestones_on_time::DOUBLE / milestones_planned END AS ontime,
         (actual_cost - budget) / budget AS overrun,
         date_diff('day', planned_end_date, actual_end_date)::DOUBLE AS slip,
         defects, change_requests, revenue, actual_cost,
         CASE WHEN revenue <> 0 THEN (revenue - actual_cost) / revenue END AS margin
  FROM projects),
fin AS (
  SELECT client_id, fp AS t, count(*) AS n_fin, count(ontime) AS n_ms, sum(ontime) AS s_ontime,
         sum(overrun) AS s_overrun, sum(slip) AS s_slip, sum(defects) AS s_def,
         sum(change_requests) AS s_cr, sum(revenue) AS rev, sum(actual_cost) AS cost
  FROM pj WHERE fp BETWEEN 0 AND $np - 1 GROUP BY ALL),
act AS (
  SELECT pj.client_id, g.t, count(*) AS active
  FROM pj JOIN grid g
    ON g.t >= pj.sp AND g.t <= (CASE WHEN pj.fp BETWEEN 0 AND $np - 1 THEN pj.fp ELSE $np - 1 END)
  WHERE pj.sp >= 0 GROUP BY ALL),
esc AS (
  SELECT client_id, qcode(opened_date) AS t, count(*) AS n_esc,
         count(*) FILTER (WHERE severity IN ('high', 'critical')) AS severe,
         count(*) FILTER (WHERE sales_involved) AS esc_sales
  FROM escalations GROUP BY ALL),
it AS (
  SELECT client_id, qcode(date) AS t,
         count(*) FILTER (WHERE kind = 'status_report' AND sales_present) AS sr,
         count(*) FILTER (WHERE sales_present AND delivery_present) AS joint,
         count(*) FILTER (WHERE kind = 'sales_meeting' AND delivery_present) AS smd
  FROM interactions GROUP BY ALL),
dp AS (
  SELECT client_id, qcode(proposal_date) AS t, count(*) AS proposed,
         sum(presales_delivery_signoff::INT) AS signed
  FROM deals GROUP BY ALL),
dw AS (
  SELECT client_id, qcode(close_date) AS t, sum(contract_value) AS bookings,
         coalesce(sum(contract_value) FILTER (WHERE lead_source = 'delivery'), 0) AS dl_sales,
         coalesce(sum(contract_value) FILTER (WHERE deal_type IN {REPEAT_TYPES}), 0) AS rep_value,
         count(*) FILTER (WHERE deal_type IN {REPEAT_TYPES}) AS rep_count
  FROM deals WHERE status = 'won' GROUP BY ALL),
rm AS (
  SELECT d.client_id, qcode(d.close_date) AS t, sum(pj.margin) AS m_sum, count(pj.margin) AS m_n
  FROM deals d JOIN pj ON pj.deal_id = d.deal_id
  WHERE d.status = 'won' AND d.deal_type IN {REPEAT_TYPES} GROUP BY ALL),
sv AS (
  SELECT client_id, qcode(date) AS t, count(*) AS resp, sum(csat) AS csat_sum,
         sum(nps) AS nps_sum, count(nps) AS nps_n
  FROM surveys GROUP BY ALL),
ld AS (
  SELECT client_id, qcode(created_date) AS t,
         count(*) FILTER (WHERE source_team = 'sales') AS l_sales,
         count(*) FILTER (WHERE source_team = 'delivery') AS l_delivery,
         count(*) FILTER (WHERE source_team = 'partner') AS l_partner,
         count(*) FILTER (WHERE source_team = 'marketing') AS l_marketing
  FROM leads GROUP BY ALL),
starts AS (
  SELECT client_id, min(c) AS f FROM (
    SELECT client_id, firstcode(first_engagement_date) AS c FROM clients
    UNION ALL SELECT client_id, firstcode(start_date) FROM projects
    UNION ALL SELECT client_id, firstcode(date) FROM surveys
    UNION ALL SELECT client_id, firstcode(close_date) FROM deals
    UNION ALL SELECT client_id, firstcode(proposal_date) FROM deals
    UNION ALL SELECT client_id, firstcode(date) FROM interactions
    UNION ALL SELECT client_id, firstcode(created_date) FROM leads
    UNION ALL SELECT client_id, firstcode(opened_date) FROM escalations)
  WHERE c BETWEEN 0 AND $np - 1 GROUP BY client_id),
base AS (
  SELECT s.client_id, g.t,
    coalesce(fin.n_fin, 0) AS n_fin, coalesce(fin.n_ms, 0) AS n_ms,
    coalesce(fin.s_ontime, 0) AS s_ontime, coalesce(fin.s_overrun, 0) AS s_overrun,
    coalesce(fin.s_slip, 0) AS s_slip, coalesce(fin.s_def, 0) AS s_def,
    coalesce(fin.s_cr, 0) AS s_cr, coalesce(fin.rev, 0) AS rev, coalesce(fin.cost, 0) AS cost,
    coalesce(act.active, 0) AS active,
    coalesce(esc.n_esc, 0) AS n_esc, coalesce(esc.severe, 0) AS severe,
    coalesce(esc.esc_sales, 0) AS esc_sales,
    coalesce(it.sr, 0) AS sr, coalesce(it.joint, 0) AS joint, coalesce(it.smd, 0) AS smd,
    coalesce(dp.proposed, 0) AS proposed, coalesce(dp.signed, 0) AS signed,
    coalesce(dw.bookings, 0) AS bookings, coalesce(dw.dl_sales, 0) AS dl_sales,
    coalesce(dw.rep_value, 0) AS rep_value, coalesce(dw.rep_count, 0) AS rep_count,
    coalesce(rm.m_sum, 0) AS m_sum, coalesce(rm.m_n, 0) AS m_n,
    coalesce(sv.resp, 0) AS resp, coalesce(sv.csat_sum, 0) AS csat_sum,
    coalesce(sv.nps_sum, 0) AS nps_sum, coalesce(sv.nps_n, 0) AS nps_n,
    coalesce(ld.l_sales, 0) AS l_sales, coalesce(ld.l_delivery, 0) AS l_delivery,
    coalesce(ld.l_partner, 0) AS l_partner, coalesce(ld.l_marketing, 0) AS l_marketing
  FROM starts s JOIN grid g ON g.t >= s.f
  LEFT JOIN fin USING (client_id, t) LEFT JOIN act USING (client_id, t)
  LEFT JOIN esc USING (client_id, t) LEFT JOIN it USING (client_id, t)
  LEFT JOIN dp USING (client_id, t) LEFT JOIN dw USING (client_id, t)
  LEFT JOIN rm USING (client_id, t) LEFT JOIN sv USING (client_id, t)
  LEFT JOIN ld USING (client_id, t))
SELECT client_id, t,
  n_fin AS projects_finished,
  s_ontime / nullif(n_ms, 0) AS ontime_rate,
  s_overrun / nullif(n_fin, 0) AS cost_overrun,
  s_slip / nullif(n_fin, 0) AS schedule_slip_days,
  s_def / nullif(n_fin, 0) AS defects_per_project,
  s_cr / nullif(n_fin, 0) AS change_requests_per_project,
  active AS active_projects, n_esc AS escalations, severe AS escalations_severe,
  sr AS status_reports_by_sales, joint AS joint_engagements, smd AS sales_meetings_with_delivery,
  esc_sales AS escalations_with_sales, esc_sales / nullif(n_esc, 0) AS sales_escalation_share,
  proposed AS deals_proposed, signed / nullif(proposed, 0) AS signoff_share,
  resp AS responses, sum(resp) OVER w AS responses_trailing,
  sum(csat_sum) OVER w / nullif(sum(resp) OVER w, 0) AS csat_trailing,
  sum(nps_sum) OVER w / nullif(sum(nps_n) OVER w, 0) AS nps_trailing,
  bookings, rev AS revenue, (rev - cost) / nullif(rev, 0) AS margin,
  l_sales AS leads_sales, l_delivery AS leads_delivery, l_partner AS leads_partner,
  l_marketing AS leads_marketing, l_delivery AS delivery_leads,
  dl_sales AS delivery_lead_net_sales,
  sum(s_ontime) OVER w / nullif(sum(n_ms) OVER w, 0) AS ontime_rate_trailing,
  sum(s_overrun) OVER w / nullif(sum(n_fin) OVER w, 0) AS cost_overrun_trailing,
  sum(s_slip) OVER w / nullif(sum(n_fin) OVER w, 0) AS schedule_slip_days_trailing,
  sum(n_fin) OVER w AS projects_finished_trailing,
  sum(n_esc) OVER w / nullif(sum(active) OVER w, 0) AS escalations_per_project_trailing,
  sum(sr) OVER w AS status_reports_by_sales_trailing,
  sum(joint) OVER w AS joint_engagements_trailing,
  sum(smd) OVER w AS sales_meetings_with_delivery_trailing,
  sum(esc_sales) OVER w / nullif(sum(n_esc) OVER w, 0) AS sales_escalation_share_trailing,
  sum(signed) OVER w / nullif(sum(proposed) OVER w, 0) AS signoff_share_trailing,
  sum(rep_value) OVER w AS repeat_value_trailing,
  CASE WHEN t + 4 <= $nfull - 1 THEN coalesce(sum(rep_value) OVER f, 0) END AS repeat_value_next,
  CASE WHEN t + 4 <= $nfull - 1 THEN coalesce(sum(rep_count) OVER f, 0) END AS repeat_count_next,
  CASE WHEN t + 4 <= $nfull - 1
       THEN sum(m_sum) OVER f / nullif(sum(m_n) OVER f, 0) END AS repeat_margin_next
FROM base
WINDOW w AS (PARTITION BY client_id ORDER BY t ROWS BETWEEN 3 PRECEDING AND CURRENT ROW),
       f AS (PARTITION BY client_id ORDER BY t ROWS BETWEEN 1 FOLLOWING AND 4 FOLLOWING)
ORDER BY client_id, t
"""


def _portfolio(n_clients: int, quarters: int, seed: int):
    folder = CACHE / f"portfolio_{n_clients}x{quarters}_s{seed}"
    if not (folder / "clients.parquet").exists():
        print(
            f"simulating {n_clients} clients x {quarters} quarters (cached in {folder}) ...",
            flush=True,
        )
        sim = simulate_portfolio(n_clients, quarters, seed=seed)
        from satprofit.io import write_portfolio

        write_portfolio(sim.portfolio, folder, fmt="parquet")
    return load_portfolio(folder)


def duckdb_panel(con, portfolio, grid: PeriodGrid) -> pd.DataFrame:
    p0 = grid.periods[0]
    start = p0.start_time
    con.execute(
        f"CREATE OR REPLACE MACRO qcode(d) AS "
        f"((year(d) - 1970) * 4 + quarter(d) - 1 - {p0.ordinal})"
    )
    con.execute(
        f"CREATE OR REPLACE MACRO firstcode(d) AS "
        f"(CASE WHEN d < TIMESTAMP '{start}' THEN 0 ELSE qcode(d) END)"
    )
    return con.execute(PANEL_SQL, {"np": grid.n, "nfull": grid.n_full}).df()


def _timed(fn, repeat: int) -> tuple[float, list[float], object]:
    fn()  # warm-up (imports, caches)
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=28_000)
    ap.add_argument("--quarters", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    import duckdb

    portfolio = _portfolio(args.clients, args.quarters, args.seed)
    n_int, n_proj = len(portfolio.interactions), len(portfolio.projects)
    print(
        f"portfolio: {len(portfolio.clients):,} clients, {n_proj:,} projects, "
        f"{n_int:,} interactions, {len(portfolio.surveys):,} responses, "
        f"{len(portfolio.deals):,} deals, {len(portfolio.leads):,} leads"
    )
    if n_int < 1_000_000 or n_proj < 100_000:
        print("note: below the issue's scale (>= 1,000,000 interactions, >= 100,000 projects)")

    con = duckdb.connect()
    con.execute(f"SET threads TO {min(2, len(__import__('os').sched_getaffinity(0)))}")
    for name, frame in portfolio.tables.items():
        con.register(name, frame)
    grid = PeriodGrid.from_portfolio(portfolio, "Q")

    def ours():
        return client_panel(portfolio, "Q", indices=False)

    t_ours, runs_ours, panel = _timed(ours, args.repeat)
    t_db, runs_db, sql = _timed(lambda: duckdb_panel(con, portfolio, grid), args.repeat)

    # the two panels must be the same before their times mean anything
    cols = [c for c in sql.columns if c not in ("client_id", "t")]
    a = panel.sort_values(["client_id", "period"], kind="stable").reset_index(drop=True)
    b = sql.sort_values(["client_id", "t"], kind="stable").reset_index(drop=True)
    assert len(a) == len(b), (len(a), len(b))
    assert (a["client_id"].to_numpy() == b["client_id"].to_numpy()).all()
    for c in cols:
        np.testing.assert_allclose(
            a[c].to_numpy(float),
            b[c].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=c,
        )

    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print(f"\npanel: {len(panel):,} client-quarters x {len(cols)} features (checked equal)\n")
    print(f"{'method':<34}{'median s':>10}   runs")
    print(
        f"{'satprofit client_panel (numpy)':<34}{t_ours:>10.3f}   "
        + " ".join(f"{t:.3f}" for t in runs_ours)
    )
    print(f"{'DuckDB SQL (baseline)':<34}{t_db:>10.3f}   " + " ".join(f"{t:.3f}" for t in runs_db))
    print(f"\nratio satprofit / DuckDB: {t_ours / t_db:.2f}  (goal <= 1.5)")
    print(
        f"satprofit peak memory: {peak / 2**30:.2f} GiB traced during the build; "
        f"process max RSS {maxrss / 2**30:.2f} GiB (goal < 4 GiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
