"""Packages resolving their public names on first use (satprofit.lazy)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

#: Packages whose exported names never equal a submodule's name: importing that submodule
#: would set the package attribute to the module and hide the lazy name (why satprofit.causal,
#: exporting ``aipw`` and ``mediation`` beside modules of those names, imports eagerly).
LAZY = ("satprofit.reporting",)


@pytest.mark.parametrize("name", LAZY)
def test_every_public_name_resolves_from_the_module_that_defines_it(name):
    package = importlib.import_module(name)
    assert set(package._EXPORTS) == set(package.__all__)
    submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert not submodules & set(package._EXPORTS)
    for attr, module in package._EXPORTS.items():
        assert getattr(package, attr) is getattr(importlib.import_module(module), attr)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        package.nothing_here  # noqa: B018


def test_a_report_kernel_does_not_import_the_notebook_stack():
    """What the client report template imports first, in a fresh interpreter."""
    code = (
        "import sys\n"
        "from satprofit.reporting import client\n"
        "from satprofit.reporting.setup import open_report\n"
        "heavy = ('nbformat', 'papermill', 'nbconvert')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
