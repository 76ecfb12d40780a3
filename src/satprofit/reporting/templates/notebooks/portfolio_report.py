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
config_path = ""  # path to the JSON report config written by satprofit report
seed = 20240601  # seed of the what-if draws

# %% tags=["remove-output"]
# Portfolio (leadership) report template. Rendered by `satprofit report --portfolio`
# through papermill and nbconvert (code hidden). Content comes from
# satprofit.reporting.portfolio; text is escaped by satprofit.reporting.blocks. Nothing is
# fitted here: the run was fitted once by `satprofit fit`.
from satprofit.reporting import portfolio
from satprofit.reporting.blocks import show
from satprofit.reporting.setup import open_report

config, run = open_report(config_path, "portfolio")
report = portfolio.build_portfolio_report(run)

# %%
show(portfolio.title_blocks(report))

# %% [markdown]
# ## Overview

# %%
show(portfolio.overview_blocks(report))

# %% [markdown]
# ## Every question by method
#
# Each question of the thesis (delivery quality and sales engagement drive satisfaction,
# satisfaction drives repeat business) estimated by every method that answers it: the default
# causal estimator, the alternatives, the naive comparison that ignores confounding, and the
# Bayesian models behind the client reports' what-ifs. Methods that agree make a finding robust;
# a naive estimate far from the others shows how much confounding there is. Where the default
# causal estimate and the Bayesian model disagree beyond their intervals, a warning under the
# table says so: that answer is unsettled. A question the data cannot answer shows "not
# estimable" or "failed" with the reason, never a number.

# %%
show(portfolio.estimates_blocks(report))

# %% [markdown]
# ## Dashboard by team and business unit
#
# The article's six metrics over the last four full quarters, by business unit and by delivery
# team, and their trend by business unit.

# %%
show(portfolio.dashboard_blocks(report))

# %% [markdown]
# ## Incentive policies
#
# Does rewarding delivery for add-on sales bring leads? Business units adopted the delivery lead
# bonus at different dates, which a staggered difference-in-differences design uses: units that
# had not yet adopted it serve as the comparison.

# %%
show(portfolio.policy_blocks(report))

# %% [markdown]
# ## Survey measurement and path model
#
# Where the firm runs a multi-item satisfaction survey: how reliably its questions measure each
# construct (delivery quality, communication, relationship, satisfaction, loyalty) and how the
# constructs relate across respondents in a PLS path model with bootstrap intervals.

# %%
show(portfolio.survey_blocks(report))

# %% [markdown]
# ## Diagnostics
#
# Whether the Bayesian models converged, which models the data could not support, how
# sensitive each causal estimate is to confounding that the data do not measure, and what each
# answer assumes, with how well its method recovered known effects on simulated firms.

# %%
show(portfolio.diagnostics_blocks(report))
