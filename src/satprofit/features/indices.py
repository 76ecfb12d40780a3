"""Two composite indices for reports: delivery quality and sales engagement.

Each is a weighted mean of z-scores of its components, standardized within the portfolio (over
the client-periods where the component is observed), signed so that higher is better. Where a
component is missing the weights of the others are renormalized; where all are missing the
index is missing. Models use the components, not the indices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Components of the delivery quality index: column -> signed weight.
DELIVERY_QUALITY_WEIGHTS: dict[str, float] = {
    "ontime_rate_trailing": 0.4,
    "cost_overrun_trailing": -0.2,
    "schedule_slip_days_trailing": -0.2,
    "escalations_per_project_trailing": -0.2,
}

#: Components of the sales engagement index: column -> signed weight.
SALES_ENGAGEMENT_WEIGHTS: dict[str, float] = {
    "status_reports_by_sales_trailing": 0.3,
    "joint_engagements_trailing": 0.2,
    "sales_meetings_with_delivery_trailing": 0.2,
    "sales_escalation_share_trailing": 0.15,
    "signoff_share_trailing": 0.15,
}


def composite_index(panel: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted mean of signed z-scores of ``weights``' columns (see module docstring)."""
    num = np.zeros(len(panel))
    den = np.zeros(len(panel))
    for col, wt in weights.items():
        x = panel[col].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if ok.sum() < 2:
            continue
        sd = x[ok].std()
        z = np.zeros_like(x) if sd == 0 else (x - x[ok].mean()) / sd
        num += np.where(ok, wt * np.nan_to_num(z), 0.0)
        den += np.where(ok, abs(wt), 0.0)
    out = np.full(len(panel), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return pd.Series(out, index=panel.index)


def add_indices(panel: pd.DataFrame) -> pd.DataFrame:
    """Return ``panel`` with ``delivery_quality_index`` and ``sales_engagement_index``."""
    return panel.assign(
        delivery_quality_index=composite_index(panel, DELIVERY_QUALITY_WEIGHTS),
        sales_engagement_index=composite_index(panel, SALES_ENGAGEMENT_WEIGHTS),
    )
