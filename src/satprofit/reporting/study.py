"""A survey case study: a multi-item survey file (the ECSI data by default) measured, modelled
and checked, rendered by the report pipeline (``satprofit survey-report``).

The notebook ``src/satprofit/reporting/templates/notebooks/ecsi_case_study.py`` receives the path of a JSON :class:`StudyConfig`
(code-written, like the reports' configs) and calls :func:`open_study` once; each later cell shows
one section: the data, the measurement checks, the PLS path model, the check against R plspm's
published estimates (when reference files are given) and the Bayesian path model (when asked
for, and available).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.constants import DEFAULT_SEED
from satprofit.reporting import blocks as B
from satprofit.reporting.config import read_json_config, write_json_config
from satprofit.reporting.survey_blocks import construct_label

__all__ = [
    "ECSI_DATA",
    "ECSI_REFERENCE",
    "STUDY_TEMPLATE",
    "StudyConfig",
    "SurveyStudy",
    "data_blocks",
    "driver_blocks",
    "load_study_config",
    "open_study",
    "reference_blocks",
    "bayes_blocks",
    "method_agreement",
    "reference_table",
    "render_study",
]

_ROOT = Path(__file__).resolve().parents[3]
#: The ECSI survey shipped with the repository (see data/external/README.md).
ECSI_DATA = _ROOT / "data" / "external" / "ecsi_satisfaction.csv"
#: R plspm's estimates on it (centroid scheme, centred items).
ECSI_REFERENCE = _ROOT / "data" / "external" / "ecsi_plspm"
#: The notebook template of the case study.
STUDY_TEMPLATE = "ecsi_case_study.py"


@dataclass(frozen=True)
class StudyConfig:
    """What a survey case study renders.

    Attributes
    ----------
    data : str
        Survey file (a row per respondent, one column per item), absolute path.
    spec : str
        Construct map: a YAML file or a shipped spec's name (``ecsi``).
    n_boot : int
        Bootstrap resamples of the PLS intervals.
    seed : int
    reference : str or None
        Folder with R plspm's ``effects.csv`` and ``inner-summary.csv`` for these data and
        spec, fitted with the centroid scheme on centred items (as ``data/external/ecsi_plspm``).
    bayes_draws : int
        Draws (and tuning steps) per chain of the Bayesian ordinal path model; 0 leaves it out.
    bayes_chains : int
        Its chains.
    encoding : str or None
    """

    data: str
    spec: str = "ecsi"
    n_boot: int = 500
    seed: int = DEFAULT_SEED
    reference: str | None = None
    bayes_draws: int = 0
    bayes_chains: int = 4
    encoding: str | None = None

    def write(self, path: str | os.PathLike) -> Path:
        """Write the config as JSON (atomically); returns the path."""
        return write_json_config(self, path)


def load_study_config(path: str | os.PathLike) -> StudyConfig:
    """Read a config written by :meth:`StudyConfig.write`."""
    return read_json_config(StudyConfig, path, "study")


@dataclass
class SurveyStudy:
    """Everything the case study shows.

    Attributes
    ----------
    config : StudyConfig
    spec : SurveySpec
    data : SurveyData
    pls : PLSResult
        Mode A, path weighting, centred items, with bootstrap intervals.
    measurement : MeasurementResult
    reference : dict of DataFrame or None
        R plspm's ``effects`` and ``inner_summary`` tables.
    reference_fit : PLSResult or None
        satprofit with the reference's settings (centroid scheme), no bootstrap.
    bayes : BayesPathResult or None
        The Bayesian ordinal path model (``config.bayes_draws > 0``).
    drivers : dict of KeyDrivers
        Key drivers of the outcome constructs (the final ones and those with a path into them)
        that have at least two direct causes, keyed by construct (SAT and LOY on ECSI).
    notes : list of str
    """

    config: StudyConfig
    spec: object
    data: object
    pls: object
    measurement: object
    reference: dict | None = None
    reference_fit: object = None
    bayes: object = None
    drivers: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def open_study(config_path: str | os.PathLike) -> SurveyStudy:
    """Read the config, the survey and the spec, and fit what the study shows.

    Raises
    ------
    SpecError, SurveyDataError
        The spec or the data break their rules (the message names file, column and rows).
    """
    import logging
    import warnings

    from satprofit.survey import fit_pls, load_spec, measure, read_survey

    warnings.filterwarnings("ignore")
    for name in ("pymc", "pytensor", "arviz"):
        logging.getLogger(name).setLevel(logging.ERROR)
    B.theme()
    config = load_study_config(config_path)
    spec = load_spec(config.spec)
    data = read_survey(config.data, spec, encoding=config.encoding)
    pls = fit_pls(data, spec, n_boot=config.n_boot, seed=config.seed)
    study = SurveyStudy(
        config, spec, data, pls, measure(data, spec, pls=pls), notes=list(data.notes)
    )
    if config.reference:
        folder = Path(config.reference)
        study.reference = {
            "effects": pd.read_csv(folder / "effects.csv", index_col=0),
            "inner_summary": pd.read_csv(folder / "inner-summary.csv", index_col=0),
        }
        study.reference_fit = fit_pls(data, spec, n_boot=0, scheme="centroid", scaled=False)
    study.drivers = _key_drivers(study)
    if config.bayes_draws > 0:
        from satprofit.survey import fit_bayes_paths

        study.bayes = fit_bayes_paths(
            data,
            spec,
            draws=config.bayes_draws,
            chains=config.bayes_chains,
            seed=config.seed,
        )
    return study


def _key_drivers(study: SurveyStudy) -> dict:
    """Key drivers of the outcomes: the spec's final constructs (no path out) and the
    constructs with a direct path into them, each when it has at least two direct causes."""
    from satprofit.survey.drivers import survey_key_drivers

    c, spec = study.config, study.spec
    final = [n for n in spec.endogenous if not any(a == n for a, _ in spec.paths)]
    near = {a for n in final for a in spec.causes(n)}
    out = {}
    for name in spec.endogenous:
        if (name in final or name in near) and len(spec.causes(name)) >= 2:
            out[name] = survey_key_drivers(
                c.data, study.spec, name, n_boot=c.n_boot, seed=c.seed, encoding=c.encoding
            )
    return out


def driver_blocks(study: SurveyStudy) -> list:
    """The key drivers of each outcome construct (all associational on a survey file alone)."""
    from satprofit.reporting.survey_blocks import key_driver_blocks

    if not study.drivers:
        return [B.paragraph("No construct has two or more drivers in the spec.")]
    out = []
    for name, kd in study.drivers.items():
        label = construct_label(study.spec, name)
        out.append(B.heading(f"Drivers of {label}", 3))
        out.extend(key_driver_blocks(kd, label))
    return out


def data_blocks(study: SurveyStudy) -> list:
    """What the survey is: respondents, constructs and their items, answer distribution."""
    items = study.data.items
    rows = []
    for c in study.spec.constructs:
        values = items[list(c.items)].to_numpy(float)
        rows.append(
            {
                "Construct": construct_label(study.spec, c.name),
                "Items": ", ".join(c.items),
                "Mean answer": float(np.mean(values)),
                "Lowest item mean": float(values.mean(axis=0).min()),
                "Highest item mean": float(values.mean(axis=0).max()),
            }
        )
    lo, hi = float(np.min(items.to_numpy(float))), float(np.max(items.to_numpy(float)))
    out = [
        B.paragraph(
            f"{B.plural(len(items), 'respondent')} answered {len(study.spec.items)} questions "
            f"(answers from {lo:g} to {hi:g}), grouped into {len(study.spec.constructs)} "
            "constructs: each construct is something a respondent cannot be asked directly "
            "(image, expectations, quality, value, satisfaction, loyalty), measured by several "
            "questions that should move together."
        ),
        B.table(
            pd.DataFrame(rows),
            caption="Constructs and their questions",
            formats={
                k: "{:.1f}".format for k in ("Mean answer", "Lowest item mean", "Highest item mean")
            },
        ),
    ]
    if study.notes:
        out.append(B.bullets(study.notes))
    return out


def reference_table(study: SurveyStudy) -> pd.DataFrame:
    """satprofit against R plspm for every path coefficient and R-squared.

    satprofit is fitted with the reference's settings (centroid scheme, centred items) and
    with its default (path weighting); the differences are to plspm.

    Returns
    -------
    DataFrame
        ``quantity`` (``path A -> B`` or ``R-squared X``), ``plspm``, ``satprofit (centroid)``,
        ``difference (centroid)``, ``satprofit (path weighting)``, ``difference (path
        weighting)``.
    """
    if study.reference is None:
        return pd.DataFrame()
    eff = study.reference["effects"]
    direct = eff[eff["direct"] != 0]
    same = study.reference_fit.effects.set_index(["from", "to"])
    ours = study.pls.effects.set_index(["from", "to"])
    rows = []
    for _, r in direct.iterrows():
        key = (r["from"], r["to"])
        rows.append(
            (
                f"path {key[0]} -> {key[1]}",
                r["direct"],
                same.loc[key, "direct"],
                ours.loc[key, "direct"],
            )
        )
    inner = study.reference["inner_summary"]
    for name, r in inner[inner["type"] == "Endogenous"].iterrows():
        rows.append(
            (
                f"R-squared {name}",
                r["r_squared"],
                study.reference_fit.r_squared[name],
                study.pls.r_squared[name],
            )
        )
    t = pd.DataFrame(
        rows, columns=["quantity", "plspm", "satprofit (centroid)", "satprofit (path weighting)"]
    )
    t.insert(3, "difference (centroid)", t["satprofit (centroid)"] - t["plspm"])
    t["difference (path weighting)"] = t["satprofit (path weighting)"] - t["plspm"]
    return t


def reference_blocks(study: SurveyStudy) -> list:
    """The check against R plspm's published estimates, in words and a table."""
    t = reference_table(study)
    if t.empty:
        return [B.paragraph("No reference estimates were given for these data.")]
    worst_same = float(t["difference (centroid)"].abs().max())
    worst_path = float(t["difference (path weighting)"].abs().max())
    return [
        B.paragraph(
            "R's plspm package publishes estimates of this model on these data, fitted with its "
            "default centroid scheme on centred answers. With the same settings satprofit "
            f"reproduces every path coefficient and R-squared to {worst_same:.1e}; with its "
            f"default path weighting (used everywhere else in this study) the figures differ "
            f"from plspm's by at most {worst_path:.4f}."
        ),
        B.table(
            t,
            caption="satprofit against R plspm: path coefficients and R-squared",
            formats={
                "plspm": "{:.4f}".format,
                "satprofit (centroid)": "{:.4f}".format,
                "difference (centroid)": "{:.1e}".format,
                "satprofit (path weighting)": "{:.4f}".format,
                "difference (path weighting)": "{:+.4f}".format,
            },
        ),
    ]


def render_study(config: StudyConfig, out_dir: str | os.PathLike, *, pdf: bool = False):
    """Render the case study into ``out_dir/<name>.html`` through the report pipeline.

    Parameters
    ----------
    config : StudyConfig
    out_dir : path
        Report folder; the executed notebook goes to its ``audit`` sub-folder (never shipped).
    pdf : bool
        Also print a PDF (needs Chromium).

    Returns
    -------
    RenderResult
    """
    from satprofit.reporting.batch import notebook_path
    from satprofit.reporting.render import render_notebook, safe_filename
    from satprofit.survey import load_spec

    out_dir = Path(out_dir)
    spec = load_spec(config.spec)  # a bad spec fails here, before a kernel starts
    stem = safe_filename(Path(config.data).stem, "survey-study")
    audit = out_dir / "audit"
    audit.mkdir(parents=True, exist_ok=True)
    cfg = config.write(audit / f"{stem}.json")
    return render_notebook(
        notebook_path(STUDY_TEMPLATE),
        out_dir / f"{stem}.html",
        title=f"Survey case study: {spec.name}",
        audit_dir=audit,
        params={"config_path": str(cfg.resolve()), "seed": int(config.seed)},
        pdf=pdf,
    )


def method_agreement(study: SurveyStudy) -> tuple[pd.DataFrame, dict]:
    """PLS and the Bayesian path model side by side, path by path.

    Returns
    -------
    (DataFrame, dict)
        Per path: both estimates with intervals and whether their signs agree; and the
        summary ``{"same_sign": k of n paths, "sign_agree_clear": whether every path whose
        PLS interval excludes 0 has the same sign, "spearman": rank correlation of the
        estimates}``.
    """
    from scipy.stats import spearmanr

    pls = study.pls.summary().reset_index(drop=True)
    bay = study.bayes.summary().reset_index(drop=True).set_index(["from", "to"])
    rows = []
    for _, r in pls.iterrows():
        b = bay.loc[(r["from"], r["to"])]
        clear = bool(r["ci_low"] > 0 or r["ci_high"] < 0)
        rows.append(
            {
                "Path": f"{r['from']} -> {r['to']}",
                "PLS": r["estimate"],
                "PLS interval": f"{r['ci_low']:.2f} to {r['ci_high']:.2f}",
                "Bayesian": b["estimate"],
                "Bayesian interval": f"{b['ci_low']:.2f} to {b['ci_high']:.2f}",
                "Same sign": bool(np.sign(r["estimate"]) == np.sign(b["estimate"])),
                "PLS clearly non-zero": clear,
            }
        )
    t = pd.DataFrame(rows)
    rho = float(spearmanr(t["PLS"], t["Bayesian"]).statistic) if len(t) > 2 else float("nan")
    clear = t[t["PLS clearly non-zero"]]
    summary = {
        "same_sign": int(t["Same sign"].sum()),
        "paths": len(t),
        "sign_agree_clear": bool(clear["Same sign"].all()),
        "spearman": rho,
    }
    return t, summary


def bayes_blocks(study: SurveyStudy) -> list:
    """The Bayesian ordinal path model beside PLS: agreement, diagnostics, its paths."""
    from satprofit.reporting.survey_blocks import path_blocks

    if study.bayes is None:
        return [
            B.paragraph(
                "The Bayesian path model was not fitted for this rendering (its draws were set "
                "to 0); `satprofit survey-report --bayes-draws 2500` includes it (about 3 minutes on "
                "ECSI, 4 chains on 2 cores)."
            )
        ]
    b = study.bayes
    table, agree = method_agreement(study)
    d = b.diagnostics
    gate = (
        "The sampler passed its convergence checks"
        if b.converged
        else "The sampler did NOT pass its convergence checks; read these figures as provisional"
    )
    out = [
        B.paragraph(
            "PLS treats each construct as a weighted sum of its answers. The Bayesian model "
            "instead treats each construct as an unobserved quantity that every answer measures "
            "with error, and each answer as an ordered category (a 9 is more than an 8, not "
            "nine times a 1), so the paths are free of measurement error and come with "
            f"posterior intervals. {gate} (largest R-hat {d['rhat_max']:.3f}, smallest "
            f"effective sample size {d['ess_min']:,.0f}, {d['divergences']} divergent "
            f"transitions). The two methods agree in sign on {agree['same_sign']} of "
            f"{agree['paths']} paths"
            + (
                ", including every path PLS finds clearly non-zero"
                if agree["sign_agree_clear"]
                else "; some path PLS finds clearly non-zero changes sign"
            )
            + f", and rank the paths alike (rank correlation {agree['spearman']:.2f}). "
            "Measurement error makes PLS paths smaller than the latent ones, so the Bayesian "
            "paths are expected to be somewhat larger."
        ),
        B.table(
            table,
            caption="PLS and the Bayesian ordinal path model, path by path (standardized)",
            formats={"PLS": "{:+.2f}".format, "Bayesian": "{:+.2f}".format},
        ),
    ]
    out.extend(path_blocks(b, method="Bayesian ordinal path model"))
    if b.notes:
        out.append(B.bullets(b.notes))
    return out
