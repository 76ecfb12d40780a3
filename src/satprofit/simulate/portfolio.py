"""The public face of the generator: a validated :class:`Portfolio` plus its :class:`Truth`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from satprofit.constants import DEFAULT_SEED
from satprofit.io import Portfolio, write_portfolio
from satprofit.io.loader import atomic_write_text
from satprofit.simulate.designs import Design, get_design
from satprofit.simulate.effects import Effects
from satprofit.simulate.generator import simulate_world
from satprofit.simulate.items import build_survey_items, survey_truth
from satprofit.simulate.tables import Latent
from satprofit.simulate.truth import Truth, compute_truth


@dataclass(frozen=True, eq=False)
class Simulation:
    """A simulated portfolio, the true value of every estimand, and the hidden state.

    Attributes
    ----------
    portfolio : Portfolio
        Contract-valid tables (validated like a client's export).
    truth : Truth
        True estimands, computed by intervention.
    latent : Latent
        Unobserved quantities (client health, team skill effects, latent satisfaction).
    params : dict
        The arguments that produced it.
    survey : dict
        Truth of the ``survey_items``: generating loadings and the constructs' paths
        (:func:`~satprofit.simulate.items.survey_truth`); ``truth.json``'s ``survey`` section.
    """

    portfolio: Portfolio
    truth: Truth
    latent: Latent
    params: dict
    survey: dict = field(default_factory=dict)

    def write(self, folder: str | os.PathLike, fmt: str = "csv", *, force: bool = False) -> Path:
        """Write the tables and ``truth.json`` (with the parameters) into ``folder``.

        ``folder`` must be new, empty or hold an earlier simulation only (its tables and a
        ``truth.json`` with the simulation's parameters): a folder holding anything else, a
        real export for instance, is refused with :class:`FileExistsError` unless ``force``.
        """
        if not force:
            check_simulation_folder(folder)
        path = write_portfolio(self.portfolio, folder, fmt=fmt)
        payload = {"params": self.params, **self.truth.to_dict()}
        if self.survey:
            payload["survey"] = self.survey
        atomic_write_text(path / "truth.json", json.dumps(payload, indent=2) + "\n")
        return path


def _is_simulation_truth(path: Path) -> bool:
    """Whether ``path`` is a ``truth.json`` written by :meth:`Simulation.write`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("params"), dict) and "seed" in doc["params"]


def read_truth(folder: str | os.PathLike) -> dict[str, float]:
    """The true value of every estimand stored with a simulated portfolio, by estimand id.

    Reads the ``truth.json`` that :meth:`Simulation.write` (``satprofit simulate``) puts
    beside the tables; a folder without one (a firm's own export) gives an empty dict, so
    callers can mark the truth where it is known and carry on where it is not.

    Examples
    --------
    >>> read_truth("data/sample")["quality_to_csat"]  # doctest: +SKIP
    0.139...
    """
    path = Path(folder) / "truth.json"
    if not _is_simulation_truth(path):
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: float(v["truth"]) for k, v in (doc.get("estimands") or {}).items()}


def check_simulation_folder(folder: str | os.PathLike) -> None:
    """Refuse to simulate into a folder that holds anything but an earlier simulation.

    Allowed: a folder that does not exist or is empty, or one holding only contract tables
    (``<table>.csv`` / ``<table>.parquet``), hidden temporary files and a ``truth.json``
    written by a simulation (without it, tables are taken for a real export).

    Raises
    ------
    FileExistsError
        Naming the folder and what it holds, and ``--force``.
    """
    from satprofit.files import is_tagged
    from satprofit.io.contract import TABLES

    path = Path(folder)
    if not path.exists():
        return
    if not path.is_dir():
        raise FileExistsError(f"{path} is a file, not a folder")
    names = sorted(e.name for e in os.scandir(path) if not is_tagged(e.name))
    if not names:
        return
    own = {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")} | {"truth.json"}
    others = [n for n in names if n not in own]
    if not others and _is_simulation_truth(path / "truth.json"):
        return
    shown = others or names
    listed = ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")
    why = (
        f"files satprofit simulate did not write ({listed})"
        if others
        else f"tables without a simulation's truth.json ({listed}): a real export?"
    )
    raise FileExistsError(
        f"{path} holds {why}; simulate writes only into a new or empty folder or over its own "
        "earlier output. Choose another folder, or pass --force to overwrite its tables"
    )


def simulate_portfolio(
    n_clients: int = 200,
    n_quarters: int | None = None,
    seed: int = DEFAULT_SEED,
    effects: Effects | dict | None = None,
    *,
    start: str = "2022-01-01",
    n_business_units: int = 6,
    confounding: float = 1.0,
    design: str | Design | None = None,
) -> Simulation:
    """Simulate a services firm's exports with known causal truth.

    Parameters
    ----------
    n_clients : int
        Number of clients.
    n_quarters : int, optional
        Calendar quarters of data, from ``start``; default the design's panel length (8 for
        ``short_panel``) or 12.
    seed : int
        Seed of the single ``numpy.random.Generator`` behind every draw: same arguments, same
        tables and truth.
    effects : Effects or dict, optional
        Structural effect sizes; a dict overrides fields of the defaults (see
        :class:`~satprofit.simulate.effects.Effects` for values and sources).
    start : str
        First day of the first quarter (ISO date).
    n_business_units : int
        Business units (2 to 8); about two thirds adopt a delivery lead bonus at staggered dates.
    confounding : float
        Multiplies every confounding arrow (size, tenure, skill); 0 gives a world where naive
        comparisons are unbiased except for relationship health.
    design : str or Design, optional
        A named world of :data:`satprofit.simulate.designs.DESIGNS` (default ``"default"``):
        when satisfaction acts on repeat deals, opening renewals, effects on price and size,
        feedback, heterogeneity by size, few responses, short panels, binary on-time rates,
        an unused lever.

    Returns
    -------
    Simulation
        ``.portfolio`` (validated, with ``survey_items``), ``.truth`` (every estimand of
        QUESTIONS.md), ``.latent``, ``.survey`` (the items' loadings and paths).
    """
    if isinstance(effects, dict):
        effects = Effects(**{**Effects().to_dict(), **effects})
        effects = Effects(
            **{**effects.__dict__, "escalation_severity": tuple(effects.escalation_severity)}
        )
    dz = get_design(design)
    if n_quarters is None:
        n_quarters = dz.n_quarters or 12
    tables, latent = simulate_world(
        n_clients,
        n_quarters,
        seed,
        effects,
        start=start,
        n_business_units=n_business_units,
        confounding=confounding,
        design=dz,
    )
    # After every other table, from its own random stream: the world's draws are untouched.
    tables["survey_items"] = build_survey_items(latent, tables["surveys"]["response_id"], seed)
    portfolio = Portfolio.from_tables(tables, source="simulate_portfolio")
    params = {
        "n_clients": n_clients,
        "n_quarters": n_quarters,
        "seed": seed,
        "start": start,
        "n_business_units": n_business_units,
        "confounding": confounding,
        "design": dz.name,
    }
    return Simulation(portfolio, compute_truth(latent), latent, params, survey_truth(latent))
