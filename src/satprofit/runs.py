"""A run: everything fitted once for a portfolio, saved so reports can be rendered many times.

Layout of a run folder::

    run.json            what was fitted (the data by fingerprint), with which settings, and
                        the SHA-256 of every other file of the run and of itself
    causal.json         causal estimates of every question, by every method
    fit/                the Bayesian models (see :class:`satprofit.bayes.PortfolioFit`)

Reports load a run and never refit per client. A run is written into a hidden staging folder
and swapped in whole, so a failed or killed save leaves the previous run as it was; a folder
without ``run.json`` is not a finished run and is refused, and so is a run whose files were
edited, truncated or lost since it was saved (:func:`read_run_meta`). A run names its data by
their content fingerprint, never by path: it can be moved, renamed or shared, and whoever loads
it names the data folder (:func:`load_run`). Loading never writes into the run folder, so an
archived, read-only run can be reported from.

Every part is saved in isolation: the Bayesian fit is written first (minutes of sampling are
never lost to a later step), each causal question and method is estimated on its own, and a
part that raises becomes a record with ``status`` ``"failed"`` and its ``reason``. ``run.json``
lists every unanswered estimand (``unanswered``) and the parts that failed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.bayes.fits import PortfolioFit, failure_reason, fit_models
from satprofit.constants import DEFAULT_SEED, ESTIMAND_IDS, QUESTION_IDS
from satprofit.files import (
    atomic_write_text,
    clean_stale,
    is_tagged,
    make_dir,
    sha256_file,
    spare_name,
    stale,
)
from satprofit.io import Portfolio, load_portfolio, portfolio_fingerprint

_log = logging.getLogger(__name__)


def fit_portfolio(portfolio: Portfolio, *, progress=None, **kwargs) -> PortfolioFit:
    """:func:`satprofit.bayes.fit_models` with the causal ``presales_signoff`` estimate that the
    what-if engine's sign-off lever needs joined in (``fit.signoff``).

    The join lives here, above both estimation layers, so ``bayes`` never imports ``causal``.
    A sign-off estimate that raises is recorded in ``fit.failed["signoff"]`` and the fit kept
    (the lever is then unavailable).
    """
    fit = fit_models(portfolio, progress=progress, **kwargs)
    try:
        fit.signoff = signoff_estimate(fit.portfolio)
    except Exception as err:  # the sign-off lever is then unavailable, the fit is kept
        fit.signoff = None
        fit.failed["signoff"] = failure_reason(err)
        _log.warning("signoff failed; the other models are kept", exc_info=err)
        if progress:
            progress(f"signoff: failed ({fit.failed['signoff']})")
    return fit


def signoff_estimate(portfolio: Portfolio) -> dict | None:
    """The causal estimate of presales_signoff (pp of on-time rate), or None."""
    from satprofit.causal import estimate

    r = estimate(portfolio, "presales_signoff").results[0]
    if r.estimate is None or not np.isfinite(r.estimate) or not np.isfinite(r.se):
        return None
    return {"estimate": float(r.estimate), "se": float(r.se), "method": r.method}


def causal_records(portfolio: Portfolio, *, seed: int = DEFAULT_SEED, n_boot: int = 200) -> list:
    """Every question by every method that answers it (naive included), as JSON records.

    A question the data cannot answer gives records with ``status`` ``"not_estimable"`` and a
    reason, no numbers. Each question (and, when a question fails as a whole, each method) is
    computed in isolation: an exception becomes records with ``status`` ``"failed"`` and the
    exception as ``reason``, and every other question is still answered.
    """
    from satprofit.causal import compare_methods

    recs = []
    for q in QUESTION_IDS:
        try:
            results = list(compare_methods(portfolio, q, seed=seed, n_boot=n_boot))
        except Exception as err:  # isolation: retry method by method
            _log.warning("causal %s failed; estimating method by method", q, exc_info=err)
            results = _by_method(portfolio, q, seed=seed, n_boot=n_boot)
        recs += [_causal_record(r) for r in results]
    return recs


def _by_method(portfolio: Portfolio, question: str, *, seed: int, n_boot: int) -> list:
    """Each method of ``question`` on its own; a method that raises gives failed results."""
    from satprofit.causal import METHODS, estimate, no_answer

    out = []
    for method in METHODS[question]:
        try:
            out += list(estimate(portfolio, question, method, seed=seed, n_boot=n_boot))
        except Exception as err:
            why = failure_reason(err)
            out += [
                no_answer(e, method, why, status="failed") for e in _estimands(question, method)
            ]
    return out


def _estimands(question: str, method: str) -> list[str]:
    """The estimand ids a method answers for a question (as :func:`satprofit.causal.estimate`
    returns them: only the path methods split ``quality_to_repeat`` into its three parts)."""
    from satprofit.causal.api import PATH_METHODS

    if question == "quality_to_repeat" and method not in PATH_METHODS:
        return ["quality_to_repeat.total"]
    return [e for e in ESTIMAND_IDS if e.split(".")[0] == question]


def _causal_record(r) -> dict:
    """One causal result as a JSON record (a result that cannot be written is a failed one)."""
    from satprofit.causal import no_answer

    try:
        rec = r.to_dict(full=True)  # CausalEstimate.from_dict reads it back
        rec["diagnostics"] = _plain(r.diagnostics)
    except Exception as err:
        failed = no_answer(r.estimand, r.method, failure_reason(err), status="failed")
        rec = failed.to_dict(full=True) | {"diagnostics": {}}
    rec.setdefault("status", "ok")
    rec.setdefault("reason", None)
    return rec


def unanswered(records: list[dict]) -> list[dict]:
    """The records that are not answers: question, method, status and reason of each."""
    keys = ("question", "method", "status", "reason")
    return [{k: r.get(k) for k in keys} for r in records if r.get("status", "ok") != "ok"]


#: The layout of ``run.json`` this version writes (content hashes, data named by fingerprint).
RUN_FORMAT = 2

#: What a run folder may hold (``configs/`` and ``audit/`` were written by earlier versions'
#: reports): a folder holding anything else is not replaced by :func:`save_run`.
RUN_ENTRIES = frozenset({"run.json", "causal.json", "fit", "configs", "audit"})


class RunError(ValueError):
    """A run folder that cannot be used as it is: the message names the file and the reason."""


def save_run(
    out: str | os.PathLike,
    data_folder: str | os.PathLike | None,
    fit: PortfolioFit,
    *,
    causal: list | None = None,
    seed: int | None = None,
) -> Path:
    """Save ``fit`` (and the causal estimates, computed when not given) as a run folder.

    The run is written into a hidden staging folder next to ``out`` and swapped in only once
    complete, so a failure or a kill at any point leaves the previous run in ``out`` as it
    was; staging folders left by killed saves of the same run are removed first.

    The fit is written first; the causal estimates are computed question by question, and if
    they fail as a whole the run is still saved, with the failure in ``run.json``
    (``causal_error``). ``run.json`` lists every estimand that is not an answer
    (``unanswered``: question, method, status, reason), the Bayesian parts skipped or failed,
    the SHA-256 of every other file of the run (``files``) and of its own content (``hash``),
    and the data by fingerprint (``portfolio``), never by path: a run can be moved, renamed
    and shared, and is loaded with the data folder named by whoever reads it.

    Parameters
    ----------
    out : path
        The run folder: new, empty, or an earlier run (replaced). A folder holding anything
        else is refused (:class:`RunError`).
    data_folder : path or None
        The data folder fitted; only its name is recorded, for people.
    fit : PortfolioFit
    causal : list of dict, optional
        Causal records (default: :func:`causal_records` of the fit's portfolio).
    seed : int, optional
        Seed of the causal estimates (default: the fit's).

    Returns
    -------
    Path
        ``out``.
    """
    out = Path(out)
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _recover(out)
    clean_stale(out.parent, prefix=f".{out.name}.")
    staging = make_dir(prefix=f".{out.name}.", suffix=".staging", dir=out.parent)
    try:
        _write_run(staging, data_folder, fit, causal=causal, seed=seed)
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the unfinished run, or the replaced one
    return out


def _write_run(
    folder: Path, data_folder, fit: PortfolioFit, *, causal: list | None, seed: int | None
) -> None:
    """Write every file of a run into ``folder``, ``run.json`` (with the hashes) last."""
    seed = fit.settings.get("random_seed", DEFAULT_SEED) if seed is None else seed
    fit.save(folder / "fit")
    saved = json.loads((folder / "fit" / "fit.json").read_text())
    t0 = time.perf_counter()
    causal_error = None
    if causal is None:
        try:
            causal = causal_records(fit.portfolio, seed=seed)
        except Exception as err:  # never lose the fit to the causal part
            causal, causal_error = [], failure_reason(err)
            _log.warning("causal estimates failed; run saved without them", exc_info=err)
    causal = json_safe(causal)
    atomic_write_text(folder / "causal.json", json.dumps(causal, indent=2))
    from satprofit import __version__

    meta = {
        "format": RUN_FORMAT,
        "portfolio": portfolio_fingerprint(fit.portfolio),
        "data_name": None if data_folder is None else Path(data_folder).resolve().name,
        "satprofit_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": fit.settings,
        "model_configs": fit.model_configs,
        "causal_seconds": round(time.perf_counter() - t0, 1),
        "models": sorted(k for k in fit.results if k not in saved["failed"]),
        "skipped": fit.skipped,
        "failed": saved["failed"],
        "converged": fit.converged,
        "causal_error": causal_error,
        "unanswered": {
            "bayes": unanswered(json_safe(_safe_records(fit))),
            "causal": unanswered(causal),
        },
        "files": _file_hashes(folder),
    }
    write_run_meta(folder, meta)


def write_run_meta(folder: str | os.PathLike, meta: dict) -> Path:
    """Write ``run.json`` with ``hash``, the SHA-256 of the rest of its content."""
    meta = {k: v for k, v in meta.items() if k != "hash"}
    meta["hash"] = _meta_hash(meta)
    return atomic_write_text(Path(folder) / "run.json", json.dumps(meta, indent=2))


def _meta_hash(meta: dict) -> str:
    body = {k: v for k, v in meta.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` but ``run.json``, by relative POSIX path."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != "run.json":
            out[rel] = sha256_file(path)
    return out


def _check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that holds anything but a satprofit run."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RunError(f"{out}: not a folder; choose a new folder for the run")
    others = sorted(
        e.name for e in os.scandir(out) if e.name not in RUN_ENTRIES and not is_tagged(e.name)
    )
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise RunError(
            f"{out} holds files that are not part of a satprofit run ({shown}); it is not "
            "replaced: choose a new or empty folder for the run"
        )


def _swap_in(staging: Path, out: Path) -> None:
    """Put the complete run ``staging`` at ``out``; the replaced run (if any) ends up at
    ``staging``. Atomic where the file system can exchange two names (Linux ``renameat2``);
    elsewhere two renames, and a kill between them is undone by :func:`_recover`."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        return
    old = spare_name(prefix=f".{out.name}.", suffix=".replaced", dir=out.parent)
    os.rename(out, old)
    os.rename(staging, out)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _recover(out: Path) -> None:
    """A save killed between the two renames of :func:`_swap_in` left the previous run under a
    hidden name and no ``out``: put it back."""
    if out.exists():
        return
    for path in stale(out.parent, prefix=f".{out.name}."):
        if path.name.endswith(".replaced") and (path / "run.json").exists():
            os.rename(path, out)
            _log.warning("%s: restored the run a killed save had moved aside", out)
            return


def _safe_records(fit: PortfolioFit) -> list[dict]:
    """The fit's records, or none when even they cannot be built (the run is still saved)."""
    try:
        return fit.records()
    except Exception as err:
        _log.warning("Bayesian records could not be built", exc_info=err)
        return []


def _plain(d: dict) -> dict:
    """The JSON-representable part of a diagnostics dict (scalars, text, short lists)."""
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str | int | float | bool) or v is None:
            out[str(k)] = v
        elif isinstance(v, list | tuple) and len(v) <= 50:
            if all(isinstance(x, str | int | float | bool | np.generic) for x in v):
                out[str(k)] = [x.item() if isinstance(x, np.generic) else x for x in v]
    return out


def json_safe(obj):
    """NaN and infinities -> None, numpy scalars -> Python (strict JSON)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def fitted_alike(
    folder: str | os.PathLike,
    portfolio: Portfolio,
    settings: dict,
    model_configs: dict | None = None,
) -> bool:
    """Whether ``folder`` holds a finished run of these data with these sampler settings and
    model configurations (failed parts allowed: the report of a run that could not answer
    everything is still that run's report)."""
    return _alike_meta(folder, portfolio, settings, model_configs) is not None


def _alike_meta(folder, portfolio: Portfolio, settings: dict, model_configs: dict | None):
    """``run.json`` of a finished, intact run of these data, sampler settings and model
    configurations in ``folder``, else None."""
    if not is_finished_run(folder):
        return None
    try:
        meta = read_run_meta(folder)
    except (RunError, OSError) as err:
        _log.warning("%s: not reused (%s)", folder, err)
        return None
    same = (
        meta.get("portfolio") == portfolio_fingerprint(portfolio)
        and meta.get("settings") == settings
        and (meta.get("model_configs") or {}) == (model_configs or {})
    )
    return meta if same else None


def reusable_run(
    folder: str | os.PathLike,
    portfolio: Portfolio,
    settings: dict,
    model_configs: dict | None = None,
) -> bool:
    """Whether ``folder`` holds a finished, intact run of these data, sampler settings, model
    configurations (``model_configs``, as :func:`satprofit.bayes.fit_models` takes them; a run
    fitted with ``--nps`` is not reused without it, nor the other way round) and satprofit
    version in which nothing failed (so ``satprofit fit --reuse`` can skip fitting; a run with
    a failed part is fitted again, since a failure may not recur)."""
    from satprofit import __version__

    meta = _alike_meta(folder, portfolio, settings, model_configs)
    if (
        meta is None
        or meta.get("satprofit_version") != __version__
        or meta.get("failed")
        or meta.get("causal_error")
    ):
        return False
    try:  # the saved models must still load (same model layout as this version builds)
        PortfolioFit.load(Path(folder) / "fit", portfolio)
    except (ValueError, OSError, KeyError) as err:
        _log.warning("%s: not reused (%s)", folder, err)
        return False
    return True


def is_finished_run(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds ``run.json`` (a finished run; whether it is intact is checked
    when it is read)."""
    return (Path(folder) / "run.json").is_file()


def read_run_meta(folder: str | os.PathLike) -> dict:
    """``run.json`` of a finished run, checked: every file of the run is present and has the
    content it was saved with, and ``run.json`` itself is unedited.

    The hashes catch edited, truncated and corrupt files, not a deliberate forgery (whoever
    edits a file can also recompute the hashes).

    Raises
    ------
    FileNotFoundError
        No ``run.json``: not a finished run.
    RunError
        A file is unreadable, missing, edited or truncated (the message names it), or the run
        was written by an earlier satprofit without content hashes.
    """
    folder = Path(folder)
    path = folder / "run.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no run.json (not a finished run of 'satprofit fit')")
    meta = _read_json(path)
    if not isinstance(meta, dict) or "hash" not in meta or "files" not in meta:
        raise RunError(
            f"{path}: written by an earlier satprofit, without content hashes; refit with "
            "'satprofit fit'"
        )
    if meta["hash"] != _meta_hash(meta):
        raise RunError(f"{path}: edited since the run was saved (its content hash differs)")
    for rel, digest in meta["files"].items():
        file = folder / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise RunError(f"{path}: lists a file outside the run ({rel})")
        if not file.is_file():
            raise RunError(f"{file}: missing from the run")
        if sha256_file(file) != digest:
            raise RunError(
                f"{file}: changed since the run was saved (edited, truncated or corrupt); "
                "refit with 'satprofit fit'"
            )
    return meta


def _read_json(path: Path):
    """A JSON file's content; a truncated or otherwise invalid file is a :class:`RunError`
    naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunError(f"{path}: not valid JSON, truncated or corrupt ({err})") from None


@dataclass
class Run:
    """A loaded run: the portfolio, its fit and its causal estimates (and the data folder it
    was loaded with, when it was given as a folder)."""

    folder: Path
    meta: dict
    fit: PortfolioFit
    causal: pd.DataFrame
    data: Path | None = None
    encoding: str | None = None  # of the data folder's CSV files, when not UTF-8

    @property
    def portfolio(self) -> Portfolio:
        return self.fit.portfolio

    @property
    def estimates(self) -> list:
        """The causal records as :class:`~satprofit.causal.results.CausalEstimate` objects
        (diagnostics as saved, refutation tables not kept)."""
        from satprofit.causal.results import CausalEstimate

        if self.causal is None or len(self.causal) == 0:
            return []
        return [CausalEstimate.from_dict(rec) for rec in self.causal.to_dict("records")]


def load_run(
    folder: str | os.PathLike,
    portfolio: Portfolio | None = None,
    *,
    data: str | os.PathLike | None = None,
    encoding: str | None = None,
) -> Run:
    """Load a run against its data; nothing is written into the run folder.

    Parameters
    ----------
    folder : path
        A run folder written by :func:`save_run` (``satprofit fit``), wherever it now lies.
    portfolio : Portfolio, optional
        The data the run was fitted on.
    data : path, optional
        The data folder, read when ``portfolio`` is not given (runs name their data by
        fingerprint, not by path).
    encoding : str, optional
        Encoding of the data folder's CSV files when they are not UTF-8 (``--encoding``).

    Raises
    ------
    FileNotFoundError
        Not a finished run.
    RunError
        A file of the run is missing, edited, truncated or corrupt (named in the message), the
        data are not the ones the run was fitted on, or neither ``portfolio`` nor ``data`` was
        given.
    """
    folder = Path(folder)
    meta = read_run_meta(folder)
    if portfolio is None:
        if data is None:
            raise RunError(
                f"{folder}: give the data folder the run was fitted on (runs do not record "
                "where their data lie)"
            )
        portfolio = load_portfolio(data, encoding=encoding)
    found = portfolio_fingerprint(portfolio)
    if meta.get("portfolio") != found:
        source = f"the data in {data}" if data is not None else "the portfolio given"
        raise RunError(
            f"{folder} was fitted on other data (fingerprint {meta.get('portfolio')}, "
            f"folder {meta.get('data_name')!r}) than {source} (fingerprint {found}): give the "
            "data folder the run was fitted on, or refit"
        )
    fit = PortfolioFit.load(folder / "fit", portfolio)
    causal = pd.DataFrame(_read_json(folder / "causal.json"))
    return Run(folder, meta, fit, causal, None if data is None else Path(data).resolve(), encoding)
