"""Survey responses in wide form: one row per respondent, one numeric column per item.

:func:`read_survey` reads a CSV, TSV, Parquet or Excel file with the readers of
:mod:`satprofit.io.readers` (encodings, delimiters, line numbers) and :func:`check_items` checks
the item columns a spec names; every problem (file, column, rule, rows with examples) is listed
in one :class:`SurveyDataError`. Columns the spec does not name (ids, gender, ...) are ignored.

A portfolio's optional ``survey_items`` table (long: one row per response and item) becomes the
same wide frame through :func:`wide_items`; :func:`read_portfolio_survey` loads a portfolio
folder and checks its items against a spec (``satprofit paths FOLDER --spec ...``), keeping each
response's client (:attr:`SurveyData.clients`) for the multilevel path model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from satprofit.io.portfolio import Portfolio
from satprofit.io.readers import read_table_file
from satprofit.io.validation import Origin, Problem
from satprofit.survey.spec import SurveySpec

_TABLE = "survey"
#: Example rows shown per problem.
_N_EXAMPLES = 5


class SurveyDataError(ValueError):
    """Survey data that cannot be analysed; every problem is listed.

    Attributes
    ----------
    problems : list of Problem
        File, column, rule, number of rows and examples of each problem.
    source : str
        The data file as shown to the user.
    """

    def __init__(self, problems: list[Problem], source: str):
        self.problems, self.source = list(problems), source
        n = len(self.problems)
        lines = [f"survey data {source}: {n} problem{'s' if n != 1 else ''}"]
        for p in self.problems:
            where = f"{p.file or source}: column {p.column}" if p.column else p.file or source
            rows = f"; {p.n_rows} row{'s' if p.n_rows != 1 else ''}" if p.n_rows else ""
            eg = f", e.g. {'; '.join(p.examples)}" if p.examples else ""
            lines.append(f"  {where}: {p.rule}{rows}{eg}")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class SurveyData:
    """The item columns of a survey file, checked against a spec.

    Attributes
    ----------
    items : DataFrame
        One float column per item of the spec, in the spec's order; one row per respondent.
    source : str
        The file as shown in messages.
    notes : list of str
        How the file was read (legacy encoding, delimiter, renamed header cells).
    clients : Series or None
        The client (``surveys.client_id``, str) of each row of ``items``, aligned with it, when
        the data come from a portfolio (:func:`read_portfolio_survey`); None for a survey file
        (no respondent -> client link: the multilevel path model then fits one level).
    """

    items: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)
    clients: pd.Series | None = None


def read_survey(path: str | Path, spec: SurveySpec, *, encoding: str | None = None) -> SurveyData:
    """Read a survey file and check the items ``spec`` names.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv``, ``.parquet`` or ``.xlsx`` file with one row per respondent.
    spec : SurveySpec
        Names the item columns.
    encoding : str, optional
        Encoding of a text file that is not UTF-8 (``cp1252``).

    Raises
    ------
    SurveyDataError
        The file cannot be read, or item values are missing, not numeric or constant.
    SpecError
        An item column of the spec is not in the file.
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        rule = "no such file" if not path.exists() else "not a file"
        raise SurveyDataError([Problem(_TABLE, None, rule, file=shown)], shown)
    raw = read_table_file(path, _TABLE, expected=spec.items, encoding=encoding, shown=shown)
    if raw.problems or raw.frame is None:
        raise SurveyDataError(raw.problems, shown)
    items = check_items(raw.frame, spec, shown, origin=raw.origin)
    return SurveyData(items, shown, list(raw.notes))


def wide_items(portfolio: Portfolio) -> pd.DataFrame:
    """The portfolio's ``survey_items`` as one row per response and one column per item.

    Parameters
    ----------
    portfolio : Portfolio
        A validated portfolio (its ``survey_items`` may be empty).

    Returns
    -------
    DataFrame
        Indexed by ``response_id`` in ``surveys`` order (responses with at least one item),
        one float column per item in order of first appearance; NaN where a response lacks an
        item.
    """
    long = portfolio.survey_items
    order = pd.Index(portfolio.surveys["response_id"].astype(str))
    ids = long["response_id"].astype(str)
    wide = long.assign(response_id=ids).pivot(index="response_id", columns="item", values="value")
    wide = wide.reindex(index=order[order.isin(ids.unique())])
    wide = wide[list(pd.unique(long["item"].astype(str)))].astype("float64")
    wide.columns.name = None
    return wide


def read_portfolio_survey(
    folder: str | Path, spec: SurveySpec, *, encoding: str | None = None
) -> SurveyData:
    """Load a portfolio folder and check its ``survey_items`` against ``spec``.

    The result's ``clients`` gives each response's ``surveys.client_id`` (row by row).

    Raises
    ------
    DataValidationError
        The portfolio breaks the data contract.
    SurveyDataError
        It has no survey items, or the spec's items are missing for some responses.
    SpecError
        An item of the spec is not among the portfolio's items.
    """
    from satprofit.io import load_portfolio

    shown = f"{folder}/survey_items"
    portfolio = load_portfolio(folder, encoding=encoding)
    if portfolio.survey_items.empty:
        rule = "no survey items: the portfolio has no survey_items table (or it is empty)"
        raise SurveyDataError([Problem(_TABLE, None, rule, file=shown)], shown)
    # Rows of the wide frame count responses in surveys order (row 1: the first with items).
    wide = wide_items(portfolio)
    items = check_items(wide.reset_index(), spec, shown, origin=Origin(shown))
    surveys = portfolio.surveys
    client_of = pd.Series(
        surveys["client_id"].astype(str).to_numpy(),
        index=surveys["response_id"].astype(str).to_numpy(),
    )
    clients = pd.Series(client_of.reindex(wide.index).to_numpy(), name="client_id")
    return SurveyData(items, shown, list(portfolio.notes), clients=clients)


def check_items(
    frame: pd.DataFrame, spec: SurveySpec, source: str = "<data>", *, origin: Origin | None = None
) -> pd.DataFrame:
    """The spec's item columns of ``frame`` as floats, or every problem raised together.

    Parameters
    ----------
    frame : DataFrame
        Responses; text cells (as read from CSV) are parsed as numbers.
    spec : SurveySpec
        Names the items.
    source : str
        The data as shown in messages.
    origin : Origin, optional
        Line numbers of the rows (default: rows counted from 1).

    Returns
    -------
    DataFrame
        One float64 column per item, in ``spec.items`` order, with a fresh 0..n-1 index.
    """
    spec.check_columns(frame.columns, source)
    origin = origin or Origin(source)
    problems: list[Problem] = []
    out = {}
    for item in spec.items:
        col = frame[item].reset_index(drop=True)
        text = col.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        blank = text.isna() | (text == "")
        bad = ~blank & ~np.isfinite(values.to_numpy())
        _problem(problems, item, bad, text, origin, "non-numeric value: items must be numbers")
        _problem(
            problems,
            item,
            blank,
            text,
            origin,
            "missing value: PLS needs every item of every respondent (drop or impute these rows)",
        )
        ok = values[~blank & ~bad]
        if len(ok) > 1 and ok.nunique() == 1:
            problems.append(
                Problem(
                    _TABLE,
                    item,
                    f"the same value ({ok.iloc[0]:g}) in every row: a constant item measures "
                    "nothing; remove it from the spec",
                    file=source,
                )
            )
        out[item] = values
    if problems:
        raise SurveyDataError(problems, source)
    return pd.DataFrame(out)


def _problem(problems, item, mask, text, origin, rule) -> None:
    rows = np.flatnonzero(mask.to_numpy())
    if len(rows):
        examples = tuple(
            f"{origin.label(int(i))}: {text.iloc[i]!r}"
            if not pd.isna(text.iloc[i])
            else origin.label(int(i))
            for i in rows[:_N_EXAMPLES]
        )
        problems.append(Problem(_TABLE, item, rule, len(rows), examples, file=origin.file))
