"""Package attributes imported on first use (PEP 562), so that importing one submodule does
not import its siblings: a report kernel imports ``satprofit.reporting.client`` without the
papermill / nbformat stack of ``satprofit.reporting.render``.

Only for packages whose exported names differ from their submodules' names: importing a
submodule sets the package attribute of its name to the module, which would hide a lazy name
(``tests/test_lazy.py`` checks it)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` resolving each name of ``exports`` (name ->
    module that defines it) on first access and keeping it in the package's namespace.

    Examples
    --------
    In a package's ``__init__.py``::

        __getattr__ = lazy_exports(__name__, {"estimate": "satprofit.causal.api"})
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__
