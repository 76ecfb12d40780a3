"""Validation studies: how the estimators and models do on simulated worlds whose truth is
known (coverage, bias and width per design of :data:`satprofit.simulate.designs.DESIGNS`).

- :mod:`satprofit.validation.causal_calibration`: the default causal estimators
  (``python -m satprofit.validation.causal_calibration``);
- :mod:`satprofit.validation.bayes_calibration`: the Bayesian models
  (``python -m satprofit.validation.bayes_calibration``).

Their summaries ship with the package (``causal_calibration_summary.csv``,
``bayes_calibration_summary.csv``) and the reports quote them
(:func:`satprofit.causal.assumptions.calibration_evidence`). This package sits above
``causal`` and ``bayes``; they read its CSVs as package resources and never import its code,
so this ``__init__`` imports nothing.
"""
