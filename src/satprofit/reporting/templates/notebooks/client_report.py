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
# Client report template. Rendered by `satprofit report` through papermill and nbconvert
# (code hidden). Every figure and sentence about the client comes from
# satprofit.reporting.client and is escaped by satprofit.reporting.blocks; the cells below only
# call those functions. Nothing is fitted here: the run was fitted once by `satprofit fit`.
from satprofit.reporting import client
from satprofit.reporting.blocks import show
from satprofit.reporting.setup import open_report

config, run = open_report(config_path, "client")
report = client.build_client_report(
    run, config.client_id, seed=seed, min_clients=config.min_benchmark_clients
)

# %%
show(client.title_blocks(report))

# %% [markdown]
# ## Executive summary

# %%
show(client.summary_blocks(report))

# %% [markdown]
# ## Your metrics over time
#
# The article behind this report names six numbers that show whether sales and delivery work
# together around a client: leads raised by delivery teams and the sales they bring, sales
# meetings with delivery present, business status reports sent by sales, escalations in which
# sales took part, and joint engagements. The black line is your account, quarter by quarter.
# The dashed line and the shaded band are the median and the middle half of our other clients
# in the same quarter: anonymous aggregates, never of fewer than five clients.

# %%
show(client.metrics_blocks(report))

# %% [markdown]
# ## Delivery quality and escalations
#
# How your projects were delivered: the share of milestones met on time, cost overrun and
# schedule slip (known once a project has finished), defects, and the escalations raised,
# beside the same measures for the typical client.

# %%
show(client.delivery_blocks(report))

# %% [markdown]
# ## Satisfaction trend
#
# Your survey scores (satisfaction from 1 to 5 and likelihood to recommend from 0 to 10) per
# quarter, beside the range of our other clients' scores.

# %%
show(client.satisfaction_blocks(report))

# %% [markdown]
# ## Likelihood to recommend (NPS)
#
# Your Net Promoter Score, with the range it most likely lies in, and how it moved from one
# half-year to the next. With few answers the score is uncertain: it then leans on what clients
# of your size answered, and we say so rather than show a precise-looking number.

# %%
show(client.nps_blocks(report))

# %% [markdown]
# ## Your scores on the detailed survey
#
# Where your respondents answered the detailed questions on delivery, communication, the
# relationship, satisfaction and loyalty, each topic's average score from 0 (the lowest answer)
# to 100 (the highest) over the last 12 months, with the range it most likely lies in, beside
# the typical client's. With too few respondents we say so rather than show a score.

# %%
show(client.survey_scores_blocks(report))

# %% [markdown]
# ## What drives your satisfaction
#
# Our satisfaction model, fitted on every survey response across our clients, tells how much a
# realistic improvement of each driver raises expected satisfaction for respondents like yours.
# Each gain is a total effect: it includes everything the improvement brings with it (more
# milestones on time also means fewer defects and escalations), so the gains do not add up
# with separate figures for those. A driver the data cannot measure says so instead of showing a
# number. The chart sets that importance against how your account does today compared with
# other clients: drivers in the upper left matter most and have the most room to improve.
# Each driver says what we know of it: a measured effect (our cause-and-effect analysis
# measures what improving it does) or only that it moves together with satisfaction, which
# does not show that improving it would raise satisfaction.

# %%
show(client.drivers_blocks(report))

# %% [markdown]
# ## What-if scenarios
#
# What each change would be worth in repeat business (renewals, add-ons and cross-sales) over
# the next four quarters, and in the margin we would earn delivering it,
# once the change has been in place for a year. The most likely value comes with 80 % and
# 95 % intervals: the range the data cannot narrow further.

# %%
show(client.what_if_blocks(report))

# %% [markdown]
# ## Methods appendix
#
# The data, questions, methods and settings behind this report, so that every figure in it can
# be traced and reproduced, and what each answer assumes.

# %%
show(client.methods_blocks(report))
