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
# # The Bayesian models
#
# `satprofit.bayes` answers the satisfaction and repeat-business questions with two PyMC
# models with partial pooling: a hierarchical ordinal model of each survey response's csat,
# and a quarterly model of each client's repeat deals (how many, what each is worth) and their
# margin; the path from delivery quality through satisfaction to repeat business is read off
# both posteriors. This
# notebook follows the Bayesian workflow: what the priors imply before seeing the data, the
# fit, the convergence diagnostics (R-hat, effective sample size, divergences, trace and rank
# plots), whether the fitted model reproduces the data, and the answers to the questions.
#
# At the defaults (4 chains of 1,000 draws after 1,000 tuning steps) the 80-client sample
# takes a minute or two on two cores; lower `draws` and `tune` for a quick look, knowing the
# convergence gate will then fail and say so.

# %% tags=["parameters"]
data = "data/sample"  # portfolio folder; a relative path is looked for from here upwards
seed = 20240601  # seed of the sampler, the prior and the posterior predictive draws
draws = 1000  # posterior draws per chain
tune = 1000  # tuning steps per chain
chains = 4  # chains (R-hat needs several)
cores = 0  # processes sampling the chains; 0: one per chain, up to the number of CPUs
prior_samples = 500  # prior predictive draws
run_out = ""  # a folder to save the fit in as a run (for 04_what_if, satprofit report); "": none

# %%
import logging
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
from IPython.display import display

from satprofit.bayes import MODELS, ConvergenceWarning
from satprofit.constants import DIVERGENCES_MAX, ESS_MIN, RHAT_MAX
from satprofit.io import find_folder, load_portfolio
from satprofit.runs import fit_portfolio, save_run
from satprofit.simulate import read_truth

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
# PyMC logs every sampler start (its logger is set up when pymc is imported, hence after the
# import); pip's PyTensor warns on every fit that it found no BLAS (it then uses its own C
# code: slower, same draws); a fit that fails the convergence gate warns, and the
# diagnostics section below shows the gate's verdict and the failing parameters instead.
logging.getLogger("pymc").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
warnings.filterwarnings("ignore", category=ConvergenceWarning)
print(f"PyMC {pm.__version__}, ArviZ {az.__version__}")

data_folder = find_folder(data)
portfolio = load_portfolio(data_folder)
truth = read_truth(data_folder)  # empty for a firm's own export
print(portfolio.describe())

# %% [markdown]
# ## The models and their priors
#
# `satprofit.bayes.MODELS` registers each model with the function building its data; fitting,
# saving and loading iterate over it. The default model configuration holds the prior scales
# (standard deviations of the coefficients, group effects and cut points), each explained in
# the model's docstring.

# %%
pd.DataFrame({key: model.default_model_config for key, (model, _) in MODELS.items()})

# %% [markdown]
# ## Prior predictive check
#
# What the priors say before seeing any outcome: the share of each csat score (1 to 5) the
# satisfaction model's priors imply, and quantiles over prior draws of the share of quarters
# with repeat business, the median log value of a repeat deal and the mean delivered margin.
# Sensible priors leave the data's scale plausible without making extreme values likely.
# A model whose data are too thin is skipped here, as in the fit.

# %%
prior_checks = {}
for key, (model, build_data) in MODELS.items():
    try:
        prior_checks[key] = model().prior_predictive(
            build_data(portfolio), samples=prior_samples, random_seed=seed
        )
    except ValueError as err:  # the data builders' way of saying the data are too thin
        prior_checks[key] = f"skipped: {err}"
    print(f"{key}:")
    display(prior_checks[key])

# %% [markdown]
# ## Fit
#
# `fit_portfolio` fits every model of `MODELS` in isolation (a model whose data are too thin
# is skipped with its reason, one that fails is recorded, the others are kept), derives the
# quality -> satisfaction -> repeat-business path from the two posteriors, and joins the
# causal estimate of pre-sales sign-off that the what-if engine's sign-off lever needs.

# %%
fit = fit_portfolio(
    portfolio, draws=draws, tune=tune, chains=chains, cores=cores or None, random_seed=seed
)
print("fitted:", ", ".join(fit.results), "| skipped:", fit.skipped, "| failed:", fit.failed)

# %% [markdown]
# ## Convergence diagnostics
#
# Every fit passes through a convergence gate: R-hat at most the threshold below, bulk and
# tail effective sample size at least the minimum for every parameter, and no divergent
# transitions. A model that fails it is kept with `converged=False` (reports then say
# "provisional"); `failing` names its parameters.

# %%
print(f"gate: R-hat <= {RHAT_MAX}, ESS >= {ESS_MIN}, divergences <= {DIVERGENCES_MAX}")
fit.diagnostics()

# %% [markdown]
# The same per parameter (the worst element of each vector parameter): where the sampler
# struggles.

# %%
models = {key: result for key, result in fit.results.items() if key in MODELS}
for key, result in models.items():
    print(f"{key} ({result.model_name}): {result.diagnostics['divergences']} divergences")
    display(result.diagnostics["table"])

# %% [markdown]
# ArviZ's summary of the satisfaction model's coefficients (posterior mean, standard
# deviation, 94 % HDI, MCSE, ESS and R-hat), labelled by predictor.

# %%
if "satisfaction" in models:
    display(az.summary(models["satisfaction"].idata, var_names=["beta", "cutpoints"]))

# %% [markdown]
# Trace plots of each model's main parameters: the chains should overlap and look like
# stationary noise, without trends or stuck stretches.

# %%
for key, result in models.items():
    names = result.config["summary_vars"][:3]
    axes = az.plot_trace(
        result.idata, var_names=names, compact=True, figsize=(12, 2.6 * len(names))
    )
    axes[0, 0].figure.suptitle(key)
    axes[0, 0].figure.tight_layout()

# %% [markdown]
# Rank plots of the group-level scales, the parameters hierarchical models find hardest: with
# well-mixed chains each chain's ranks are uniform (flat bars).

# %%
for key, result in models.items():
    scales = [v for v in result.config["summary_vars"] if v.startswith("sigma")][:3]
    axes = np.atleast_1d(az.plot_rank(result.idata, var_names=scales, figsize=(12, 3.5)))
    axes.ravel()[0].figure.suptitle(key)

# %% [markdown]
# ## Posterior predictive check
#
# Data simulated from the fitted models beside the data: the share of each csat score, and
# for repeat business the share of quarters with some, the deals per quarter and their
# variance / mean (more dispersed data than predicted would make the intervals too narrow),
# the median log value of a deal and the mean delivered margin. Large gaps point to a part of
# the data the model does not capture.

# %%
for key, result in models.items():
    print(f"{key}:")
    display(result.model.posterior_predictive(result, result.data, random_seed=seed))

# %% [markdown]
# ## The answers
#
# Each question id the models answer, with its posterior median, 95 % interval and whether
# the model behind it passed the convergence gate; an estimand the data barely inform
# (posterior mostly prior) is `not_estimable`. On simulated data the true effects stand
# beside them.

# %%
answers = fit.summary()
answers["truth"] = answers.index.map(truth)
answers[["estimate", "ci_low", "ci_high", "truth", "unit", "converged", "status", "reason"]]

# %% [markdown]
# The same as a forest plot per model.

# %%
for result in fit.results.values():
    result.plot_effects()

# %% [markdown]
# ## Saving the fit
#
# With `run_out` set, the fit is saved as a run folder, as `satprofit fit --out` saves one
# (the causal estimates of every question and method are computed and saved beside it): the
# what-if notebook (`run` parameter) and `satprofit report --run` use it without refitting.

# %%
print(f"run saved in {save_run(run_out, data_folder, fit)}" if run_out else "not saved")
