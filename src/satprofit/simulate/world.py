"""The state a simulation grows: one :class:`World` that every step of the generator reads and
extends.

A step is a function ``step(w)`` or ``step(w, k)`` (``k`` the quarter) in
:mod:`~satprofit.simulate.population`, :mod:`~satprofit.simulate.deals`,
:mod:`~satprofit.simulate.delivery` or :mod:`~satprofit.simulate.contact`; it draws from
``w.rng`` and writes what it drew into ``w``. The order of the steps in
:func:`satprofit.simulate.generator.simulate_world` is the order of the random draws, so a
seed gives the same world as long as that order holds (``tests/simulate/test_rng_order.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.simulate import names
from satprofit.simulate.designs import Design
from satprofit.simulate.effects import Effects
from satprofit.simulate.model import Q_DEFAULT, T_DEFAULT


class Growing:
    """Named arrays that grow by concatenation and can be read and updated in between."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        return len(next(iter(self.arrays.values()))) if self.arrays else 0

    def append(self, **arrays) -> None:
        for key, val in arrays.items():
            val = np.asarray(val)
            self.arrays[key] = (
                np.concatenate([self.arrays[key], val]) if key in self.arrays else val
            )

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.arrays)


class Rows:
    """Column-wise accumulator of a table written once: lists of arrays, concatenated once."""

    def __init__(self, *cols: str):
        self.cols = {c: [] for c in cols}

    def add(self, **arrays) -> None:
        n = {len(np.atleast_1d(v)) for v in arrays.values()}
        assert len(n) == 1, n
        for c in self.cols:
            self.cols[c].append(np.atleast_1d(arrays[c]))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {c: (np.concatenate(v) if v else np.array([])) for c, v in self.cols.items()}
        )


@dataclass(eq=False)
class World:
    """Everything drawn so far, by position (client ``i``, quarter ``k``, day from ``t0``).

    Built by :meth:`start`; the steps fill in the attributes declared below without defaults
    (``field(init=False)``), in the order :func:`~satprofit.simulate.generator.simulate_world`
    calls them.

    Parameters
    ----------
    rng : numpy.random.Generator
        The one source of randomness.
    design : Design
        Mechanism switches.
    effects : Effects
        Structural effect sizes.
    conf : float
        Multiplier of every confounding arrow.
    t0 : Timestamp
        Day 0.
    q_start, q_end : ndarray
        First and last day of each quarter.
    units : list of str
        Business unit names.
    nc : int
        Number of clients.
    """

    rng: np.random.Generator
    design: Design
    effects: Effects
    conf: float
    t0: pd.Timestamp
    q_start: np.ndarray
    q_end: np.ndarray
    units: list[str]
    nc: int

    # clients (population.draw_clients) -----------------------------------------------------
    size: np.ndarray = field(init=False)  # size band 0..3
    industry: np.ndarray = field(init=False)
    region: np.ndarray = field(init=False)
    bu: np.ndarray = field(init=False)  # business unit position
    existing: np.ndarray = field(init=False)  # under contract when the data start
    first_day: np.ndarray = field(init=False)
    tenure_z: np.ndarray = field(init=False)
    health: np.ndarray = field(init=False)  # latent relationship health (confounder)
    ind_eff: np.ndarray = field(init=False)
    hm: np.ndarray = field(init=False)  # effect multiplier by size band
    client_ids: np.ndarray = field(init=False)
    # account managers and teams --------------------------------------------------------------
    owner: np.ndarray = field(init=False)  # sales owner name per client
    owner_quality: np.ndarray = field(init=False)
    rho: np.ndarray = field(init=False)  # sales status-report rate per client
    team_names: np.ndarray = field(init=False)  # 3 per business unit, flat
    skill: np.ndarray = field(init=False)  # per team
    eta_client: np.ndarray = field(init=False)  # client part of latent satisfaction
    onboard_day: np.ndarray = field(init=False)  # first deal in the data
    onboard_q: np.ndarray = field(init=False)
    # policies (population.draw_policies) ----------------------------------------------------
    bu_lead: np.ndarray = field(init=False)  # unit level of delivery leads
    adopt_q: np.ndarray = field(init=False)  # delivery lead bonus from (nq: never)
    bonus_tau: np.ndarray = field(init=False)  # [bu, quarter] log effect of the bonus
    signoff_q: np.ndarray = field(init=False)
    shared_q: np.ndarray = field(init=False)
    incentives: pd.DataFrame = field(init=False)
    # in quarter k: clients with a first deal by then -----------------------------------------
    active: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        nc, nq, n_days = self.nc, self.nq, self.n_days
        self.deals = Rows(
            "client",
            "type",
            "source",
            "close_day",
            "proposal_day",
            "status",
            "signoff",
            "value",
            "team",
            "lead",
        )
        self.escalations = Rows(
            "client", "project", "day", "resolved", "severity", "sales", "effect"
        )
        self.interactions = Rows("client", "project", "day", "kind", "sales", "delivery")
        self.leads = Rows("client", "day", "source", "value", "deal")
        # projects and responses grow quarter by quarter and are read back by later steps
        self.projects = Growing()
        self.responses = Growing()
        self.n_deals = 0
        self.sr_daily = np.zeros((nc, n_days))  # sales status reports per client and day
        self.esc_daily = np.zeros((nc, n_days))  # csat effect of escalations opened that day
        self.resp_sum = np.zeros((nc, nq))  # csat of responses by client and quarter
        self.resp_n = np.zeros((nc, nq))
        self.proj_sum = np.zeros((nc, nq))  # on-time rates of projects finished
        self.proj_n = np.zeros((nc, nq))
        self.loglam_base = np.full((nc, nq), -np.inf)  # repeat log-rate without T and Q
        self.t_prev = np.full((nc, nq), T_DEFAULT)  # trailing csat before quarter k
        self.q_prev = np.full((nc, nq), Q_DEFAULT)  # trailing on-time rate before k
        self.lead_mu0 = np.zeros((nc, nq))  # delivery lead rate without the bonus

    @classmethod
    def start(
        cls,
        n_clients: int,
        n_quarters: int,
        seed: int,
        effects: Effects | None,
        *,
        start: str,
        n_business_units: int,
        confounding: float,
        design: Design,
    ) -> World:
        """An empty world: the calendar, the seeded generator, the accumulators.

        Raises
        ------
        ValueError
            Fewer than 1 client or 2 quarters, or business units outside 2..8.
        """
        if n_clients < 1 or n_quarters < 2:
            raise ValueError("need at least 1 client and 2 quarters")
        if not 2 <= n_business_units <= len(names.BUSINESS_UNITS):
            raise ValueError(f"n_business_units must be in 2..{len(names.BUSINESS_UNITS)}")
        t0 = pd.Timestamp(start)
        periods = pd.period_range(t0, periods=n_quarters, freq="Q")
        return cls(
            rng=np.random.default_rng(seed),
            design=design,
            effects=effects or Effects(),
            conf=float(confounding),
            t0=t0,
            q_start=np.array([(p.start_time - t0).days for p in periods]),
            q_end=np.array([(p.end_time.normalize() - t0).days for p in periods]),
            units=list(names.BUSINESS_UNITS[:n_business_units]),
            nc=n_clients,
        )

    # calendar ----------------------------------------------------------------------------
    @property
    def nq(self) -> int:
        """Number of quarters."""
        return len(self.q_start)

    @property
    def nb(self) -> int:
        """Number of business units."""
        return len(self.units)

    @property
    def n_days(self) -> int:
        """Days in the data window."""
        return int(self.q_end[-1]) + 1

    def quarter_of(self, day):
        """Quarter index of day indices (-1 before the data)."""
        return np.searchsorted(self.q_start, day, side="right") - 1

    def uniform_day(self, k: int, n: int) -> np.ndarray:
        """``n`` days drawn uniformly within quarter ``k``."""
        return self.rng.integers(self.q_start[k], self.q_end[k] + 1, n)

    def window_sum(self, cum: np.ndarray, rows, lo, hi) -> np.ndarray:
        """Sum of a per-day matrix over days lo..hi (inclusive, clipped), from its cumsum."""
        n_days = self.n_days
        lo = np.clip(lo, 0, n_days)
        hi = np.clip(hi, -1, n_days - 1)
        upper = np.where(hi >= 0, cum[rows, np.maximum(hi, 0)], 0.0)
        lower = np.where(lo >= 1, cum[rows, np.maximum(lo - 1, 0)], 0.0)
        return np.where(hi >= lo, upper - lower, 0.0)
