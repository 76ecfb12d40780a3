"""environment.yml (conda-forge) stays in step with pyproject.toml (pip): the same packages with
the same version ranges, the same Python."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]

#: pip name -> conda-forge name, where they differ (none today; add here, not in the test).
CONDA_NAMES: dict[str, str] = {}


def _pip_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = {}
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(line)
        name = CONDA_NAMES.get(req.name.lower(), req.name.lower())
        reqs[name] = str(req.specifier)
    return reqs


def _conda_requirements() -> tuple[dict[str, str], str, list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs, python, pip = {}, "", []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = dep.get("pip", [])
            continue
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep).groups()
        if name == "python":
            python = spec
        elif name != "pip":
            reqs[name.lower()] = str(Requirement(f"x{spec}").specifier)
    return reqs, python, pip


def test_environment_yml_matches_pyproject():
    pip_reqs = _pip_requirements()
    conda_reqs, python, pip = _conda_requirements()
    missing = sorted(set(pip_reqs) - set(conda_reqs))
    extra = sorted(set(conda_reqs) - set(pip_reqs))
    differ = {n: (pip_reqs[n], conda_reqs[n]) for n in pip_reqs.keys() & conda_reqs.keys()}
    differ = {n: v for n, v in differ.items() if v[0] != v[1]}
    assert not missing, f"in pyproject.toml, missing from environment.yml: {missing}"
    assert not extra, f"in environment.yml, not in pyproject.toml: {extra}"
    assert not differ, f"version ranges differ (pyproject, environment.yml): {differ}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == "=3.11" and requires == ">=3.11,<3.12", (python, requires)
    assert pip == ["-e ."], "environment.yml installs satprofit itself with pip"


def test_the_check_sees_a_difference(tmp_path, monkeypatch):
    """The comparison is not vacuous: a changed range in environment.yml is caught."""
    text = (ROOT / "environment.yml").read_text().replace("pymc>=5.28,<6", "pymc>=5.20")
    fake = tmp_path / "environment.yml"
    fake.write_text(text)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    reqs, _, _ = _conda_requirements()
    assert reqs["pymc"] != _pip_requirements()["pymc"]
