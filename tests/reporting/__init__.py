"""Tests of satprofit.reporting."""
