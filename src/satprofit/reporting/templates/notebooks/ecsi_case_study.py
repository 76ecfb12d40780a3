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

# %% tags=["parameters"]
config_path = ""  # path to the JSON study config written by satprofit survey-report
seed = 20240601  # seed of the bootstrap (the config's seed is used when it is given)

# %% tags=["remove-output"]
# Survey case study (real data: the ECSI customer-satisfaction survey by default). Rendered by
# `satprofit survey-report` through papermill and nbconvert (code hidden). Content comes from
# satprofit.reporting.study and satprofit.reporting.survey_blocks; text is escaped by
# satprofit.reporting.blocks. Opened by hand with an empty config_path, it studies the ECSI data.
from satprofit.reporting import study as S
from satprofit.reporting.blocks import heading, show
from satprofit.reporting.survey_blocks import measurement_blocks, path_blocks

if not config_path:  # opened by hand in JupyterLab: the shipped ECSI data
    config_path = S.StudyConfig(
        str(S.ECSI_DATA), "ecsi", seed=seed, reference=str(S.ECSI_REFERENCE)
    ).write("ecsi_case_study.json")
study = S.open_study(config_path)

# %%
show(heading(f"Survey case study: {study.spec.name}", 1))

# %% [markdown]
# ## Why this study
#
# Consultants measure satisfaction with surveys of several questions per topic, and clients ask
# what drives their satisfaction. This study takes a public customer-satisfaction survey (the
# European Customer Satisfaction Index questionnaire as answered by 250 customers of a bank; see
# data/external/README.md), checks how well its questions measure what they are meant to, and
# estimates how image, expectations, quality and value relate to satisfaction and loyalty.

# %% [markdown]
# ## The data

# %%
show(S.data_blocks(study))

# %% [markdown]
# ## How well the survey measures
#
# Before any relation between constructs is read, each construct's questions must agree with
# each other and differ from the other constructs' questions.

# %%
show(measurement_blocks(study.measurement))

# %% [markdown]
# ## How the constructs relate: the PLS path model
#
# Partial least squares path modelling (mode A, path weighting) estimates each construct as a
# weighted sum of its questions and the paths between constructs as standardized regressions,
# with bootstrap intervals.

# %%
show(path_blocks(study.pls, outcome="LOY" if "LOY" in study.spec.names else None))

# %% [markdown]
# ## The Bayesian ordinal path model beside PLS
#
# The same paths estimated by a Bayesian model that treats every answer as an ordered category
# and every construct as measured with error (respondents nested in clients where the data say
# which client each respondent belongs to).

# %%
show(S.bayes_blocks(study))

# %% [markdown]
# ## Key drivers: what moves together with satisfaction and loyalty
#
# The usual key-driver question, answered honestly: how much of the outcome's variation goes
# with each driver (relative weights and Shapley shares of R-squared, with bootstrap intervals),
# where each driver stands (performance), and whether anything shows it to be a cause.

# %%
show(S.driver_blocks(study))

# %% [markdown]
# ## Checked against R plspm
#
# The same model fitted by the reference implementation, R's plspm package.

# %%
show(S.reference_blocks(study))

# %% [markdown]
# ## What this shows, and what it does not
#
# - The paths are associations among the answers of the same respondents at one time: a
#   respondent who rates value highly also rates satisfaction highly. They do not show that
#   raising value would raise satisfaction; satprofit's causal questions answer that kind of
#   question from a firm's own delivery and sales records.
# - Where two constructs are hard to tell apart (high HTMT above), their separate paths are
#   fragile: read them together.
# - A firm's own multi-item survey is studied the same way: `satprofit survey-report FILE
#   --spec SPEC.yaml`, or in the portfolio report when the data folder has survey items.
