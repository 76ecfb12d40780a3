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
# # The causal questions
#
# satprofit asks seven questions of a firm's data (QUESTIONS.md): does involving delivery in
# pre-sales make delivery better, does delivery quality raise satisfaction, and so on to
# whether rewarding delivery for add-on sales brings leads. This notebook walks through how
# `satprofit.causal` answers them: the domain graph it assumes, the adjustment set each
# question gets from it, the estimates with their intervals, how strong an unmeasured
# confounder would have to be to explain them away, refutation checks, and the assumptions
# that no data can check. A question the data cannot answer is refused with its reason,
# never guessed.

# %% tags=["parameters"]
data = "data/sample"  # portfolio folder; a relative path is looked for from here upwards
seed = 20240601  # seed of cross-fitting splits, bootstraps and refutations
question = "sales_in_escalations"  # the question whose methods are compared side by side
n_boot = 200  # bootstrap replicates (mediation, difference-in-differences)

# %%
import pandas as pd
from IPython.display import display

from satprofit.causal import (
    compare_methods,
    draw_dag,
    estimate_all,
    identification_table,
    plot_event_study,
    plot_overlap,
)
from satprofit.causal.assumptions import assumptions_table, calibration_evidence
from satprofit.io import find_folder, load_portfolio
from satprofit.questions import QUESTIONS
from satprofit.simulate import read_truth

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 80)

data_folder = find_folder(data)
portfolio = load_portfolio(data_folder)
truth = read_truth(data_folder)  # empty for a firm's own export; simulated data carry it
print(portfolio.describe())
print("true effects known (simulated data):", bool(truth))

# %% [markdown]
# ## The questions
#
# Each question has a unit of analysis, a treatment (a yes/no, a quantity or a policy) and an
# outcome; its estimand is the effect of a stated step of the treatment ("+d").

# %%
pd.DataFrame(
    [
        {
            "question": q.id,
            "title": q.title,
            "unit": q.unit_of_analysis,
            "treatment": f"{q.treatment} ({q.treatment_kind})",
            "outcome": q.outcome,
            "estimands": ", ".join(q.estimand_ids),
        }
        for q in QUESTIONS
    ]
).set_index("question")

# %% [markdown]
# ## The domain graph
#
# One causal graph covers every question (`satprofit.causal.dag`): client size, tenure, the
# account manager and the delivery team's skill drive both the levers and the outcomes, and
# the relationship's health (latent, grey) drives satisfaction and repeat business alike.
# The treatment and outcome of the question compared below are highlighted.

# %%
fig = draw_dag(highlight=question)

# %% [markdown]
# ## Adjustment sets
#
# For each question the back-door criterion (networkx d-separation on the graph without the
# treatment's outgoing edges) gives the set of nodes to adjust for, the table columns that
# measure them and the confounders alone (without precision covariates). Client fixed effects
# stand in for the latent relationship health where a client has several units.

# %%
identification_table()

# %% [markdown]
# ## Estimates
#
# Every question with its default method (`satprofit.causal.DEFAULT_METHODS`), refutations
# included. Each estimand is computed in isolation: `status` is `ok`, `not_estimable` (the
# data cannot support it: too few units, no variation, no overlap; `reason` says which) or
# `failed` (the estimator raised; the other answers are kept).

# %%
est = estimate_all(portfolio, seed=seed, n_boot=n_boot, refutations=True)
summary = est.summary()
summary[["estimate", "ci_low", "ci_high", "unit", "method", "n", "clusters", "status"]]

# %% [markdown]
# The refusals, with their reasons (none when the data answer every question).

# %%
summary.loc[summary["status"] != "ok", ["method", "status", "reason"]]

# %% [markdown]
# Each answer in one sentence, as a business reader would get it.

# %%
for r in est:
    print(f"{r.estimand}: {r.effect_summary() if r.ok else r.note}")

# %% [markdown]
# The estimates with their 95 % intervals, one panel per estimand (units differ). On
# simulated data the dashed red line is the true effect, computed by intervention in the
# simulator.

# %%
fig = est.plot(truth=truth or None)

# %% [markdown]
# ## Sensitivity to unmeasured confounding
#
# The E-value (VanderWeele & Ding) is how strongly, on the risk-ratio scale, an unmeasured
# confounder would have to be associated with both treatment and outcome to explain the
# estimate away (`e_value_ci`: to move the interval to include no effect). The robustness
# value (Cinelli & Hazlett) is the share of residual variance of both that it would have to
# explain to remove the estimate (`robustness_value`) or its significance
# (`robustness_value_alpha`). Small values mean a fragile answer.

# %%
summary[["estimate", "e_value", "e_value_ci", "robustness_value", "robustness_value_alpha"]]

# %% [markdown]
# ## Refutations
#
# Three checks per back-door estimate (`satprofit.causal.refute`): a placebo treatment
# (permuted across units: the effect should vanish), a random common cause (an added noise
# covariate: the estimate should barely move) and subsets of 80 % of the clients (the
# estimate should stay within its interval). Methods without a back-door adjustment
# (the process model of repeat business, difference-in-differences) have their own checks
# (pre-trends, below) and no rows here.

# %%
refutations = {r.estimand: r.refutations for r in est if r.refutations is not None}
pd.concat(refutations, names=["estimand"]) if refutations else "no refutations ran"

# %% [markdown]
# ## One question, every method
#
# Every method that answers the chosen question, the naive comparison included: the gap
# between the naive and the adjusted estimates is the confounding the adjustment removes.

# %%
methods = compare_methods(portfolio, question, seed=seed, n_boot=n_boot)
display(methods.summary()[["estimate", "ci_low", "ci_high", "method", "n", "status", "reason"]])
fig = methods.plot(truth=truth or None)

# %% [markdown]
# The weighting estimate of sales in escalations rests on overlap: escalations with and
# without sales must look alike in their confounders. The propensity histogram shows it (for
# a refused estimate the figure says why there is no answer).

# %%
r = est["sales_in_escalations"]
fig = plot_overlap(r)

# %% [markdown]
# The lead bonus is a policy adopted by business units at different dates (staggered
# difference-in-differences). Its event study shows the effect by quarters since adoption;
# the quarters before adoption are placebo checks of parallel trends.

# %%
r = est["delivery_bonus_to_leads"]
fig = plot_event_study(r)

# %% [markdown]
# ## What each answer assumes
#
# Every default answer rests on assumptions the data cannot check. Each is stated in plain
# language with the simulated world (`satprofit.simulate.designs`) where it fails and what the
# estimate does there.

# %%
assumptions_table()

# %% [markdown]
# How each default method did on the simulated worlds of the calibration study shipped with
# satprofit (`python -m satprofit.validation.causal_calibration`): measured coverage and bias,
# not promises.

# %%
for estimand in summary.index:
    print(f"{estimand}: {calibration_evidence(estimand) or 'not in the calibration study'}\n")
