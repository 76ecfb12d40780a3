r"""The structural model of a services firm's portfolio, simulated quarter by quarter.

Every table of the data contract is drawn from one structural causal model whose exogenous
noise is kept, so :mod:`satprofit.simulate.truth` can compute every estimand of QUESTIONS.md
by intervention. The graph, in words (``conf`` scales every confounding arrow):

* Clients have a size band, an industry, a tenure and a latent relationship *health*
  (unobserved, constant per client). Delivery teams have a latent *skill* (constant per team).
* Pre-sales sign-off is likelier for skilled teams, large clients and in business units with a
  sign-off policy; it raises each milestone's on-time log-odds and cuts change requests.
* A project's on-time probability falls with client size (complexity) and rises with skill.
  Defects, change requests, overrun and escalations follow skill and size, not the realised
  on-time rate, so setting the on-time rate moves nothing but what it causes.
* Sales sends business status reports at a client-level rate that grows with size, tenure and
  the account manager's diligence (``sales_owner``), which also keeps clients happier.
* A survey response's latent satisfaction is

  .. math::

     \eta_r = a_0 + h_c + 0.3\,\text{size}_c + 0.5\,\text{tenure}_c + 0.9\,\text{owner}_c + \text{ind}_c
        + \beta_q (\text{ontime}_p - 0.75) \cdot 10 + \beta_{sr}\, \text{reports}_p
        - 0.06 (\text{defects}_p - 2)
        + \sum_{e:\ o_e < d_r \le o_e + 90} (-\kappa_{sev(e)} + \theta\, \text{sales}_e),

  and csat is ordinal: :math:`P(\text{csat} \ge k) = \text{logit}^{-1}(\eta_r - c_{k-1})`.
  Responses without a project use the client's sales status-report rate over the 91 days
  before them instead of the project terms.
* Won repeat-business deals closing in quarter :math:`k` are Poisson with

  .. math::

     \log \lambda_{ck} = \log 0.2 + 0.25\,\text{size}_c + 0.1\,\text{tenure}_c + 0.4 h_c
        + \beta_T (T_{c,k-1} - 4) + \beta_Q \cdot 10 (Q_{c,k-1} - 0.75),

  :math:`T_{c,k-1}` the client's mean csat over quarters :math:`k-4..k-1` and
  :math:`Q_{c,k-1}` the mean on-time rate of its projects finished then (3.9 and 0.75 when
  there are none); values are log-normal around a scale set by size. Their projects' planned
  margin rises by :math:`\beta_m` per csat point.
* Delivery-sourced leads per client-quarter are Poisson, multiplied by
  :math:`e^{\tau_{b,k}}` while the business unit's delivery lead bonus is in force; units that
  adopt earlier have higher lead levels (selection on levels, not trends).

Relationship health confounds satisfaction and repeat business; it is constant per client, so
client fixed effects remove it. Everything else that confounds is observed: size, tenure,
industry, delivery team, business unit, severity, time.

The simulation is a sequence of steps on one :class:`~satprofit.simulate.world.World` (the
seeded generator, the design, the tables growing): :data:`SETUP_STEPS` draw the firm
(:mod:`~satprofit.simulate.population`), :func:`simulate_quarter` runs each quarter's steps
(:mod:`~satprofit.simulate.satisfaction`, :mod:`~satprofit.simulate.deals`,
:mod:`~satprofit.simulate.delivery`, :mod:`~satprofit.simulate.contact`), and
:mod:`~satprofit.simulate.tables` writes the contract tables and the :class:`Latent` state.
The closed forms the truth shares with the generator are in :mod:`~satprofit.simulate.model`.
A new mechanism is one step function called where its draws belong (after every draw it
depends on; a step that draws nothing can go anywhere after its inputs); a design switch reads
``w.design``. The order of the draws is pinned by ``tests/simulate/test_rng_order.py``:
changing it changes every simulated world, which that test then names.
"""

from __future__ import annotations

import pandas as pd

from satprofit.constants import DEFAULT_SEED
from satprofit.simulate import contact, deals, delivery, population, satisfaction
from satprofit.simulate.designs import Design, get_design
from satprofit.simulate.effects import Effects
from satprofit.simulate.tables import Latent, build_latent, build_tables
from satprofit.simulate.world import World

#: Steps that draw the firm before the first quarter, in the order of their draws.
SETUP_STEPS = (
    population.draw_clients,
    population.draw_account_managers,
    population.draw_teams,
    population.client_satisfaction_base,
    population.draw_onboarding,
    population.draw_policies,
)


def simulate_quarter(w: World, k: int) -> None:
    """Everything that happens in quarter ``k``, in the order of the random draws.

    Responses dated up to the quarter before are complete, so their csat is drawn first and
    the trailing state before ``k`` follows; then the quarter's deals and the projects of the
    won ones (with their escalations and survey responses), the interactions, the status-report
    rates of projects finishing now, responses without a project, and leads that did not
    convert.

    Parameters
    ----------
    w : World
        The world so far; grows by quarter ``k``.
    k : int
        Quarter index.
    """
    if k >= 1:
        satisfaction.draw_satisfaction(w, k - 1)
        satisfaction.update_trailing_state(w, k)
    w.active = w.onboard_q <= k
    batch = deals.draw_deals(w, k)
    delivery.start_projects(w, batch)
    contact.draw_interactions(w, k)
    contact.close_status_report_windows(w, k)
    satisfaction.draw_client_responses(w, k)
    deals.draw_unconverted_leads(w, k)


def simulate_world(
    n_clients: int = 200,
    n_quarters: int = 12,
    seed: int = DEFAULT_SEED,
    effects: Effects | None = None,
    *,
    start: str = "2022-01-01",
    n_business_units: int = 6,
    confounding: float = 1.0,
    design: Design | str | None = None,
) -> tuple[dict[str, pd.DataFrame], Latent]:
    """Draw one portfolio from the structural model.

    Parameters
    ----------
    n_clients, n_quarters, seed, effects, start, n_business_units, confounding, design
        See :func:`satprofit.simulate.simulate_portfolio`; ``design`` switches mechanisms
        (:mod:`satprofit.simulate.designs`).

    Returns
    -------
    tables : dict of str to DataFrame
        The contract tables (dates as Timestamps, before validation).
    latent : Latent
        The quantities the truth needs.
    """
    w = World.start(
        n_clients,
        n_quarters,
        seed,
        effects,
        start=start,
        n_business_units=n_business_units,
        confounding=confounding,
        design=get_design(design),
    )
    for step in SETUP_STEPS:
        step(w)
    for k in range(w.nq):
        simulate_quarter(w, k)
    satisfaction.draw_satisfaction(w, w.nq - 1)
    return build_tables(w), build_latent(w)
