"""The portfolio report's survey section and the shared survey blocks (measurement, paths)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from satprofit.io import load_portfolio
from satprofit.reporting import blocks as B
from satprofit.reporting import portfolio as P
from satprofit.reporting.survey_blocks import measurement_table, path_table
from satprofit.survey import load_spec

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _run(folder: Path):
    return SimpleNamespace(portfolio=load_portfolio(folder), data=folder)


def _text(blocks) -> str:
    return "\n".join(b.metadata["alt"] if isinstance(b.data, bytes) else b.data for b in blocks)


@pytest.fixture(scope="module")
def sample_section():
    return P.build_survey(_run(SAMPLE), n_boot=100, seed=3)


def test_sample_section_fits_the_shipped_spec(sample_section):
    s = sample_section
    assert s.reason is None
    assert s.spec.name == load_spec("satprofit_survey").name
    assert s.n_responses > 100
    table = path_table(s.pls)
    assert len(table) == len(s.spec.paths)
    assert set(table["Reading"]) <= {"clearly non-zero", "could be zero"}
    m = measurement_table(s.measurement)
    assert list(m["Construct"].str.extract(r"\((\w+)\)$")[0].fillna(m["Construct"])) == list(
        s.spec.names
    )


def test_sample_section_blocks(sample_section):
    B.theme()
    text = _text(P.survey_blocks(SimpleNamespace(survey=sample_section)))
    assert "How well the survey measures" in text
    assert "Path model between the constructs" in text
    assert "Cronbach" in text and "R-squared" in text
    assert not re.search(r"<script|javascript:", text)
    # construct-level figures only: no client id of the data appears
    ids = set(load_portfolio(SAMPLE).clients["client_id"])
    assert [i for i in ids if i in text] == []


def test_same_seed_same_section(sample_section):
    again = P.build_survey(_run(SAMPLE), n_boot=100, seed=3)
    assert again.pls.summary().equals(sample_section.pls.summary())


def test_no_items_no_model(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    (folder / "survey_items.csv").unlink()
    s = P.build_survey(_run(folder), n_boot=0)
    assert s.pls is None and "no survey_items" in s.reason
    text = _text(P.survey_blocks(SimpleNamespace(survey=s)))
    assert "No survey measurement" in text


def test_folder_spec_wins_and_bad_spec_is_a_reason(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    spec = """name: two constructs
constructs:
  QUAL: {label: "Delivery <quality>", items: [qual1, qual2, qual3]}
  SAT: {label: Satisfaction, items: [sat1, sat2, sat3]}
paths:
  QUAL: [SAT]
"""
    (folder / "survey_spec.yaml").write_text(spec)
    s = P.build_survey(_run(folder), n_boot=0)
    assert s.reason is None and s.spec_source.startswith("the data folder")
    assert list(s.pls.summary()["to"]) == ["SAT"]
    text = _text(P.survey_blocks(SimpleNamespace(survey=s)))
    assert "Delivery &lt;quality&gt;" in text and "<quality>" not in text
    (folder / "survey_spec.yaml").write_text("constructs: [not, a, map]\n")
    bad = P.build_survey(_run(folder), n_boot=0)
    assert bad.pls is None and "cannot be used" in bad.reason


def test_items_not_matching_the_shipped_spec(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    items = (folder / "survey_items.csv").read_text().replace(",qual1,", ",quality_1,")
    (folder / "survey_items.csv").write_text(items)
    s = P.build_survey(_run(folder), n_boot=0)
    assert s.pls is None and "qual1" in s.reason and "survey_spec.yaml" in s.reason
