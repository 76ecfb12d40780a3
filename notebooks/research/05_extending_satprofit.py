# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (satprofit)
#     language: python
#     name: satprofit
# ---

# %% [markdown]
# # Extending satprofit: a new estimator and a new simulated world
#
# satprofit keeps each concept in one registry, and every layer looks things up there
# (ARCHITECTURE.md, "Registries" and "To add X, touch these files"). This notebook shows two
# extension points working, at run time, without editing the package:
#
# 1. a new causal **estimator** (inverse-probability weighting) registered in
#    `satprofit.causal.estimators.ESTIMATORS`: it then answers every question of its
#    treatment kind through the same `estimate` / `compare_methods` API, with the same
#    support checks, refusals, sensitivity figures, refutations and report labels;
# 2. a new simulated **design** (a young firm: two years of exports, rare survey answers)
#    added to `satprofit.simulate.designs.DESIGNS`: the simulator draws its world and computes
#    every estimand's truth by intervention, and the estimator is checked against it.
#
# To make either permanent, the same code goes into the package: the estimator into
# `src/satprofit/causal/estimators/ipw.py` and one `ESTIMATORS.register(...)` line in that
# package's `__init__`; the design into one `DESIGNS` entry in `simulate/designs.py` and its
# plain-language `WORLDS` entry in `causal/assumptions.py`. A new question touches seven
# registries and a new Bayesian model three files, listed in ARCHITECTURE.md;
# `tests/test_registries.py` names any registry a new question id is missing from.

# %% tags=["parameters"]
data = "data/sample"  # portfolio folder; a relative path is looked for from here upwards
seed = 20240601  # seed of the simulated world, cross-fitting and refutations
check_question = "presales_signoff"  # a binary question the new estimator is checked on
n_clients = 300  # clients of the simulated young firm
tolerance_se = 3.0  # "recovered": the estimate lies within this many standard errors of the truth
reps = 5  # simulated portfolios of the young firm in the calibration run at the end

# %%
from dataclasses import replace

import numpy as np
import pandas as pd
from IPython.display import display
from sklearn.linear_model import LogisticRegression

from satprofit.bayes import MODELS
from satprofit.causal import DEFAULT_METHODS, METHODS, compare_methods, estimate
from satprofit.causal.assumptions import ASSUMPTIONS, WORLDS
from satprofit.causal.dag import DESIGNS as QUESTION_DESIGNS
from satprofit.causal.design import covariates
from satprofit.causal.estimators import ESTIMATORS, register
from satprofit.causal.estimators.backdoor import BackdoorEstimator
from satprofit.causal.results import finish
from satprofit.causal.support import require_overlap
from satprofit.features.questions import BUILDERS
from satprofit.io import find_folder, load_portfolio
from satprofit.questions import QUESTION_IDS
from satprofit.reporting.blocks import method_label
from satprofit.simulate import read_truth, simulate_portfolio
from satprofit.simulate.designs import DESIGNS, describe_designs
from satprofit.validation.causal_calibration import calibrate, summarize

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 90)

data_folder = find_folder(data)
portfolio = load_portfolio(data_folder)
truth = read_truth(data_folder)
print(portfolio.describe())

# %% [markdown]
# ## The registries as they are
#
# Every question id of `satprofit.questions` has an entry in each layer's registry: its
# analysis table (`BUILDERS`), its place in the causal graph (`causal.dag.DESIGNS`), its
# default method (`DEFAULT_METHODS`) and the assumptions of its answer (`ASSUMPTIONS`, by
# estimand).

# %%
registries = {
    "features.questions.BUILDERS": BUILDERS,
    "causal.dag.DESIGNS": QUESTION_DESIGNS,
    "causal.estimators.DEFAULT_METHODS": DEFAULT_METHODS,
    "causal.assumptions.ASSUMPTIONS": ASSUMPTIONS,
}
pd.DataFrame(
    {
        name: {q: any(k.split(".")[0] == q for k in registry) for q in QUESTION_IDS}
        for name, registry in registries.items()
    }
)

# %% [markdown]
# The causal estimators, in registry order: each declares the treatment kinds it answers,
# what data it needs and whether it splits a mediated question into direct and indirect
# effects. The methods a question can use, and the labels reports print, are read from here.

# %%
pd.DataFrame(
    [
        {"name": e.name, "label": e.label, "kinds": ", ".join(sorted(e.kinds)), "paths": e.paths}
        for e in ESTIMATORS.values()
    ]
).set_index("name")

# %% [markdown]
# The Bayesian models (`satprofit.bayes.MODELS`: model class and data builder) and the
# simulated worlds (`satprofit.simulate.designs.DESIGNS`), each with its paragraph.

# %%
print({key: model.__name__ for key, (model, _) in MODELS.items()})
describe_designs()

# %% [markdown]
# ## A new estimator: inverse-probability weighting
#
# A back-door estimator writes only `fit_adjusted`: the base class
# (`BackdoorEstimator`) plans the adjustment from the causal graph, retries with fewer
# covariates when the data cannot carry them, and runs the refutations. This one is the
# Hajek weighting estimator of a binary treatment's average effect: a logistic propensity
# model on the graph's confounders, each arm's outcome mean weighted by the inverse of its
# probability, and a standard error from the influence function summed by client (it ignores
# the propensity model's own uncertainty, which for this estimand errs on the wide side).
# `finish` adds the interval, E-value and robustness value every estimate carries, and
# `require_overlap` refuses when the propensities leave no overlap.


# %%
class IPW(BackdoorEstimator):
    """Hajek inverse-probability weighting of a binary treatment (average effect)."""

    name = "ipw"
    label = "inverse-probability weighting (Hajek)"
    short_label = "IPW"
    kinds = frozenset({"binary"})

    def fit_adjusted(self, table, adjustment, plan, *, note, seed):
        d = table.data
        t = d[table.treatment].to_numpy(float)
        y = d[table.outcome].to_numpy(float) * table.outcome_scale
        # the propensity model: the graph's confounders, and any covariate added beyond the
        # plan (the random-common-cause refutation adds one); precision covariates only
        # widen the weights
        confounders = tuple(c for c in adjustment if c in plan.minimal or c not in plan.adjustment)
        cov = covariates(table, confounders, client_fe=False)
        x = (cov.matrix - cov.matrix.mean(axis=0)) / np.maximum(cov.matrix.std(axis=0), 1e-12)
        e = LogisticRegression(C=0.5, max_iter=5000).fit(x, t).predict_proba(x)[:, 1]
        require_overlap(table, e)  # refuses (not_estimable) when weights would explode
        e = np.clip(e, 0.02, 0.98)
        w1, w0 = t / e, (1 - t) / (1 - e)
        mu1, mu0 = (w1 * y).sum() / w1.sum(), (w0 * y).sum() / w0.sum()
        influence = w1 * (y - mu1) / w1.mean() - w0 * (y - mu0) / w0.mean()
        n_clients = int(cov.clusters.max()) + 1
        by_client = np.bincount(cov.clusters, weights=influence)
        se = np.sqrt((by_client**2).sum() * n_clients / (n_clients - 1)) / len(d)
        return finish(
            table.estimand,
            table.unit_label,
            self.name,
            mu1 - mu0,
            se,
            n=len(d),
            n_clusters=n_clients,
            adjustment=cov.used,
            sd_outcome=float(y.std()),
            identified=plan.identified,
            note=note,
        )


_ = register(IPW(), replace=True)  # replace: re-running this cell registers it again

# %% [markdown]
# Registered, it is one of the methods of every binary question, after the default, and its
# label reaches the reports.

# %%
print({q: METHODS[q] for q in QUESTION_IDS if "ipw" in METHODS[q]})
print("report label:", method_label("ipw"), "| short:", method_label("ipw", short=True))

# %% [markdown]
# It answers through the same API as every other method, refutations included: placebo
# treatment, random common cause and client subsets come from the base class.

# %%
ipw = estimate(portfolio, check_question, "ipw", seed=seed, refutations=True)[check_question]
print(ipw.effect_summary() if ipw.ok else ipw.note)
display(ipw.summary().T)
display(ipw.refutations)

# %% [markdown]
# Side by side with the question's other methods (on simulated data, with the truth): the
# naive comparison shows the confounding the adjusted estimates remove.

# %%
methods = compare_methods(portfolio, check_question, seed=seed)
display(methods.summary()[["estimate", "ci_low", "ci_high", "se", "method", "status"]])
fig = methods.plot(truth=truth or None)

# %% [markdown]
# A question the method does not answer is refused up front, naming the methods that do
# (on-time delivery is a continuous treatment):

# %%
try:
    estimate(portfolio, "quality_to_csat", "ipw")
except ValueError as err:
    print(err)

# %% [markdown]
# ## A new simulated world: a young firm
#
# A design changes how the simulated firm works through the switches of
# `satprofit.simulate.designs.Design`. This one has two years of exports and clients who
# rarely answer surveys. Registered in `DESIGNS` (and given its plain words in `WORLDS`, as
# the reports quote designs), it is simulated by name and taken up by the calibration study,
# which runs every design of `DESIGNS`.

# %%
young = replace(
    DESIGNS["default"],
    name="young_firm",
    description="A young firm: two years of exports (8 quarters), and clients answer "
    "surveys after about one finished project in five and rarely otherwise.",
    n_quarters=8,
    responses_per_project=0.2,
    client_responses_rate=0.15,
)
DESIGNS[young.name] = young
WORLDS[young.name] = "a young firm with two years of data and few survey answers"
describe_designs().loc[[young.name]]

# %% [markdown]
# Its world, drawn by the same generator, with the true value of every estimand computed by
# intervention on its structural model.

# %%
sim = simulate_portfolio(n_clients, design=young.name, seed=seed)
print(sim.portfolio.describe())
sim.truth.summary()

# %% [markdown]
# ## The new estimator against the truth of the new world
#
# Every method of the question on the young firm's data, beside the truth. The estimate
# counts as recovered when it lies within `tolerance_se` standard errors of the truth
# (`z` is the distance in standard errors); `covered` says whether the 95 % interval holds
# the truth.

# %%
on_young = compare_methods(sim.portfolio, check_question, seed=seed)
true_effect = sim.truth[check_question]
check = on_young.summary()[["method", "estimate", "se", "ci_low", "ci_high", "status"]].assign(
    truth=true_effect
)
check["z"] = (check["estimate"] - true_effect) / check["se"]
check["covered"] = (check["ci_low"] <= true_effect) & (true_effect <= check["ci_high"])
check["recovered"] = check["z"].abs() <= tolerance_se
check.set_index("method")

# %%
row = check.set_index("method").loc["ipw"]
print(
    f"ipw on {young.name}: estimate {row['estimate']:.3f} (standard error {row['se']:.3f}) "
    f"against a truth of {true_effect:.3f}: "
    f"{'recovered' if row['recovered'] else 'NOT recovered'} within {tolerance_se:g} "
    "standard errors"
)
fig = on_young.plot(truth=sim.truth.values)

# %% [markdown]
# One portfolio is one draw. The calibration study (`satprofit.validation.causal_calibration`)
# repeats it: `reps` portfolios of the young firm, every question with its default method,
# coverage of the 95 % intervals and bias relative to the truth. It finds the new design by
# name, like every other.

# %%
rows = calibrate([young.name], n_reps=reps, n_clients=n_clients, seed0=seed, n_boot=50)
summarize(rows)[["reps", "answered", "truth", "estimate", "coverage", "rel_bias", "rel_width"]]
