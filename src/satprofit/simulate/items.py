r"""Multi-item survey answers for the simulator's latent satisfaction drivers (``survey_items``).

Each survey response carries five latent constructs, built from the parts of its latent
satisfaction :math:`\eta_r` (:mod:`satprofit.simulate.satisfaction`):

- ``QUAL`` delivery quality: the project's on-time and defects term (0 without a project);
- ``COMM`` communication: the status-report term;
- ``REL`` relationship: the client's part plus recent escalations;
- ``SAT`` satisfaction: :math:`\eta_r + \varepsilon_r`, the latent behind csat, so
  :math:`\text{SAT}^* = \text{QUAL}^* + \text{COMM}^* + \text{REL}^* + \varepsilon_r` exactly;
- ``LOY`` loyalty: :math:`\eta_r + \varepsilon^{nps}_r`, the latent behind nps.

Each construct is standardized over the responses (:math:`z`), and item :math:`j` of loading
:math:`\lambda_j` is

.. math::

   x_{rj} = \text{clip}\big(\text{round}(m + s\,(\lambda_j z_r + \sqrt{1-\lambda_j^2}\,e_{rj})),
   \text{min}, \text{max}\big),\quad e_{rj} \sim N(0, 1),

so :math:`\lambda_j` is the item's standardized loading before rounding and clipping. The noise
:math:`e` comes from its own stream, ``numpy.random.default_rng([seed, 13])``: the world's
generator is untouched and every other table stays as it was. The construct map is the shipped
spec ``satprofit_survey`` (``satprofit/survey/specs/satprofit_survey.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from satprofit.simulate.tables import Latent

#: Second word of the items' seed sequence (issue 13): ``default_rng([seed, ITEM_STREAM])``.
ITEM_STREAM = 13


@dataclass(frozen=True)
class Construct:
    """One simulated construct: its items, their loadings and their answer scale."""

    items: tuple[str, ...]
    loadings: tuple[float, ...]
    scale_min: int = 0
    scale_max: int = 10
    spread: float = 2.0


#: Construct -> items and true loadings (mixed on purpose: one weak item, one 1..5 scale).
CONSTRUCTS: dict[str, Construct] = {
    "QUAL": Construct(("qual1", "qual2", "qual3"), (0.85, 0.80, 0.70)),
    "COMM": Construct(("comm1", "comm2", "comm3"), (0.85, 0.75, 0.60)),
    "REL": Construct(("rel1", "rel2", "rel3"), (0.80, 0.80, 0.75), 1, 5, 0.9),
    "SAT": Construct(("sat1", "sat2", "sat3"), (0.90, 0.85, 0.80)),
    "LOY": Construct(("loy1", "loy2", "loy3"), (0.85, 0.80, 0.75)),
}

#: The structural paths of the shipped spec: cause -> effects.
PATHS: dict[str, tuple[str, ...]] = {
    "QUAL": ("SAT",),
    "COMM": ("SAT",),
    "REL": ("SAT",),
    "SAT": ("LOY",),
}


def construct_latents(latent: Latent) -> pd.DataFrame:
    """The unstandardized construct values of every response, in ``surveys`` row order."""
    rs = latent.responses
    eta = rs["eta"].to_numpy(float)
    return pd.DataFrame(
        {
            "QUAL": rs["eta_quality"].to_numpy(float),
            "COMM": rs["eta_reports"].to_numpy(float),
            "REL": rs["eta_relationship"].to_numpy(float),
            "SAT": eta + rs["eps"].to_numpy(float),
            "LOY": eta + rs["eps_nps"].to_numpy(float),
        }
    )


def _standardize(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _structural_regressions(latent: Latent):
    """Per effect construct of :data:`PATHS` (in :data:`CONSTRUCTS` order): its name, its causes,
    and the standardized latent causes (X) and effect (y) of every response."""
    lat = construct_latents(latent)
    z = lat.apply(lambda s: pd.Series(_standardize(s.to_numpy()), index=s.index))
    for target in sorted({t for ts in PATHS.values() for t in ts}, key=list(CONSTRUCTS).index):
        causes = [c for c, ts in PATHS.items() if target in ts]
        yield target, causes, z[causes].to_numpy(), z[target].to_numpy()


def build_survey_items(latent: Latent, response_ids, seed: int) -> pd.DataFrame:
    """The ``survey_items`` table: every item of :data:`CONSTRUCTS` for every response.

    Parameters
    ----------
    latent : Latent
        The world's hidden state (its responses, in ``surveys`` row order).
    response_ids : sequence of str
        ``surveys.response_id``, aligned with ``latent.responses``.
    seed : int
        The simulation's seed; the noise is drawn from ``default_rng([seed, 13])``.

    Returns
    -------
    DataFrame
        Long format, by response then item: response_id, item, value, scale_min, scale_max.
    """
    ids = np.asarray(response_ids, dtype=object)
    lat = construct_latents(latent)
    if len(lat) != len(ids):
        raise ValueError(f"{len(ids)} response ids for {len(lat)} latent responses")
    rng = np.random.default_rng([seed, ITEM_STREAM])
    columns, names, lows, highs = [], [], [], []
    for name, con in CONSTRUCTS.items():
        z = _standardize(lat[name].to_numpy())
        mid = (con.scale_min + con.scale_max) / 2
        for item, lam in zip(con.items, con.loadings, strict=True):
            noise = rng.standard_normal(len(z))
            x = np.round(mid + con.spread * (lam * z + np.sqrt(1 - lam**2) * noise))
            columns.append(np.clip(x, con.scale_min, con.scale_max) + 0.0)  # no -0.0
            names.append(item)
            lows.append(con.scale_min)
            highs.append(con.scale_max)
    n, k = len(ids), len(names)
    return pd.DataFrame(
        {
            "response_id": np.repeat(ids, k),
            "item": np.tile(np.array(names, dtype=object), n),
            "value": np.column_stack(columns).ravel() if n else np.zeros(0),
            "scale_min": np.tile(np.array(lows, dtype=float), n),
            "scale_max": np.tile(np.array(highs, dtype=float), n),
        }
    )


def survey_truth(latent: Latent) -> dict:
    """The items' truth for ``truth.json``: loadings and the constructs' structural relations.

    Returns
    -------
    dict
        ``loadings`` (item -> generating standardized loading, before rounding and clipping),
        ``constructs`` (construct -> items), ``paths`` (one record per path of :data:`PATHS`:
        ``standardized``, the OLS coefficient of the standardized latent effect on the
        standardized latent causes of this world's responses, without measurement error;
        ``generating``, the coefficient on the unstandardized scale: 1 for the drivers of SAT,
        whose latent is their sum plus the csat noise, and ``null`` for SAT -> LOY, which share
        eta but are not generated one from the other) and ``r_squared`` of those regressions.
    """
    paths, r2 = [], {}
    for target, causes, X, y in _structural_regressions(latent):
        coef = np.linalg.lstsq(X, y, rcond=None)[0] if len(y) else np.full(len(causes), np.nan)
        resid = y - X @ coef
        r2[target] = float(1 - resid.var() / y.var()) if len(y) and y.var() > 0 else float("nan")
        for cause, b in zip(causes, coef, strict=True):
            paths.append(
                {
                    "from": cause,
                    "to": target,
                    "standardized": float(b),
                    "generating": 1.0 if target == "SAT" else None,
                }
            )
    return {
        "spec": "satprofit_survey",
        "constructs": {name: list(con.items) for name, con in CONSTRUCTS.items()},
        "loadings": {
            item: lam
            for con in CONSTRUCTS.values()
            for item, lam in zip(con.items, con.loadings, strict=True)
        },
        "paths": paths,
        "r_squared": r2,
        "note": (
            "loadings: generating standardized loadings of the continuous items (rounding and "
            "clipping attenuate them slightly); paths.standardized: OLS of the standardized "
            "latent constructs of this world's responses (no measurement error)"
        ),
    }


def multilevel_path_truth(latent: Latent) -> pd.DataFrame:
    """The latent paths a model with client random intercepts estimates, fitted on the truth.

    ``truth.json``'s ``standardized`` paths are pooled OLS coefficients: between- and
    within-client variation together. A path model with a client effect on each endogenous
    construct (:func:`satprofit.survey.fit_bayes_paths` on a portfolio) estimates the slope of
    a random-intercept regression instead, which leans on within-client variation. In this
    simulator the two agree for the drivers of SAT (SAT is their sum plus noise, the same slope
    within and between clients) and differ for SAT -> LOY: SAT and LOY share the latent
    :math:`\\eta`, whose client part moves them together between clients one for one, while
    within a client SAT's own noise attenuates the slope.

    Returns
    -------
    DataFrame
        One row per path of :data:`PATHS` (columns ``from``, ``to``): ``pooled`` (as in
        ``truth.json``), ``random_intercept`` (statsmodels MixedLM by REML of the standardized
        latent effect on its standardized latent causes, one intercept per client) and
        ``within`` (client fixed effects), all on the scale of the constructs' total standard
        deviations (the path models' standardized scale).
    """
    import warnings

    import statsmodels.api as sm

    clients = latent.responses["client"].to_numpy()
    rows = []
    for target, causes, X, y in _structural_regressions(latent):
        pooled = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X]), y, rcond=None)[0][1:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary warnings when a client variance is ~0
            mixed = sm.MixedLM(y, sm.add_constant(X), groups=clients).fit(reml=True)
        demean = pd.DataFrame(np.column_stack([y, X])).groupby(clients).transform("mean")
        Xw, yw = X - demean.to_numpy()[:, 1:], y - demean.to_numpy()[:, 0]
        within = np.linalg.lstsq(Xw, yw, rcond=None)[0]
        for i, cause in enumerate(causes):
            rows.append(
                {
                    "from": cause,
                    "to": target,
                    "pooled": float(pooled[i]),
                    "random_intercept": float(np.asarray(mixed.fe_params)[i + 1]),
                    "within": float(within[i]),
                }
            )
    return pd.DataFrame(rows)
