"""Coverage of the NPS intervals (:mod:`satprofit.survey.nps`) on simulated portfolios with
known category probabilities.

Each replication draws a portfolio of ``n_clients`` clients in three segments: segment means
``m_s ~ Dirichlet(4, 3, 3)``, client probabilities ``p_c ~ Dirichlet(kappa m_s)`` for a true
concentration ``kappa`` (one row of the table per value: clients alike, ``kappa = 50``, or
very different, ``kappa = 3``), 3-20 respondents per client and their answers. Checked, at
:data:`satprofit.constants.INTERVAL_PROB`:

* ``portfolio``: the Dirichlet interval of the pooled answers against the true NPS of these
  clients' respondents, ``sum_c n_c NPS(p_c) / sum_c n_c`` (the NPS the same respondents would
  give on average; a conditional target, since the clients are the ones in hand);
* ``client (pooled)``: each client's partially pooled interval against ``NPS(p_c)``, over every
  client of every replication (and split by the client's number of respondents);
* ``difference``: two independent groups (40-150 respondents each, probabilities drawn
  independently), the interval of ``NPS_b - NPS_a`` against the truth;
* ``portfolio, role-weighted``: one group of 150 respondents with random role weights 1-3
  independent of the answer (so the true NPS is unchanged): the Kish-weighted interval;
* ``client change (pooled)``: each client's change between two half-years
  (:func:`satprofit.survey.nps.compare_last_periods` with ``pooled=True``, the report's
  P(rose)), clients of the ``kappa = 10`` portfolio whose second-half probabilities are
  ``Dirichlet(30 p_c)`` around their first (persistent levels, moderate changes), 2-10 answers
  per half-year. Each client-period is shrunk toward the portfolio's same half-year, not
  toward the client's own level: this row measures what that costs.

Run ``python -m satprofit.validation.nps_coverage`` (``--replications``, ``--seed``,
``--out CSV``) to print the table.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED, INTERVAL_PROB
from satprofit.survey.nps import compare_last_periods, nps_summary, pooled_nps
from satprofit.survey.nps_core import nps_of
from satprofit.survey.nps_data import NPSData

#: True concentrations of the client probabilities, one row of the table each.
KAPPAS = (3.0, 10.0, 50.0)
_SEGMENT_MEAN = (4.0, 3.0, 3.0)


def _data(codes: np.ndarray, clients: np.ndarray, segs: np.ndarray, weights=None) -> NPSData:
    """An :class:`NPSData` of simulated answers (category codes per respondent)."""
    n = len(codes)
    frame = pd.DataFrame(
        {
            "response_id": np.arange(n).astype(str),
            "client_id": clients,
            "date": pd.Timestamp("2024-01-01"),
            "nps": np.choose(codes, [3, 8, 10]),
            "category": codes,
            "role": "",
            "weight": np.ones(n) if weights is None else weights,
            "segment": segs[clients.astype(int)] if len(segs) else "",
        }
    )
    frame["client_id"] = frame["client_id"].astype(str)
    ids = np.arange(len(segs)).astype(str)
    cl = pd.DataFrame({"client_id": ids, "segment": segs})
    role_weights = None if weights is None else {"simulated": 1.0}
    return NPSData(frame, cl, "segment", role_weights)


def _portfolio(rng, n_clients: int, kappa: float):
    segs = rng.integers(0, 3, n_clients)
    m = rng.dirichlet(_SEGMENT_MEAN, 3)
    p = np.array([rng.dirichlet(kappa * m[s]) for s in segs])
    n = rng.integers(3, 21, n_clients)
    codes = np.concatenate([rng.choice(3, size=k, p=pc) for k, pc in zip(n, p, strict=True)])
    clients = np.repeat(np.arange(n_clients), n)
    return codes, clients, segs.astype(str), p, n


def replicate(rep: int, *, seed: int, n_clients: int, kappas=KAPPAS, draws: int = 2000) -> list:
    """One replication: rows of (target, setting, truth, ci_low, ci_high, n)."""
    rng = np.random.default_rng([seed, rep])
    rows = []
    for kappa in kappas:
        codes, clients, segs, p, n = _portfolio(rng, n_clients, kappa)
        data = _data(codes, clients.astype(str), segs)
        truth = float(np.sum(n * nps_of(p)) / n.sum())
        r = nps_summary(data, draws=draws, seed=int(rng.integers(2**31))).table.iloc[0]
        setting = f"{n_clients} clients, kappa {kappa:g}"
        rows.append(("portfolio", setting, truth, r["ci_low"], r["ci_high"], int(n.sum())))
        pooled = pooled_nps(data, draws=draws, seed=int(rng.integers(2**31))).table
        true_c = nps_of(p)
        for i, row in pooled.iterrows():
            rows.append(
                ("client (pooled)", setting, float(true_c[i]), row["ci_low"], row["ci_high"],
                 int(row["n"]))
            )  # fmt: skip
    # two independent groups
    pa, pb = rng.dirichlet(_SEGMENT_MEAN), rng.dirichlet(_SEGMENT_MEAN)
    na, nb = rng.integers(40, 151, 2)
    ca, cb = rng.choice(3, size=na, p=pa), rng.choice(3, size=nb, p=pb)
    ra = nps_summary(_data(ca, np.zeros(na, int).astype(str), np.array(["0"])), draws=draws,
                     seed=int(rng.integers(2**31)))  # fmt: skip
    rb = nps_summary(_data(cb, np.zeros(nb, int).astype(str), np.array(["0"])), draws=draws,
                     seed=int(rng.integers(2**31)))  # fmt: skip
    diff = rb.draws[0] - ra.draws[0]
    lo, hi = np.quantile(diff, [(1 - INTERVAL_PROB) / 2, (1 + INTERVAL_PROB) / 2])
    truth = float(nps_of(pb) - nps_of(pa))
    rows.append(("difference", "two groups of 40-150", truth, lo, hi, int(na + nb)))
    # role weights independent of the answer
    pw = rng.dirichlet(_SEGMENT_MEAN)
    cw = rng.choice(3, size=150, p=pw)
    w = rng.choice([1.0, 2.0, 3.0], size=150)
    rw = nps_summary(_data(cw, np.zeros(150, int).astype(str), np.array(["0"]), w), draws=draws,
                     seed=int(rng.integers(2**31))).table.iloc[0]  # fmt: skip
    rows.append(
        ("portfolio, role-weighted", "150 answers, weights 1-3", float(nps_of(pw)),
         rw["ci_low"], rw["ci_high"], 150)
    )  # fmt: skip
    rows += _client_changes(rng, n_clients, draws)
    return rows


def _client_changes(rng, n_clients: int, draws: int) -> list:
    """Per-client change between two half-years, pooled as the client report pools it."""
    segs = rng.integers(0, 3, n_clients)
    m = rng.dirichlet(_SEGMENT_MEAN, 3)
    pa = np.array([rng.dirichlet(10.0 * m[s]) for s in segs])
    pb = np.array([rng.dirichlet(30.0 * p + 1e-3) for p in pa])
    frames = []
    for when, p in (("2024-03-01", pa), ("2024-09-01", pb)):
        n = rng.integers(2, 11, n_clients)
        codes = np.concatenate([rng.choice(3, size=k, p=pc) for k, pc in zip(n, p, strict=True)])
        clients = np.repeat(np.arange(n_clients), n).astype(str)
        frames.append(_data(codes, clients, segs.astype(str)).frame.assign(date=pd.Timestamp(when)))
    base = _data(np.zeros(0, int), np.zeros(0, str), segs.astype(str))
    data = NPSData(pd.concat(frames, ignore_index=True), base.clients, "segment", None)
    cmp = compare_last_periods(data, by="client_id", pooled=True, draws=draws,
                               seed=int(rng.integers(2**31)))  # fmt: skip
    truth = nps_of(pb) - nps_of(pa)
    return [
        ("client change (pooled)", "2-10 answers per half-year",
         float(truth[int(r["client_id"])]), r["ci_low"], r["ci_high"], int(r["n_a"] + r["n_b"]))
        for _, r in cmp.table.iterrows()
    ]  # fmt: skip


def coverage_study(
    replications: int = 200,
    *,
    n_clients: int = 30,
    seed: int = DEFAULT_SEED,
    kappas=KAPPAS,
    draws: int = 2000,
) -> pd.DataFrame:
    """Coverage table: per target and setting, intervals, coverage, its Monte Carlo standard
    error and the mean interval width (points); per-client rows also split by respondents."""
    rows = []
    for rep in range(replications):
        rows += replicate(rep, seed=seed, n_clients=n_clients, kappas=kappas, draws=draws)
    d = pd.DataFrame(rows, columns=["target", "setting", "truth", "ci_low", "ci_high", "n"])
    d["covered"] = (d["ci_low"] <= d["truth"]) & (d["truth"] <= d["ci_high"])
    d["width"] = d["ci_high"] - d["ci_low"]
    client = d["target"] == "client (pooled)"
    band = pd.cut(d.loc[client, "n"], [-1, 7, 13, 20], labels=["3-7", "8-13", "14-20"])
    by_n = d[client].assign(target="client (pooled), " + band.astype(str) + " respondents")
    table = (
        pd.concat([d, by_n])
        .groupby(["target", "setting"], sort=False)
        .agg(intervals=("covered", "size"), coverage=("covered", "mean"), width=("width", "mean"))
        .reset_index()
    )
    order = ["portfolio", "client (pooled)"] + [
        f"client (pooled), {b} respondents" for b in ("3-7", "8-13", "14-20")
    ]
    rank = table["target"].map({t: i for i, t in enumerate(order)}).fillna(len(order))
    table = table.assign(_r=rank).sort_values("_r", kind="stable").drop(columns="_r")
    table = table.reset_index(drop=True)
    table["mc_se"] = np.sqrt(table["coverage"] * (1 - table["coverage"]) / table["intervals"])
    return table[["target", "setting", "intervals", "coverage", "mc_se", "width"]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", help="CSV file to write the table to")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    table = coverage_study(args.replications, n_clients=args.clients, seed=args.seed)
    with pd.option_context("display.width", 200):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"\n{args.replications} replications in {time.perf_counter() - t0:.0f} s", file=sys.stderr
    )
    if args.out:
        from satprofit.files import atomic_write_text

        atomic_write_text(args.out, table.to_csv(index=False, lineterminator="\n"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
