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
# # Exploring a portfolio and the article's dashboard
#
# A first look at a firm's exports: loading and validating them with `satprofit.io`, the
# tables and periods they cover, the features satprofit builds from them
# (`satprofit.features`), and the six metrics of the article behind satprofit ("Profit or
# client satisfaction? Go for both!", `satprofit.metrics`). Nothing here is causal: the
# notebook `02_causal_questions` asks what the levers *do*.

# %% tags=["parameters"]
data = "data/sample"  # portfolio folder; a relative path is looked for from here upwards
seed = 20240601  # seed of the rows broken on purpose in the validation example
by = "business_unit"  # dashboard grouping: client, sales_owner, delivery_team, business_unit
freq = "Q"  # dashboard period: "Q" (quarters) or "M" (months)

# %%
import pandas as pd
import seaborn as sns
from IPython.display import display

from satprofit.features import client_panel, project_table, question_table
from satprofit.io import DataValidationError, Portfolio, find_folder, load_portfolio
from satprofit.metrics import (
    dashboard,
    plot_metric_heatmap,
    plot_metric_trends,
    plot_metrics_overview,
)
from satprofit.questions import QUESTION_IDS

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
sns.set_theme(style="whitegrid", context="notebook")

# %% [markdown]
# ## Loading and validating
#
# `load_portfolio` reads every table of the folder and checks it against the data contract
# (`data/README.md`); it returns a `Portfolio` only when every rule holds. Its one-line
# description says how many clients and which period the data cover.

# %%
data_folder = find_folder(data)
portfolio = load_portfolio(data_folder)
print(portfolio.describe())

# %% [markdown]
# Rows and date range of each table: the span of the data sets what the questions can learn
# (a year of satisfaction windows and a year of repeat business after them).

# %%
portfolio.summary()

# %% [markdown]
# Validation lists every problem at once. Here three deals get a negative contract value and
# two point to a client that does not exist: one `DataValidationError` names each rule, table,
# column and example rows (in a file, with their line).

# %%
broken = portfolio.deals.copy()
rows = broken.sample(5, random_state=seed).index
broken.loc[rows[:3], "contract_value"] = -1.0
broken.loc[rows[3:], "client_id"] = "C99999"
try:
    Portfolio.from_tables({**portfolio.tables, "deals": broken}, source="deals broken on purpose")
except DataValidationError as err:
    display(err.to_frame())

# %% [markdown]
# ## Features
#
# One row per project: delivery quality (on-time milestone rate, cost overrun, schedule slip,
# defects), escalations, the sales engagement around it and its satisfaction responses.

# %%
projects = project_table(portfolio)
projects.head()

# %% [markdown]
# One row per client and quarter, leakage-free: a feature of quarter *t* uses only events up to
# its end, a target (repeat business in the next four quarters) only events after it. Here
# the client-quarters' levels of the main drivers and outcomes.

# %%
panel = client_panel(portfolio, freq="Q")
display(
    panel[
        [
            "ontime_rate_trailing",
            "status_reports_by_sales_trailing",
            "csat_trailing",
            "repeat_value_next",
            "delivery_quality_index",
            "sales_engagement_index",
        ]
    ]
    .describe()
    .T
)

# %% [markdown]
# How satisfaction moves with on-time delivery across client-quarters. This is an
# association: bigger clients, better teams and healthier relationships move both, which is
# why the causal notebook adjusts for them.

# %%
ax = sns.regplot(
    data=panel,
    x="ontime_rate_trailing",
    y="csat_trailing",
    scatter_kws={"alpha": 0.3, "s": 12},
    line_kws={"color": "C1"},
)
_ = ax.set(xlabel="on-time milestone rate, last 4 quarters", ylabel="mean csat, last 4 quarters")

# %% [markdown]
# Each question of QUESTIONS.md has its own analysis table (`question_table`): its units,
# treatment, outcome and the candidate confounders. Their sizes show which questions these
# data can hope to answer.

# %%
tables = {q: question_table(portfolio, q) for q in QUESTION_IDS}
display(
    pd.DataFrame(
        {
            q: {"units": len(t.data), "clusters": t.data[t.cluster].nunique(), "unit": t.unit}
            | {"treatment": t.treatment, "outcome": t.outcome}
            for q, t in tables.items()
        }
    ).T
)

# %% [markdown]
# ## The article's dashboard
#
# The article asks firms to measure six numbers: leads raised by delivery teams and the net
# sales they bring, sales meetings with delivery present, business status reports sent by
# sales, escalations with sales involved and joint engagements. `dashboard` counts them per
# group and period (the attribution rules are in `satprofit.metrics.dashboard`).

# %%
dash = dashboard(portfolio, by=by, freq=freq)
dash.head(10)

# %% [markdown]
# Each metric summed over all groups, per period: the firm's trend.

# %%
fig = plot_metrics_overview(dash)

# %% [markdown]
# Business status reports by group over time (the groups with most reports).

# %%
fig = plot_metric_trends(dash, metric="status_reports_by_sales")

# %% [markdown]
# Joint engagements of sales and delivery, group by period: where the two work together and
# where they do not.

# %%
fig = plot_metric_heatmap(dash, metric="joint_engagements")

# %% [markdown]
# The same metrics per delivery team over the whole period: delivery teams get credit only for
# events traced to their projects; the rest is `(unassigned)`.

# %%
dashboard(portfolio, by="delivery_team", freq=freq).groupby("delivery_team").sum(
    numeric_only=True
).sort_values("delivery_leads", ascending=False)
