"""The ``satprofit`` command line.

Sub-commands map one-to-one onto package functions; the CLI only parses arguments, prints and
sets the exit code (see :data:`EXIT_CODES`): 0 when the command produced its output, even if
some estimands or reports failed or were refused (each is printed and saved as such, with its
status and reason); 1 the data break the contract; 2 bad usage or other error; 3 nothing could
be produced (no estimand answered, not one report of a kind asked for written).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from satprofit import __version__
from satprofit.constants import DEFAULT_SEED
from satprofit.io import DataValidationError, load_portfolio

#: Exit codes, stated in ``satprofit --help``.
EXIT_CODES = """exit codes:
  0  the command produced its output; estimands or reports that failed or were refused
     are listed as such (status and reason in the table, --json, run folder and manifest)
  1  the data break the data contract (every problem listed)
  2  bad usage or another error
  3  nothing could be produced: no estimand answered, or not one report of a kind
     asked for (client, portfolio) written"""

#: Exit code when every estimand failed or was refused, or no report was written.
NOTHING_PRODUCED = 3


class _UsageError(Exception):
    """A problem with how the command was called; printed without a traceback."""


def _print_problems(err: DataValidationError) -> None:
    """Every problem in full (file, table.column, rule, rows and examples), none cut short:
    the hints at the end of long rules (``--encoding cp1252``) are the point."""
    print(f"{err.source or 'portfolio'}: {len(err.problems)} problem(s) with the data contract\n")
    for p in err.problems:
        where = f"{p.table}.{p.column}" if p.column else p.table
        print(f"{p.file}: {where}" if p.file else where)
        print(f"  rule: {p.rule}")
        if p.n_rows:
            eg = f", e.g. {'; '.join(p.examples)}" if p.examples else ""
            print(f"  {p.n_rows} row{'s' if p.n_rows != 1 else ''}{eg}")
    print("\nSee data/README.md for the tables, columns and rules.")


def _load(args: argparse.Namespace):
    """The portfolio of ``args.folder``, read with ``--encoding``; how it was read on stderr."""
    portfolio = load_portfolio(args.folder, encoding=getattr(args, "encoding", None))
    for note in portfolio.notes:
        print(f"note: {note}", file=sys.stderr)
    return portfolio


def _cmd_validate(args: argparse.Namespace) -> int:
    portfolio = _load(args)
    start, end = portfolio.date_range
    print(f"{args.folder}: valid portfolio")
    print(f"clients: {len(portfolio.clients)}")
    print(f"currency: {portfolio.currency or 'not stated (no portfolio.json)'}")
    print(f"dates:   {start:%Y-%m-%d} to {end:%Y-%m-%d}\n")
    summary = portfolio.summary().reset_index()
    for col in ("first_date", "last_date"):
        summary[col] = summary[col].dt.strftime("%Y-%m-%d").fillna("")
    print(summary.to_string(index=False))
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from satprofit.io.mapping import import_export

    result = import_export(
        args.export_dir, args.mapping, args.out, fmt=args.format, encoding=args.encoding
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    portfolio = result.portfolio
    print(f"imported {portfolio.describe()}")
    print(f"mapped: {', '.join(result.mapped)}; copied as they were: {', '.join(result.copied)}")
    print(f"currency: {portfolio.currency}; wrote {args.format} tables to {result.folder}")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from satprofit.simulate import simulate_portfolio
    from satprofit.simulate.portfolio import check_simulation_folder

    if not args.force:  # before minutes of simulating, not after
        check_simulation_folder(args.out_folder)
    t0 = time.perf_counter()
    sim = simulate_portfolio(
        args.clients,
        args.quarters,
        seed=args.seed,
        n_business_units=args.business_units,
        start=args.start,
        design=args.design,
    )
    elapsed = time.perf_counter() - t0
    path = sim.write(args.out_folder, fmt=args.format, force=args.force)
    print(f"simulated {sim.portfolio.describe()}")
    print(f"in {elapsed:.1f} s; wrote {args.format} tables and truth.json to {path}\n")
    with pd.option_context("display.width", 200):
        print(sim.truth.summary().to_string(float_format=lambda v: f"{v:,.3f}"))
    return 0


def _design_names() -> list[str]:
    from satprofit.simulate.designs import DESIGNS

    return list(DESIGNS)


def _cmd_metrics(args: argparse.Namespace) -> int:
    from satprofit.io.loader import atomic_write_text
    from satprofit.metrics import dashboard

    portfolio = _load(args)
    try:
        table = dashboard(portfolio, by=args.by, freq=args.freq)
    except (ValueError, AttributeError) as err:
        raise _UsageError(f"cannot build the dashboard with --freq {args.freq!r}: {err}") from err
    if args.out:
        path = atomic_write_text(args.out, table.to_csv(index=False, lineterminator="\n"))
        print(f"wrote {len(table)} rows ({args.by} x period) to {path}")
    else:
        print(table.to_csv(index=False, lineterminator="\n"), end="")
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    import json

    from satprofit.causal import estimate, estimate_all

    portfolio = _load(args)
    try:
        if args.question:
            result = estimate(
                portfolio,
                args.question,
                args.method,
                seed=args.seed,
                n_boot=args.boot,
                refutations=args.refute,
            )
        else:
            if args.method:
                raise _UsageError("--method needs --question (methods differ by question)")
            result = estimate_all(
                portfolio, seed=args.seed, n_boot=args.boot, refutations=args.refute
            )
    except KeyError as err:
        raise _UsageError(str(err).strip("'\"")) from err
    if args.json:
        keys = ("question", "estimate", "ci_low", "ci_high", "unit", "method", "n")
        keys += ("status", "reason", "adjustment")
        records = [
            {k: rec[k] for k in keys} | {"note": r.note}
            for rec, r in zip(result.to_records(), result, strict=True)
        ]
        print(json.dumps(records, indent=2, allow_nan=True))
        return _answered_code(result)
    table = result.summary()[["estimate", "ci_low", "ci_high", "unit", "method", "n"]]
    table["status"] = [r.status for r in result]
    with pd.option_context("display.width", 220, "display.max_colwidth", 60):
        print(table.to_string(float_format=lambda v: f"{v:,.4g}"))
    unanswered = [
        f"  {r.estimand}: {r.status.replace('_', ' ')}: {r.reason}" for r in result if not r.ok
    ]
    if unanswered:
        print("\nnot answered:\n" + "\n".join(unanswered))
    adjusted = [f"  {r.estimand}: {', '.join(r.adjustment_set) or 'none'}" for r in result if r.ok]
    if adjusted:
        print("\nadjusted for:\n" + "\n".join(adjusted))
    notes = [f"  {r.estimand}: {r.note}" for r in result if r.note and r.ok]
    if notes:
        print("\nnotes:\n" + "\n".join(notes))
    if args.refute:
        for r in result:
            if r.refutations is not None:
                print(f"\nrefutations of {r.estimand}:")
                print(r.refutations.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    return _answered_code(result)


def _answered_code(result) -> int:
    """0 when at least one estimand was answered (refusals and failures are listed as such),
    :data:`NOTHING_PRODUCED` when none was: the exit-code rule of ``bayes``, ``fit``, ``report``."""
    return 0 if any(r.ok for r in result) else NOTHING_PRODUCED


def _fit(args: argparse.Namespace, portfolio):
    """Fit the Bayesian models with the command's sampler options (warnings reported in the
    output, not as Python warnings), the causal sign-off estimate joined for the what-ifs."""
    import warnings

    from satprofit.bayes import ConvergenceWarning
    from satprofit.runs import fit_portfolio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_portfolio(
            portfolio,
            sampler_config=_sampler_config(args),
            model_configs=_model_configs(args),
            progress=lambda msg: print(msg, file=sys.stderr),
        )


def _model_configs(args: argparse.Namespace) -> dict:
    """Model configurations the command's options switch on (``--nps``), by model key."""
    return {"satisfaction": {"nps": True}} if getattr(args, "nps", False) else {}


def _print_fit(fit, as_json: bool) -> int:
    """Print every Bayesian estimand (failed and refused ones as such); returns the exit code:
    0 when at least one estimand was answered, :data:`NOTHING_PRODUCED` otherwise."""
    import json

    from satprofit.runs import json_safe

    for key, why in fit.skipped.items():
        print(f"{key}: not fitted ({why})", file=sys.stderr)
    for key, why in fit.failed.items():
        print(f"{key}: FAILED ({why})", file=sys.stderr)
    records = fit.records()
    code = 0 if any(r["status"] == "ok" for r in records) else NOTHING_PRODUCED
    if as_json:
        print(json.dumps(json_safe(records), indent=2))
        return code
    _print_bayes_table(fit, records)
    return code


def _print_bayes_table(fit, records: list[dict]) -> None:
    """The estimands as a table, then why any was not answered and which model is unconverged."""
    if not records:
        print("no Bayesian estimand in this fit")
        return
    table = pd.DataFrame(records).set_index("question").drop(columns=["reason", "note"])
    with pd.option_context("display.width", 220, "display.max_columns", None):
        print(table.to_string(float_format=lambda v: f"{v:,.4g}"))
    notes = [f"  {r['question']}: {r['note']}" for r in records if r["status"] != "ok"]
    if notes:
        print("\nnot answered:\n" + "\n".join(notes))
    for key, r in fit.results.items():
        if not r.converged:
            print(
                f"\nNOT CONVERGED: {key}: {r.diagnostics['failing']} failed the gate "
                f"({r.diagnostics['divergences']} divergences); do not report these figures"
            )


def _cmd_bayes(args: argparse.Namespace) -> int:
    portfolio = _load(args)
    return _print_fit(_fit(args, portfolio), args.json)


def _cmd_fit(args: argparse.Namespace) -> int:
    from satprofit.runs import reusable_run, save_run

    portfolio = _load(args)
    settings = _sampler_config(args).settings()
    if args.reuse and reusable_run(args.out, portfolio, settings, _model_configs(args)):
        print(f"{args.out}: a finished run of these data and settings exists; reused")
        return 0
    t0 = time.perf_counter()
    fit = _fit(args, portfolio)
    out = save_run(args.out, args.folder, fit)
    code = _print_fit(fit, as_json=False)
    print(f"\nsaved run to {out} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return _run_code(out, code)


def _run_code(out: Path, bayes_code: int) -> int:
    """0 when the saved run holds at least one answer (Bayesian or causal), else
    :data:`NOTHING_PRODUCED`; the causal questions not answered are listed on stderr."""
    import json

    meta = json.loads((Path(out) / "run.json").read_text())
    causal = json.loads((Path(out) / "causal.json").read_text())
    if meta.get("causal_error"):
        print(f"causal estimates FAILED: {meta['causal_error']}", file=sys.stderr)
    for r in meta.get("unanswered", {}).get("causal", []):
        print(
            f"causal {r['question']} ({r['method']}): {r['status']}: {r['reason']}", file=sys.stderr
        )
    if bayes_code == 0 or any(r.get("status", "ok") == "ok" for r in causal):
        return 0
    return NOTHING_PRODUCED


def _cmd_scenario(args: argparse.Namespace) -> int:
    import json

    from satprofit.bayes import scenario
    from satprofit.runs import load_run

    fit = load_run(args.run, data=args.folder, encoding=args.encoding).fit
    changes = {}
    if args.ontime_pp is not None:
        changes["ontime_pp"] = args.ontime_pp
    if args.status_reports_per_month is not None:
        changes["status_reports_per_month"] = args.status_reports_per_month
    if args.signoff_all:
        changes["signoff_all"] = True
    if not changes:
        raise _UsageError("give at least one lever: --ontime-pp, --status-reports, --signoff-all")
    res = scenario(fit, args.client, changes, mode=args.mode, seed=args.seed)
    if args.json:
        recs = [
            {"measure": m, "case": c, **row}
            for (m, c), row in res.table.to_dict(orient="index").items()
        ]
        out = {
            "client_id": res.client_id,
            "changes": res.changes,
            "mode": res.mode,
            "n_clients": res.n_clients,
            "notes": res.notes,
            "converged": fit.converged,
            "rows": recs,
        }
        print(json.dumps(out, indent=2, allow_nan=True))
        return 0
    who = f"client {args.client}" if args.client else f"portfolio ({res.n_clients} clients)"
    print(f"next 4 quarters, {who}, changes {res.changes} ({res.mode}):\n")
    print(res.summary().to_string(float_format=lambda v: f"{v:,.0f}"))
    for note in res.notes:
        print(f"note: {note}")
    if not fit.converged:
        print("\nNOT CONVERGED: a model failed the convergence gate; do not report these figures")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from satprofit.reporting.batch import render_reports
    from satprofit.reporting.render import safe_filename
    from satprofit.reporting.runners import choose_scheduler
    from satprofit.runs import fitted_alike, is_finished_run, load_run, save_run

    if not (args.client or args.all or args.top or args.portfolio):
        raise _UsageError("say which reports: --client ID, --all, --top N and/or --portfolio")
    if args.jobs is not None and args.jobs < 1:
        raise _UsageError(f"--jobs {args.jobs}: give 1 or more")
    try:
        choose_scheduler(args.scheduler, 2)
    except ValueError as err:
        raise _UsageError(f"--scheduler: {err}") from None
    portfolio = _load(args)
    if args.run:
        run_dir = Path(args.run)
        if not is_finished_run(run_dir):
            raise _UsageError(
                f"--run {run_dir}: no finished run there (no run.json); fit one first with "
                f"'satprofit fit {args.folder} --out {run_dir}', or leave out --run to fit one "
                "into runs/"
            )
    else:
        run_dir = Path("runs") / safe_filename(Path(args.folder).resolve().name, "run")
        settings = _sampler_config(args).settings()
        if not fitted_alike(run_dir, portfolio, settings, _model_configs(args)):
            # none yet, or one of other data or settings (sampler, --nps): fit afresh
            print(f"no run given: fitting into {run_dir}", file=sys.stderr)
            save_run(run_dir, args.folder, _fit(args, portfolio))
    run = load_run(run_dir, portfolio)  # refuses a run fitted on other data, or edited
    run.data, run.encoding = Path(args.folder).resolve(), getattr(args, "encoding", None)
    clients = _report_clients(args, run)
    manifest = render_reports(
        run,
        args.out,
        clients,
        portfolio=args.portfolio,
        jobs=args.jobs,
        scheduler=args.scheduler,
        seed=args.seed,
        pdf=args.pdf,
        force=args.force,
        progress=not args.quiet,
    )
    for job in manifest.reports:
        if job.status == "ok":
            print(job.html)
        else:
            print(f"FAILED {job.kind} {job.client_id or ''}: {job.error}", file=sys.stderr)
    written = len(manifest.reports) - len(manifest.failed)
    skipped = len(manifest.skipped)
    fresh = f" ({skipped} up to date, not rendered again; --force renders them)" if skipped else ""
    print(
        f"{written} of {len(manifest.reports)} reports written{fresh}; "
        f"manifest: {Path(args.out) / 'manifest.json'}",
        file=sys.stderr,
    )
    return _report_code(manifest.reports)


def _cmd_survey_report(args: argparse.Namespace) -> int:
    from satprofit.reporting.study import ECSI_DATA, ECSI_REFERENCE, StudyConfig, render_study

    data = Path(args.data) if args.data else ECSI_DATA
    if not data.is_file():
        raise _UsageError(f"{data}: no such survey file")
    if args.boot < 0:
        raise _UsageError(f"--boot {args.boot}: give 0 (no intervals) or more resamples")
    reference = args.reference
    if reference is None and not args.data:
        reference = str(ECSI_REFERENCE)  # the shipped ECSI data: check against R plspm
    if reference is not None and not Path(reference).is_dir():
        raise _UsageError(f"--reference {reference}: no such folder")
    if args.bayes_draws < 0 or args.bayes_chains < 1:
        raise _UsageError("--bayes-draws must be >= 0 (0: no Bayesian model), --bayes-chains >= 1")
    config = StudyConfig(
        str(data.resolve()),
        args.spec,
        n_boot=args.boot,
        seed=args.seed,
        reference=str(Path(reference).resolve()) if reference else None,
        bayes_draws=args.bayes_draws,
        bayes_chains=args.bayes_chains,
        encoding=args.encoding,
    )
    from satprofit.reporting.errors import ReportError

    try:
        result = render_study(config, args.out, pdf=args.pdf)
    except ReportError as err:
        print(f"satprofit survey-report: no report written: {err}", file=sys.stderr)
        return NOTHING_PRODUCED
    print(result.html)
    return 0


def _report_code(jobs) -> int:
    """0 when at least one report of each kind asked for (client, portfolio) was written;
    :data:`NOTHING_PRODUCED` when every report of a kind failed (a systematic failure)."""
    for kind in {j.kind for j in jobs}:
        if all(j.status != "ok" for j in jobs if j.kind == kind):
            print(f"no {kind} report written", file=sys.stderr)
            return NOTHING_PRODUCED
    return 0


def _cmd_paths(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from satprofit.survey import fit_pls, load_spec, measure, read_portfolio_survey, read_survey

    if args.boot < 0:
        raise _UsageError(f"--boot {args.boot}: give 0 (no intervals) or more resamples")
    for name in ("draws", "chains"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise _UsageError(f"--{name} {getattr(args, name)}: give 1 or more")
    if args.tune is not None and args.tune < 0:
        raise _UsageError(f"--tune {args.tune}: give 0 or more")
    spec = load_spec(args.spec)
    read = read_portfolio_survey if Path(args.data).is_dir() else read_survey
    data = read(args.data, spec, encoding=args.encoding)
    for note in data.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.method == "bayes":
        return _paths_bayes(args, data, spec)
    result = fit_pls(
        data, spec, n_boot=args.boot, seed=args.seed, scheme=args.scheme, scaled=args.standardize
    )
    measurement = measure(data, spec, pls=result)
    if args.json:
        record = result.to_dict() | {"measurement": measurement.to_dict()}
        print(json.dumps(record, indent=2, allow_nan=False))
        return 0
    _print_paths(result, measurement)
    return 0


def _paths_bayes(args: argparse.Namespace, data, spec) -> int:
    """``satprofit paths --method bayes``: the Bayesian multilevel ordinal path model."""
    import json
    import warnings

    from satprofit.survey.bayes_paths import BayesPathConvergenceWarning, fit_bayes_paths

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BayesPathConvergenceWarning)
        result = fit_bayes_paths(
            data,
            spec,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            seed=args.seed,
            backend=args.sampler,
        )
    if not result.converged:
        d = result.diagnostics
        print(
            f"warning: the posterior failed the convergence gate (R-hat {d['rhat_max']:.3f}, "
            f"min ESS {d['ess_min']:.0f}, {d['divergences']} divergences; failing: "
            f"{', '.join(d['failing']) or 'divergences'}): give more --draws/--tune",
            file=sys.stderr,
        )
    from satprofit.survey import measure

    measurement = measure(data, spec)
    if args.json:
        record = result.to_dict() | {"measurement": measurement.to_dict()}
        print(json.dumps(record, indent=2, allow_nan=False))
        return 0
    s = result.settings
    level = (
        f"{result.n_clients} clients (client effects on the "
        f"{'endogenous' if s['client_effects'] == 'endogenous' else 'every'} construct"
        f"{'s' if s['client_effects'] == 'endogenous' else ''})"
        if result.multilevel
        else "single level (no client column)"
    )
    d = result.diagnostics
    print(
        f"Bayesian ordinal path model of {result.source}: {result.n} respondents, {level}; spec "
        f"{spec.name} from {spec.source}"
    )
    print(
        f"{s['chains']} chains x {s['draws']} draws ({s['tune']} tuning, {s['backend']} "
        f"sampler), seed {s['seed']}, "
        f"{d['seconds']:.0f} s; R-hat max {d['rhat_max']:.3f}, min ESS {d['ess_min']:.0f}, "
        f"{d['divergences']} divergences: {'converged' if result.converged else 'NOT converged'}; "
        f"posterior means, {result.interval_prob:.0%} intervals\n"
    )
    fmt = {"float_format": lambda v: f"{v:,.3f}"}
    with pd.option_context("display.width", 200):
        print("paths (standardized coefficients):")
        print(result.summary().drop(columns=["from", "to"]).to_string(**fmt))
        print("\nR-squared:")
        print(result.r_squared_table.to_string(index=False, **fmt))
        print("\neffects (direct + indirect = total; interval of the total):")
        print(result.effects.to_string(index=False, **fmt))
        print("\nloadings (standardized):")
        print(result.loadings.to_string(index=False, **fmt))
        if result.multilevel:
            print("\nshare of each construct's variance at the client level:")
            print(result.client_share.to_string(index=False, **fmt))
    if result.notes:
        print("\nnotes (Bayesian model):\n" + "\n".join(f"  {n}" for n in result.notes))
    _print_measurement(measurement)
    return 0


def _print_paths(result, measurement) -> None:
    """The path model and the measurement checks as readable tables."""
    model = result.model
    items = "standardized" if model.scaled else "centred, not standardized"
    print(
        f"PLS path model of {result.source}: {result.n} respondents, spec {model.spec.name} from "
        f"{model.spec.source}"
    )
    boot = (
        f"{result.n_boot} bootstrap resamples ({result.n_boot_failed} left out), "
        f"{result.interval_prob:.0%} percentile intervals"
        if result.n_boot
        else "no bootstrap (--boot 0): no intervals"
    )
    print(f"mode A, {model.scheme} scheme, items {items}; {boot}\n")
    fmt = {"float_format": lambda v: f"{v:,.3f}"}
    with pd.option_context("display.width", 200):
        print("paths (standardized coefficients):")
        print(result.summary().drop(columns=["from", "to"]).to_string(**fmt))
        print("\nR-squared:")
        print(result.r_squared_table.to_string(index=False, **fmt))
        print("\neffects (direct + indirect = total; interval of the total):")
        print(result.effects.to_string(index=False, **fmt))
    _print_measurement(measurement)


def _print_measurement(measurement) -> None:
    """The measurement checks (reliability, validity) with their warnings and notes."""
    with pd.option_context("display.width", 200):
        print("\nmeasurement (items, from PLS composites):")
        print(measurement.summary().to_string(float_format=lambda v: f"{v:,.3f}"))
    if measurement.warnings:
        print("\nwarnings:\n" + "\n".join(f"  {w}" for w in measurement.warnings))
    if measurement.notes:
        print("\nnotes:\n" + "\n".join(f"  {n}" for n in measurement.notes))


def _cmd_nps(args: argparse.Namespace) -> int:
    import json

    from satprofit.survey import nps as N
    from satprofit.survey.nps_data import NoNPSAnswers, nps_data

    portfolio = _load(args)
    modes = [args.period_split is not None, args.compare_periods is not None, bool(args.compare)]
    if sum(modes) > 1:
        raise _UsageError("give one of --period-split, --compare-periods and --compare")
    if args.draws < 100:
        raise _UsageError(f"--draws {args.draws}: give at least 100 posterior draws")
    kw = {"draws": args.draws, "seed": args.seed}
    try:
        data = nps_data(portfolio, segment=args.segment, role_weights=args.role_weights)
        by = {"portfolio": None, "segment": "segment", "client": "client_id"}[args.by]
        if args.by == "client":
            estimates = N.pooled_nps(data, **kw)
        else:
            estimates = N.nps_summary(data, by=by, prior=args.prior, **kw)
        comparison = None
        pooled = args.by == "client"
        ckw = {"by": by, "pooled": pooled, "prior": args.prior, **kw}
        if args.period_split is not None:
            comparison = N.compare_periods(data, args.period_split, **ckw)
        elif args.compare_periods is not None:
            comparison = N.compare_last_periods(data, freq=args.compare_periods, **ckw)
        elif args.compare:
            a, b = args.compare
            comparison = N.compare_groups(data, "segment", a, b, prior=args.prior, **kw)
    except NoNPSAnswers as err:
        print(f"satprofit nps: not estimable: {err}", file=sys.stderr)
        if args.json:
            print(json.dumps({"status": "not_estimable", "reason": str(err)}, indent=2))
        return NOTHING_PRODUCED
    except (ValueError, TypeError) as err:
        raise _UsageError(str(err)) from err
    if args.json:
        record = {
            "status": "ok",
            "by": args.by,
            "estimates": estimates.to_dict(),
            "comparison": None if comparison is None else comparison.to_dict(),
        }
        print(json.dumps(record, indent=2, allow_nan=False))
        return 0
    _print_nps(args, estimates, comparison)
    return 0


def _print_nps(args: argparse.Namespace, estimates, comparison) -> None:
    """NPS estimates (and a comparison) as readable tables."""
    from satprofit.constants import INTERVAL_LABEL

    fmt = {
        "float_format": lambda v: f"{v:,.1f}",
        "formatters": {"shrinkage": "{:.2f}".format, "p_rose": "{:.3f}".format},
        "index": False,
    }
    weights = estimates.settings.get("role_weights")
    how = (
        f"pooled toward clients.{args.segment} (hierarchical Dirichlet-multinomial)"
        if estimates.method == "pooled"
        else f"Dirichlet posterior, {args.prior} prior"
    )
    print(f"NPS of {args.folder} by {args.by}: {how}, {INTERVAL_LABEL} intervals")
    if weights:
        print(f"role weights {weights}; n_eff is Kish's effective number of answers")
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(estimates.summary().to_string(**fmt))
        if estimates.segments is not None:
            k = estimates.kappa
            print(
                f"\nsegments (the typical client's NPS); concentration kappa {k['median']:.1f} "
                f"[{k['ci_low']:.1f}, {k['ci_high']:.1f}]:"
            )
            print(estimates.segments.to_string(**fmt))
        if comparison is not None:
            s = comparison.settings
            print(f"\nchange {s['b']} minus {s['a']} (P(rose): posterior probability NPS rose):")
            print(comparison.summary().to_string(**fmt))
    notes = estimates.notes + (comparison.notes if comparison is not None else [])
    if notes:
        print("\nnotes:\n" + "\n".join(f"  {n}" for n in dict.fromkeys(notes)))


def _report_clients(args: argparse.Namespace, run) -> list[str]:
    """The client ids asked for: explicit ids, every client, or the N with most responses."""
    ids = list(run.portfolio.clients["client_id"])
    if args.all:
        return ids
    chosen = list(args.client or [])
    if args.top:
        counts = run.portfolio.surveys["client_id"].value_counts()
        ranked = sorted(ids, key=lambda c: (-int(counts.get(c, 0)), c))
        chosen += [c for c in ranked[: args.top] if c not in chosen]
    return chosen


def _cmd_drivers(args: argparse.Namespace) -> int:
    import json

    from satprofit.survey import load_spec
    from satprofit.survey.drivers import survey_key_drivers

    if args.boot < 0:
        raise _UsageError(f"--boot {args.boot}: give 0 (no intervals) or more resamples")
    drivers = [d.strip() for d in args.drivers.split(",") if d.strip()] if args.drivers else None
    result = survey_key_drivers(
        args.data,
        load_spec(args.spec),
        args.outcome,
        drivers,
        items=args.items,
        cluster=args.cluster,
        scale=tuple(args.scale) if args.scale else None,
        n_boot=args.boot,
        seed=args.seed,
        method=args.importance,
        encoding=args.encoding,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return 0
    r2_lo, r2_hi = result.r_squared_interval
    who = f"{result.n_clusters} clients resampled" if result.n_clusters else "respondents resampled"
    print(
        f"key drivers of {result.outcome} in {result.source}: {result.n} respondents, R-squared "
        f"{result.r_squared:.3f} [{r2_lo:.3f}, {r2_hi:.3f}]; {result.n_boot} bootstrap "
        f"resamples ({who}), seed {result.seed}\n"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(result.summary().to_string(float_format=lambda v: f"{v:,.2f}"))
    print("\nimportance: share of R-squared (%); causal: a question's total effect exists")
    for name, row in result.table.iterrows():
        print(f"  {name}: {row['evidence']}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satprofit",
        description="Does client satisfaction pay? Sales-delivery levers, estimated from a "
        "services firm's own exports.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"satprofit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a portfolio folder against the data contract")
    p.add_argument(
        "folder",
        help="folder holding one <table>.csv, .tsv, .parquet or .xlsx file per table, or an "
        ".xlsx workbook with one sheet per table",
    )
    _encoding_option(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "import",
        help="turn a CRM's or PSA tool's own exports into a portfolio through a mapping file",
        description="Rename columns, map values onto the contract's vocabularies, read dates "
        "and numbers as the exports write them, state the currency; every unmapped value is "
        "listed. The portfolio is validated and written only when it satisfies the contract. "
        "Examples: data/mappings/ and data/README.md.",
    )
    p.add_argument("export_dir", help="folder holding the export files the mapping names")
    p.add_argument(
        "--mapping",
        required=True,
        action="append",
        metavar="MAP.yaml",
        help="mapping file (repeatable: e.g. one for the CRM, one for the PSA tool)",
    )
    p.add_argument("--out", required=True, help="portfolio folder to write")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    _encoding_option(p)
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("simulate", help="write a synthetic portfolio with known causal truth")
    p.add_argument("out_folder", help="folder to write the tables and truth.json into")
    p.add_argument("--clients", type=int, default=200, help="number of clients (default 200)")
    p.add_argument(
        "--quarters",
        type=int,
        default=None,
        help="quarters of data (default: the design's, 12 unless it says otherwise)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument(
        "--design",
        default="default",
        choices=_design_names(),
        metavar="NAME",
        help="which simulated world (mechanisms); one of: " + ", ".join(_design_names()),
    )
    p.add_argument("--business-units", type=int, default=6, help="business units (2-8)")
    p.add_argument("--start", default="2022-01-01", help="first day (ISO date)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that holds other files than an earlier simulation "
        "(its tables are overwritten)",
    )
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("metrics", help="the article's six dashboard metrics per group and period")
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    p.add_argument(
        "--by",
        choices=("client", "sales_owner", "delivery_team", "business_unit"),
        default="client",
        help="grouping (default client)",
    )
    p.add_argument("--freq", default="Q", help="pandas period frequency: Q (default), M, W, Y")
    p.add_argument("--out", help="CSV file to write (default: print to standard output)")
    p.set_defaults(func=_cmd_metrics)

    p = sub.add_parser("estimate", help="causal estimates of the questions, with intervals")
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    p.add_argument("--question", help="question or estimand id (default: every question)")
    p.add_argument("--method", help="estimator (default: the question's default)")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument("--refute", action="store_true", help="also run refutation checks")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--boot", type=int, default=200, help="bootstrap replicates")
    p.set_defaults(func=_cmd_estimate)

    p = sub.add_parser(
        "paths",
        help="survey path model between constructs (PLS or Bayesian), with measurement checks",
        description="Fit a path model between the constructs of a survey spec: path "
        "coefficients, R-squared and total effects with bootstrap intervals, and each "
        "construct's reliability and validity with warnings (PLS); or, with --method bayes, "
        "the Bayesian multilevel ordinal path model's posterior standardized paths, effects and "
        "R-squared with convergence diagnostics. Example: satprofit paths "
        "data/external/ecsi_satisfaction.csv --spec ecsi",
    )
    p.add_argument(
        "data",
        help="survey file (.csv, .tsv, .parquet, .xlsx): a row per respondent; or a portfolio "
        "folder with a survey_items table (e.g. from satprofit simulate, with --spec "
        "satprofit_survey)",
    )
    p.add_argument(
        "--spec",
        required=True,
        metavar="SPEC.yaml",
        help="construct map and paths (YAML), or a shipped spec's name (ecsi, satprofit_survey)",
    )
    p.add_argument(
        "--method",
        choices=("pls", "bayes"),
        default="pls",
        help="pls (default) or bayes: the Bayesian multilevel ordinal path model (PyMC model, "
        "nutpie sampler; "
        "respondents nested in clients for a portfolio folder)",
    )
    p.add_argument("--boot", type=int, default=500, help="PLS bootstrap resamples (default 500)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--draws", type=int, help="bayes: draws per chain (default 2500)")
    p.add_argument("--tune", type=int, help="bayes: tuning steps per chain (default 1000)")
    p.add_argument("--chains", type=int, help="bayes: chains (default 4)")
    p.add_argument(
        "--sampler",
        choices=("nutpie", "pymc"),
        help="bayes: nutpie (default; numba-compiled, low-rank mass matrix) or pymc",
    )
    p.add_argument(
        "--scheme",
        choices=("path", "centroid", "factorial"),
        default="path",
        help="PLS inner weighting scheme (default path)",
    )
    p.add_argument(
        "--standardize",
        action="store_true",
        help="standardize the items (for items on different scales); default: centre only",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _encoding_option(p)
    p.set_defaults(func=_cmd_paths)

    p = sub.add_parser(
        "nps",
        help="NPS with intervals: portfolio, segments or clients (pooled), compared over time",
        description="Net Promoter Score (promoters 9-10 minus detractors 0-6, in points) with "
        "Bayesian intervals from a Dirichlet-multinomial model; per client shrunk toward the "
        "client's segment (partial pooling); optional respondent-role weights (Kish effective "
        "sample size); two-period and two-segment comparisons with the probability that NPS "
        "rose. Responses without an nps answer are left out. Example: satprofit nps data/sample "
        "--by client --compare-periods",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    p.add_argument(
        "--by",
        choices=("portfolio", "segment", "client"),
        default="portfolio",
        help="one NPS for the portfolio (default), one per segment, or one per client (pooled "
        "toward its segment)",
    )
    p.add_argument(
        "--segment",
        default="size_band",
        metavar="COLUMN",
        help="clients column that groups clients (default size_band; e.g. industry, region)",
    )
    p.add_argument("--period-split", metavar="DATE", help="compare before DATE with from DATE")
    p.add_argument(
        "--compare-periods",
        nargs="?",
        const="half-year",
        choices=("quarter", "half-year", "year"),
        help="compare the last calendar period with answers with the one before (default "
        "half-year)",
    )
    p.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help="compare two segments (values of --segment), B minus A",
    )
    p.add_argument(
        "--role-weights",
        metavar="JSON",
        help="weight per respondent_role, e.g. '{\"executive sponsor\": 2}' (others weigh 1)",
    )
    p.add_argument(
        "--prior",
        choices=("uniform", "jeffreys"),
        default="uniform",
        help="Dirichlet prior of one group: uniform (1,1,1, default) or Jeffreys (1/2 each)",
    )
    p.add_argument("--draws", type=int, default=4000, help="posterior draws (default 4000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_nps)

    p = sub.add_parser(
        "bayes",
        help="Bayesian models (PyMC) with the convergence gate",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    _sampler_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    _nps_option(p)
    p.set_defaults(func=_cmd_bayes)

    p = sub.add_parser(
        "fit",
        help="fit the Bayesian models once and save the run for reports",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    p.add_argument("--out", required=True, help="run folder to write, e.g. runs/2026-q4")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="keep a finished run of the same data, settings and satprofit version",
    )
    _sampler_options(p)
    _nps_option(p)
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser("scenario", help="what-if: a lever's worth in currency, from a saved run")
    p.add_argument("folder", help="portfolio folder the run was fitted on")
    _encoding_option(p)
    p.add_argument("--run", required=True, help="run folder written by 'satprofit fit'")
    p.add_argument("--client", help="client id (default: the whole portfolio)")
    p.add_argument("--ontime-pp", type=float, help="raise on-time milestones by this many pp")
    p.add_argument(
        "--status-reports",
        dest="status_reports_per_month",
        type=float,
        help="sales sends this many status reports a month",
    )
    p.add_argument("--signoff-all", action="store_true", help="delivery signs off every proposal")
    p.add_argument("--mode", choices=("steady", "ramp"), default="steady")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_cmd_scenario)

    p = sub.add_parser(
        "drivers",
        help="key drivers of a survey outcome: relative weights and Shapley shares of R-squared",
        description="Split the R-squared of an outcome (a construct score, an item, or csat/nps "
        "of a portfolio) over its drivers (constructs or items) by Johnson's relative weights and "
        "the Shapley value, with bootstrap intervals (whole clients resampled where known), "
        "ranks, the importance-vs-performance quadrant, and whether each driver's effect is "
        "measured by a question (causal) or not (associational). Example: satprofit drivers "
        "data/sample --spec satprofit_survey --outcome SAT --json",
    )
    p.add_argument(
        "data",
        help="survey file (.csv, .tsv, .parquet, .xlsx, a row per respondent) or a portfolio "
        "folder with a survey_items table",
    )
    p.add_argument(
        "--spec",
        required=True,
        metavar="SPEC.yaml",
        help="construct map (YAML) or a shipped spec's name (ecsi, satprofit_survey)",
    )
    p.add_argument(
        "--outcome",
        required=True,
        help="a construct (its 0-100 score), an item, or csat/nps of a portfolio",
    )
    p.add_argument(
        "--drivers",
        metavar="A,B,...",
        help="constructs or items, comma-separated (default: the constructs with a path into "
        "the outcome)",
    )
    p.add_argument(
        "--items", action="store_true", help="default drivers: the items of those constructs"
    )
    p.add_argument("--cluster", metavar="COLUMN", help="a survey file's client column")
    p.add_argument(
        "--scale",
        nargs=2,
        type=float,
        metavar=("MIN", "MAX"),
        help="a survey file's answer scale (default: the items' observed range)",
    )
    p.add_argument(
        "--importance",
        choices=("rw", "shapley"),
        default="rw",
        help="decomposition behind the quadrant (default rw: relative weights)",
    )
    p.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _encoding_option(p)
    p.set_defaults(func=_cmd_drivers)

    p = sub.add_parser(
        "survey-report",
        help="render a survey case study (measurement, PLS path model, check against plspm)",
        description="Render the survey case study notebook (src/satprofit/reporting/templates/notebooks/ecsi_case_study.py) on a "
        "survey file through the report pipeline: the data, the measurement checks, the PLS path "
        "model with bootstrap intervals and, with --reference, the check against R plspm. "
        "Without DATA it studies the shipped ECSI survey and checks it against plspm. Example: "
        "satprofit survey-report --out reports/ecsi",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "data",
        nargs="?",
        help="survey file (a row per respondent, one column per item); default: the shipped "
        "ECSI survey (data/external/ecsi_satisfaction.csv)",
    )
    p.add_argument(
        "--spec",
        default="ecsi",
        metavar="SPEC.yaml",
        help="construct map (YAML) or a shipped spec's name (default ecsi)",
    )
    p.add_argument("--out", required=True, help="report folder, e.g. reports/ecsi")
    p.add_argument(
        "--reference",
        metavar="FOLDER",
        help="R plspm's effects.csv and inner-summary.csv for these data (default for the "
        "shipped ECSI survey: data/external/ecsi_plspm)",
    )
    p.add_argument("--boot", type=int, default=500, help="bootstrap resamples (default 500)")
    p.add_argument(
        "--bayes-draws",
        type=int,
        default=0,
        help="draws per chain of the Bayesian ordinal path model after 1,000 tuning steps, "
        "e.g. 2500 (about 3 minutes on ECSI with 4 chains on 2 cores; default 0 leaves the "
        "model out)",
    )
    p.add_argument("--bayes-chains", type=int, default=4, help="its chains (default 4)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument("--pdf", action="store_true", help="also print a PDF (needs Chromium)")
    _encoding_option(p)
    p.set_defaults(func=_cmd_survey_report)

    p = sub.add_parser(
        "report",
        help="render client reports (and the portfolio report)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", help="portfolio folder (or .xlsx workbook)")
    _encoding_option(p)
    p.add_argument(
        "--run",
        help="finished run folder of 'satprofit fit' on these data (default: runs/<folder "
        "name>, fitted first when it holds no run)",
    )
    p.add_argument("--out", default="reports", help="report folder (default reports/)")
    p.add_argument("--client", action="append", help="client id (repeatable)")
    p.add_argument("--all", action="store_true", help="every client")
    p.add_argument("--top", type=int, default=0, help="the N clients with most responses")
    p.add_argument("--portfolio", action="store_true", help="also the internal portfolio report")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="reports rendered at once: workers of the local Dask cluster (default: one per "
        "core this process may use)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="where reports run: 'local' (a Dask LocalCluster, the default for more than one "
        "report), 'threads' (this process), or a Dask scheduler address tcp://HOST:PORT whose "
        "workers see the run, data and report folders at the same paths (default: "
        "$SATPROFIT_SCHEDULER)",
    )
    p.add_argument("--force", action="store_true", help="render reports again even when up to date")
    p.add_argument("--pdf", action="store_true", help="also print PDFs (Debian chromium)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _sampler_options(p)
    _nps_option(p)  # for the run fitted when no --run is given
    p.set_defaults(func=_cmd_report)
    return parser


def _encoding_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--encoding",
        metavar="ENC",
        help="encoding of CSV files that are not UTF-8, e.g. cp1252 (Excel's plain CSV on "
        "Windows) or utf-16; UTF-8 files are always read as UTF-8",
    )


def _nps_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--nps",
        action="store_true",
        help="add the nps answers (0..10) to the satisfaction model as a second ordinal "
        "likelihood sharing the latent satisfaction (recorded in the run; --reuse respects it)",
    )


def _sampler_config(args: argparse.Namespace):
    """The :class:`~satprofit.bayes.base.SamplerConfig` of the command's sampler options."""
    from satprofit.bayes.base import SamplerConfig

    return SamplerConfig(
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        cores=args.cores,
        sampler=args.sampler,
        random_seed=args.seed,
    )


def _sampler_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--draws", type=int, default=1000, help="posterior draws per chain")
    p.add_argument(
        "--tune",
        type=int,
        default=None,
        help="tuning steps per chain (default: 1000 with pymc, 300 with nutpie)",
    )
    p.add_argument("--chains", type=int, default=4, help="chains")
    p.add_argument("--cores", type=int, default=None, help="processes (default: min(chains, CPUs))")
    p.add_argument(
        "--sampler",
        choices=("auto", "pymc", "nutpie"),
        default="auto",
        help="auto (default: nutpie for a model with at least 3,000 rows and 500 draws, "
        "pymc otherwise), pymc, or nutpie (low-rank mass matrix, 10-35 s to compile each "
        "model, several times faster per draw)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")


@contextlib.contextmanager
def _stopped_by_signals():
    """SIGTERM stops the command like SIGINT does (an exception, so every staging folder and
    sampler worker is cleaned up on the way out) instead of killing it on the spot."""
    from satprofit.processes import raise_interrupted

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if old is None else old)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _stopped_by_signals():
            return int(args.func(args) or 0)
    except KeyboardInterrupt as err:  # SIGINT or SIGTERM: cleaned up by the finally blocks
        signum = getattr(err, "signum", signal.SIGINT)
        print(f"satprofit {args.command}: interrupted", file=sys.stderr)
        return 128 + signum
    except DataValidationError as err:
        _print_problems(err)
        return 1
    except (_UsageError, ValueError, OSError) as err:
        print(f"satprofit {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
