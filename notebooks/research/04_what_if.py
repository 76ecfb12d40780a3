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
# # What-if scenarios for one client
#
# What would raising on-time delivery, sending business status reports or having delivery
# sign off every proposal be worth for one client, in currency, over the next four quarters?
# `satprofit.bayes.scenario` answers from the Bayesian models' posteriors: a lever moves the
# drivers, the satisfaction model turns that into a change of the client's expected csat,
# and the repeat-business model turns csat, on-time and report changes into the probability,
# value and margin of repeat business, draw by draw. The answer is a median with 80 % and
# 95 % intervals: the range the data cannot narrow further.
#
# The models come from a run: give `run` (a folder written by `satprofit fit --out` or by
# notebook 03 with `run_out`) to use it as it is, or leave it empty to fit the models here
# first (`draws`, `tune`, `chains`; a few minutes at the defaults).

# %% tags=["parameters"]
data = "data/sample"  # portfolio folder; a relative path is looked for from here upwards
run = ""  # run folder fitted on these data; "": fit the models here (kept until the kernel stops)
client_id = ""  # the client; "": the client with most data that the models can forecast
seed = 20240601  # seed of the what-if draws (and of the sampler when fitting here)
draws = 1000  # posterior draws per chain, when fitting here
tune = 1000  # tuning steps per chain, when fitting here
chains = 4  # chains, when fitting here
cores = 0  # processes sampling the chains; 0: one per chain, up to the number of CPUs
ontime_pp = 10.0  # own scenario: raise the on-time milestone rate by this many points
status_reports_per_month = 1.0  # own scenario: business status reports sales sends a month

# %%
import logging
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pymc  # noqa: F401  (imported first: its logger is configured on import, quieted below)
import seaborn as sns
from IPython.display import display

from satprofit.bayes import LEVERS, ConvergenceWarning, forecastable_clients, scenario
from satprofit.io import find_folder, load_portfolio
from satprofit.reporting.client import what_if
from satprofit.runs import fit_portfolio, load_run, save_run

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
# PyMC's sampler log, pip PyTensor's missing-BLAS warning (slower, same draws) and the
# convergence warning: the convergence verdict is printed below instead.
logging.getLogger("pymc").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
warnings.filterwarnings("ignore", category=ConvergenceWarning)

data_folder = find_folder(data)
portfolio = load_portfolio(data_folder)
print(portfolio.describe())

# %% [markdown]
# ## The fitted models
#
# Reports never refit: they load a run, fitted once and saved with the fingerprint of its
# data (a run fitted on other data is refused). Without `run`, the models are fitted here and
# saved as a run in a temporary folder (without the causal estimates, which what-ifs do not
# need).

# %%
if run:
    run_folder = find_folder(run)
else:
    fitted = fit_portfolio(
        portfolio, draws=draws, tune=tune, chains=chains, cores=cores or None, random_seed=seed
    )
    scratch = tempfile.TemporaryDirectory()  # removed when the kernel stops
    run_folder = save_run(Path(scratch.name) / "run", data_folder, fitted, causal=[])
saved = load_run(run_folder, portfolio)
fit = saved.fit
print(f"run {run_folder}: settings {fit.settings}")
print("converged:", fit.converged, "(figures are provisional when not)")
display(fit.diagnostics()[["converged", "rhat_max", "ess_min", "divergences"]])

# %% [markdown]
# ## The client
#
# The clients the repeat-business model can forecast (those with a trailing satisfaction
# level), those with most survey responses, projects and deals first, with the levels the
# status quo holds: trailing csat and on-time rate.

# %%
clients = forecastable_clients(fit)
client = client_id or clients.index[0]
print(f"client {client}: {clients.index.get_loc(client) + 1} of {len(clients)} by data")
clients.head(8).round(2)

# %% [markdown]
# ## The client report's scenarios
#
# The what-if section of the client report (`satprofit.reporting.client.what_if`): each
# lever alone and all three together, the change in repeat-business contract value and in
# the margin of delivering it over the next four quarters, once the change has been in place
# for a year. Medians with 80 % (`low80`..`high80`) and 95 % (`ci_low`..`ci_high`) intervals.

# %%
report = what_if.build_what_if(saved, client, seed=seed)
print(report.error or f"today: {report.current_reports:.1f} status reports a month")
display(report.table.round(0))

# %% [markdown]
# The same as the report draws it, and the notes on levers that change nothing for this
# client (already in place, or no finished project to improve).

# %%
fig = what_if.plot_what_if(report)
for note in report.notes:
    print(note)

# %% [markdown]
# Without any change: the client's forecast repeat business over the next four quarters.
# These levels include the luck of individual deals, so their intervals are much wider than
# those of the differences above, which are changes in *expected* business.

# %%
display(report.status_quo.round(0))

# %% [markdown]
# ## An own scenario
#
# Any combination of the levers (`satprofit.bayes.LEVERS`), here the parameters
# `ontime_pp` and `status_reports_per_month`.

# %%
print("\n".join(f"{name}: {meaning}" for name, meaning in LEVERS.items()))
changes = {"ontime_pp": ontime_pp, "status_reports_per_month": status_reports_per_month}
own = scenario(fit, client, changes, seed=seed)
print(f"{changes} for {client}, {own.n_clients} client forecast:", *own.notes, sep="\n")
own.summary()

# %% [markdown]
# The difference from the status quo with its intervals.

# %%
fig = own.plot(title=f"{client}: {changes}")

# %% [markdown]
# The whole posterior of the change in repeat-business value: the interval's ends are its
# quantiles, and the share of draws above zero is the probability that the change pays at
# all.

# %%
gain = own.draws["value_difference"]
ax = sns.histplot(gain, bins=40)
ax.axvline(0, color="grey", lw=0.8)
_ = ax.set(xlabel="change in repeat-business value, next 4 quarters", ylabel="posterior draws")
print(f"P(the change raises repeat business) = {(gain > 0).mean():.0%}")

# %% [markdown]
# ## Steady state or starting now
#
# `mode="steady"` (above) assumes the change has been in place for a year, so the trailing
# four-quarter drivers have fully moved: the lever's yearly worth once established. With
# `mode="ramp"` the change starts now and quarter *j* of the forecast sees (*j*-1)/4 of it:
# the first year's worth is smaller.

# %%
ramp = scenario(fit, client, changes, mode="ramp", seed=seed)
pd.concat(
    {m: r.table.xs("difference", level="case") for m, r in (("steady", own), ("ramp", ramp))},
    names=["mode"],
).round(0)

# %% [markdown]
# ## How the worth grows with the lever
#
# The on-time lever at several sizes: satisfaction is ordinal and near the top of its scale
# each extra point of on-time rate buys less, and the rate is capped at 100 % (a client
# already near it gains nothing from a larger step), so the worth need not grow in
# proportion.

# %%
print(f"on-time rate of {client} today: {clients.loc[client, 'ontime_rate_trailing']:.0%}")
pd.DataFrame(
    {
        pp: scenario(fit, client, {"ontime_pp": pp}, seed=seed).table.loc[("value", "difference")]
        for pp in (5, 10, 20, 30)
    }
).T.rename_axis("ontime_pp").round(0)

# %% [markdown]
# ## The whole portfolio
#
# The same changes for every client the models can forecast, summed: what the firm would
# gain if it pulled the levers everywhere.

# %%
portfolio_wide = scenario(fit, None, changes, seed=seed)
print(f"{portfolio_wide.n_clients} clients forecast")
portfolio_wide.summary()
