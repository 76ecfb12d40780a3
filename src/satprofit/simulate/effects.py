"""True causal parameters of the synthetic portfolio, with their defaults and sources.

The structural model is written in :mod:`satprofit.simulate.generator`. The parameters here are
structural coefficients on their own scales (log-odds, log-rates, the latent scale of the
ordinal satisfaction model); the estimands of QUESTIONS.md, in their stated units, are computed
from them *by intervention* in :mod:`satprofit.simulate.truth`, never read off a parameter.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Effects:
    """Structural effect sizes of the synthetic portfolio.

    Defaults are set to the order of magnitude reported in published work; none of those
    studies measured exactly these levers in exactly these units, so they anchor plausibility,
    not a claim.

    Parameters
    ----------
    signoff_logit : float
        Delivery sign-off in pre-sales, on the log-odds of each milestone being on time.
        Default 0.6 (about +10 pp at a 75 % base rate): clear requirements and realistic plans
        are among the top project success factors in the Standish Group CHAOS reports
        (2015 edition: projects with clear requirements succeed roughly 1.5-2x as often).
    quality_csat : float
        Latent satisfaction (logit scale of the cumulative-logit csat model) per +10 pp of the
        project's on-time milestone rate. Default 0.30: delivery reliability is the strongest
        SERVQUAL dimension of service satisfaction (Parasuraman, Zeithaml & Berry 1988;
        Zeithaml, Berry & Parasuraman 1996).
    status_report_csat : float
        Latent satisfaction per +1 business status report a month from sales during a project.
        Default 0.40, in the range of communication-frequency effects on B2B relationship
        satisfaction in Palmatier, Dant, Grewal & Evans (2006, meta-analysis, J. Marketing).
    escalation_severity : tuple of float
        Latent satisfaction lost per escalation in the 90 days before a response, by severity
        low, medium, high, critical. Default (0.15, 0.35, 0.70, 1.10).
    sales_in_escalation_csat : float
        Latent satisfaction recovered when sales takes part in handling an escalation. Default
        0.45: service-recovery involvement of senior contacts (Smith, Bolton & Wagner 1999;
        meta-analysis Orsingher, Valentini & de Angelis 2010) recovers about half of the loss.
    csat_repeat_lograte : float
        Log-rate of won repeat-business deals in a quarter per +1 point of the client's trailing
        4-quarter mean csat. Default 0.35 (x1.42 per point): satisfaction-repurchase links of
        this size in Mittal & Kamakura (2001) and Bolton (1998).
    quality_repeat_lograte : float
        Direct log-rate effect of the client's trailing mean on-time rate on repeat deals, per
        +10 pp (the delivery record seen by procurement). Default 0.08.
    csat_margin : float
        Planned margin of a repeat deal per +1 point of trailing csat (satisfied clients accept
        better prices). Default 0.03, i.e. 3 pp: satisfaction lowers price sensitivity
        (Homburg, Koschate & Hoyer 2005, J. Marketing).
    delivery_bonus_lograte : float
        Log-rate of delivery-sourced leads while a delivery lead bonus is in force. Default
        log(1.44): the 44 % output gain after Safelite moved to performance pay (Lazear 2000,
        AER).
    delivery_bonus_spread : float
        Business units differ: each unit's bonus effect is the default times a multiplier drawn
        uniformly in [1 - spread, 1 + spread]. In its first quarter a policy has 60 % of its
        effect. Default 0.5.
    """

    signoff_logit: float = 0.6
    quality_csat: float = 0.30
    status_report_csat: float = 0.40
    escalation_severity: tuple[float, float, float, float] = (0.15, 0.35, 0.70, 1.10)
    sales_in_escalation_csat: float = 0.45
    csat_repeat_lograte: float = 0.35
    quality_repeat_lograte: float = 0.08
    csat_margin: float = 0.03
    delivery_bonus_lograte: float = field(default=math.log(1.44))
    delivery_bonus_spread: float = 0.5

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        d = asdict(self)
        d["escalation_severity"] = list(self.escalation_severity)
        return d

    def scaled(self, factor: float) -> Effects:
        """All causal effects multiplied by ``factor`` (0 gives a world with no effects)."""
        return replace(
            self,
            signoff_logit=self.signoff_logit * factor,
            quality_csat=self.quality_csat * factor,
            status_report_csat=self.status_report_csat * factor,
            sales_in_escalation_csat=self.sales_in_escalation_csat * factor,
            csat_repeat_lograte=self.csat_repeat_lograte * factor,
            quality_repeat_lograte=self.quality_repeat_lograte * factor,
            csat_margin=self.csat_margin * factor,
            delivery_bonus_lograte=self.delivery_bonus_lograte * factor,
        )
