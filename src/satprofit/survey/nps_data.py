"""NPS answers of a portfolio, checked and ready for :mod:`satprofit.survey.nps`.

:func:`nps_data` reads the ``surveys`` table (``response_id``, ``client_id``, ``date``,
``nps`` 0..10 nullable, ``respondent_role``) and the clients' segment column, drops the
responses without an nps answer (with a note), maps each answer to its category, attaches a
respondent weight (by role, :func:`parse_role_weights`) and the client's segment, and refuses
with a reason when no nps answer is left. Bad input raises :class:`NPSDataError` naming table,
column, rule and rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.survey.nps_core import category_codes

#: Period lengths the comparisons and trends use, with the pandas frequency behind each.
FREQUENCIES: dict[str, str] = {"quarter": "Q", "half-year": "half", "year": "Y"}
#: The segment given to clients whose segment column is empty.
NO_SEGMENT = "(none)"
#: Weight of respondents whose role has no weight of its own (or no role at all).
DEFAULT_WEIGHT = 1.0


class NPSDataError(ValueError):
    """NPS input that cannot be used: the message names table, column, rule and rows."""


class NoNPSAnswers(NPSDataError):
    """The data hold no nps answer (at all, or in the group asked for): a refusal, not a
    number."""


@dataclass(frozen=True)
class NPSData:
    """Checked nps answers, one row per response with an answer.

    Attributes
    ----------
    frame : DataFrame
        ``response_id``, ``client_id``, ``date``, ``nps`` (int), ``category`` (0 detractor, 1
        passive, 2 promoter), ``role`` (text, ``""`` when missing), ``weight``, ``segment``.
    clients : DataFrame
        Every client of the portfolio: ``client_id`` and ``segment`` (clients without an
        answer included, so the pooled table lists them with ``n = 0``).
    segment_column : str
        The clients column the segments come from.
    role_weights : dict or None
        The weights given, by role as written in the data.
    n_ignored : int
        Responses without an nps answer (left out).
    notes : list of str
    """

    frame: pd.DataFrame
    clients: pd.DataFrame
    segment_column: str
    role_weights: dict[str, float] | None = None
    n_ignored: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def weighted(self) -> bool:
        return self.role_weights is not None

    def subset(self, mask) -> NPSData:
        """The same data restricted to the rows of ``mask`` (notes kept)."""
        return NPSData(
            self.frame[np.asarray(mask, bool)].reset_index(drop=True),
            self.clients,
            self.segment_column,
            self.role_weights,
            self.n_ignored,
            list(self.notes),
        )


def parse_role_weights(spec) -> dict[str, float] | None:
    """Role weights from a dict or a JSON object text (``'{"executive sponsor": 2}'``).

    Raises
    ------
    NPSDataError
        Not an object of role -> finite number > 0.
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as err:
            raise NPSDataError(
                f"role weights {spec!r}: not valid JSON ({err.msg}); give an object such as "
                '\'{"executive sponsor": 2, "end user": 1}\''
            ) from None
    if not isinstance(spec, dict) or not spec:
        raise NPSDataError(
            "role weights: give a non-empty object of respondent role -> weight, e.g. "
            '{"executive sponsor": 2, "end user": 1}'
        )
    out = {}
    for role, w in spec.items():
        ok = isinstance(w, int | float) and not isinstance(w, bool)
        if not ok or not math.isfinite(w) or w <= 0:
            raise NPSDataError(f"role weights: weight of {role!r} is {w!r}; rule: a number > 0")
        out[str(role)] = float(w)
    return out


def _key(role: object) -> str:
    return " ".join(str(role).split()).casefold()


def _weights(roles: pd.Series, role_weights: dict[str, float] | None, notes: list) -> np.ndarray:
    """Each response's weight; roles are matched ignoring case and extra spaces."""
    if role_weights is None:
        return np.ones(len(roles))
    given = {_key(r): w for r, w in role_weights.items()}
    keys = roles.map(_key)
    unknown = sorted(r for r in role_weights if _key(r) not in set(keys))
    if unknown:
        known = sorted({r for r in roles if r})
        raise NPSDataError(
            f"surveys.respondent_role: no response has the role(s) {unknown} given weights "
            f"(rule: each weighted role appears in the data; roles there: {known})"
        )
    w = keys.map(given).fillna(DEFAULT_WEIGHT).to_numpy(float)
    rest = sorted({r or "(no role)" for r, k in zip(roles, keys, strict=True) if k not in given})
    if rest:
        notes.append(f"roles without a weight of their own count {DEFAULT_WEIGHT:g}: {rest}")
    return w


def _check_scores(sv: pd.DataFrame) -> pd.Series:
    """The nps column as float (NaN: no answer), or an error naming rows outside 0..10."""
    raw = sv["nps"]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = (raw.notna() & num.isna()) | (num.notna() & ((num < 0) | (num > 10) | (num % 1 != 0)))
    if bad.any():
        ids = sv["response_id"] if "response_id" in sv.columns else pd.Series(sv.index)
        pairs = zip(ids[bad.to_numpy()].head(5), raw[bad].head(5), strict=True)
        eg = [f"{i}: {v!r}" for i, v in pairs]
        raise NPSDataError(
            f"surveys.nps: {int(bad.sum())} row(s) with a value that is not a whole number "
            f"0..10 (rule: nps is 0..10 or empty), e.g. response {'; '.join(eg)}"
        )
    return num


def nps_data(
    portfolio,
    *,
    segment: str = "size_band",
    role_weights=None,
    clients: pd.DataFrame | None = None,
) -> NPSData:
    """The checked nps answers of a portfolio.

    Parameters
    ----------
    portfolio : Portfolio or DataFrame
        A loaded portfolio (:func:`satprofit.io.load_portfolio`), or a ``surveys`` frame (then
        give ``clients`` for segments other than a column of the frame itself).
    segment : str
        Column of ``clients`` that groups clients for partial pooling (default
        ``size_band``; any clients column, e.g. ``industry``).
    role_weights : dict or JSON text, optional
        Weight per ``respondent_role`` (e.g. ``{"executive sponsor": 2}``); other roles and
        responses without a role weigh 1. Intervals then use Kish's effective sample size.
    clients : DataFrame, optional
        The clients table when ``portfolio`` is a surveys frame.

    Raises
    ------
    NPSDataError
        A column is missing, an nps value is outside 0..10, the segment column does not exist,
        or a weighted role never occurs.
    NoNPSAnswers
        No response has an nps answer.
    """
    if isinstance(portfolio, pd.DataFrame):
        sv = portfolio
    else:
        sv, clients = portfolio.surveys, portfolio.clients
    missing = [c for c in ("client_id", "date", "nps") if c not in sv.columns]
    if missing:
        raise NPSDataError(
            f"surveys: column(s) {missing} missing (rule: the surveys table has them)"
        )
    weights_given = parse_role_weights(role_weights)
    if clients is None:
        if segment not in sv.columns:
            raise NPSDataError(f"segment {segment!r}: give the clients table, or a surveys column")
        clients = sv[["client_id", segment]].drop_duplicates("client_id")
    if segment not in clients.columns:
        cols = [c for c in clients.columns if c != "client_id"]
        raise NPSDataError(
            f"clients.{segment}: no such column to group clients by (rule: the segment is a "
            f"clients column; there are {cols})"
        )
    notes: list[str] = []
    seg = clients[segment].astype("string").fillna(NO_SEGMENT).astype(str)
    cl = pd.DataFrame({"client_id": clients["client_id"].astype(str), "segment": seg.to_numpy()})
    cl = cl.sort_values("client_id").reset_index(drop=True)
    if (cl["segment"] == NO_SEGMENT).any():
        n = int((cl["segment"] == NO_SEGMENT).sum())
        notes.append(f"{n} client(s) without a {segment} form the segment {NO_SEGMENT!r}")
    score = _check_scores(sv)
    has = score.notna().to_numpy()
    n_ignored = int((~has).sum())
    if not has.any():
        raise NoNPSAnswers(
            f"surveys.nps: none of the {len(sv)} responses has an nps answer (0..10), so there "
            "is no NPS to compute"
        )
    if n_ignored:
        notes.append(
            f"{n_ignored} of {len(sv)} responses have no nps answer and are left out (their "
            "csat still counts elsewhere)"
        )
    d = sv[has]
    roles = (
        d["respondent_role"].astype("string").fillna("").astype(str)
        if "respondent_role" in d.columns
        else pd.Series("", index=d.index)
    )
    unknown_clients = sorted(set(d["client_id"].astype(str)) - set(cl["client_id"]))
    if unknown_clients:
        raise NPSDataError(
            f"surveys.client_id: {len(unknown_clients)} client(s) not in clients "
            f"(rule: each response's client is a clients row), e.g. {unknown_clients[:5]}"
        )
    frame = pd.DataFrame(
        {
            "response_id": (d["response_id"] if "response_id" in d else d.index).astype(str),
            "client_id": d["client_id"].astype(str).to_numpy(),
            "date": pd.to_datetime(d["date"]).to_numpy(),
            "nps": score[has].astype(int).to_numpy(),
            "category": category_codes(score[has].to_numpy()),
            "role": roles.to_numpy(),
            "weight": _weights(roles, weights_given, notes),
        }
    )
    frame["segment"] = frame["client_id"].map(cl.set_index("client_id")["segment"]).to_numpy()
    return NPSData(frame, cl, segment, weights_given, n_ignored, notes)


def period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """Calendar period of each date: ``2024Q3``, ``2024-H2`` or ``2024``."""
    if freq not in FREQUENCIES:
        raise ValueError(f"period {freq!r}: give one of {list(FREQUENCIES)}")
    dates = pd.to_datetime(pd.Series(dates))
    if freq == "half-year":
        half = np.where(dates.dt.month <= 6, "H1", "H2")
        return dates.dt.year.astype(str) + "-" + pd.Series(half, index=dates.index)
    return dates.dt.to_period(FREQUENCIES[freq]).astype(str)


def previous_period(label: str, freq: str) -> str:
    """The calendar period before ``label`` (same format as :func:`period_labels`)."""
    if freq == "half-year":
        year, half = label.split("-H")
        return f"{year}-H1" if half == "2" else f"{int(year) - 1}-H2"
    return str(pd.Period(label, FREQUENCIES[freq]) - 1)
