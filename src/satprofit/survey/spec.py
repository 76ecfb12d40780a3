"""The survey spec: which items measure which construct, and the structural paths between them.

A spec is a small YAML file::

    name: ecsi
    constructs:
      IMAG: {label: Image, mode: A, items: [imag1, imag2, imag3, imag4, imag5]}
      EXPE: {label: Expectations, mode: A, items: [expe1, expe2, expe3, expe4, expe5]}
      ...
    paths:
      IMAG: [EXPE, SAT, LOY]    # cause -> the constructs it directly affects
      ...

A construct may also be given as its item list alone (``VAL: [val1, val2]``). A construct may
name the question of QUESTIONS.md whose total effect is its own effect (``question:
quality_to_csat``: key-driver analysis then calls its importance causal) and the question
outcome it measures (``measures: csat``); both are checked against :data:`QUESTION_OUTCOMES`.
Only mode ``A``
(reflective measurement) is supported. The structural model must be acyclic and every construct
must take part in at least one path (PLS estimates a construct's weights from its neighbours).

:func:`load_spec` reads and validates a spec; every broken rule raises :class:`SpecError`
naming the spec file, the key and the rule. Specs shipped with satprofit (:data:`SHIPPED_SPECS`)
are loaded by name: ``load_spec("ecsi")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

#: Specs shipped as package data (``satprofit/survey/specs/<name>.yaml``), loadable by name.
SHIPPED_SPECS: tuple[str, ...] = ("ecsi", "satprofit_survey")
#: Measurement modes supported (A: reflective; the items reflect the construct).
MODES: tuple[str, ...] = ("A",)

_TOP_KEYS = ("name", "description", "constructs", "paths")
_CONSTRUCT_KEYS = ("label", "mode", "items", "question", "measures")

#: What each question id's outcome measures (QUESTIONS.md), so that a driver construct's
#: ``question`` counts as the causal effect on an outcome construct only when that construct
#: ``measures`` the same thing: quality_to_csat gives delivery quality's total effect on csat,
#: not on loyalty or repeat business. Keyed by every id of :data:`satprofit.questions.QUESTIONS`.
QUESTION_OUTCOMES: dict[str, str] = {
    "presales_signoff": "ontime",
    "quality_to_csat": "csat",
    "status_reports_to_csat": "csat",
    "sales_in_escalations": "csat",
    "csat_to_repeat": "repeat",
    "quality_to_repeat": "repeat",
    "delivery_bonus_to_leads": "leads",
}


class SpecError(ValueError):
    """A survey spec breaks a rule.

    Attributes
    ----------
    file : str
        The spec file as shown to the user.
    key : str
        Where in the spec (``constructs.IMAG.items``, ``paths.SAT``).
    rule : str
        The rule broken, in plain words.
    """

    def __init__(self, file: str, key: str, rule: str):
        self.file, self.key, self.rule = file, key, rule
        super().__init__(f"{file}: {key}: {rule}")


@dataclass(frozen=True)
class Construct:
    """One construct (latent variable) and the item columns that measure it."""

    name: str
    items: tuple[str, ...]
    mode: str = "A"
    label: str = ""
    question: str | None = None
    measures: str | None = None


@dataclass(frozen=True)
class SurveySpec:
    """A validated construct map and structural model.

    Attributes
    ----------
    constructs : tuple of Construct
        In causal order: every construct after the constructs it depends on (ties kept in the
        spec's order).
    paths : tuple of (str, str)
        ``(cause, effect)`` pairs, in the order of ``constructs`` (by effect, then cause).
    name : str
        The spec's name.
    source : str
        The file it was read from, as shown in messages.
    """

    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    name: str = ""
    source: str = "<spec>"

    @property
    def names(self) -> list[str]:
        """Construct names in causal order."""
        return [c.name for c in self.constructs]

    @property
    def items(self) -> list[str]:
        """Every item column, construct by construct."""
        return [item for c in self.constructs for item in c.items]

    def construct(self, name: str) -> Construct:
        """The construct called ``name``."""
        for c in self.constructs:
            if c.name == name:
                return c
        raise KeyError(f"{self.source}: no construct {name!r} (constructs: {self.names})")

    def causes(self, name: str) -> list[str]:
        """The constructs with a direct path into ``name``, in causal order."""
        return [a for a, b in self.paths if b == name]

    @property
    def endogenous(self) -> list[str]:
        """Constructs with at least one path into them, in causal order."""
        return [n for n in self.names if self.causes(n)]

    @cached_property
    def path_matrix(self) -> np.ndarray:
        """``M[effect, cause] = 1`` for every path, in the order of :attr:`names`: lower
        triangular, as plspm's ``path_matrix``."""
        index = {n: i for i, n in enumerate(self.names)}
        m = np.zeros((len(index), len(index)), dtype=np.int64)
        for a, b in self.paths:
            m[index[b], index[a]] = 1
        return m

    def reachable(self, min_steps: int = 1) -> list[tuple[str, str]]:
        """(cause, effect) pairs joined by a chain of at least ``min_steps`` paths, in causal
        order (by cause, then effect): the pairs with a total (``min_steps=1``) or an indirect
        (``min_steps=2``) effect."""
        names = self.names
        step = self.path_matrix
        reach = np.linalg.matrix_power(step, min_steps)
        power = reach
        for _ in names:
            power = power @ step
            reach = reach + power
        return [
            (names[a], names[b])
            for a in range(len(names))
            for b in range(len(names))
            if reach[b, a]
        ]

    def check_columns(self, columns: Iterable[str], data_file: str) -> None:
        """Raise :class:`SpecError` naming the first construct whose item columns are missing.

        Parameters
        ----------
        columns : iterable of str
            The data's column names.
        data_file : str
            The data file as shown to the user.
        """
        present = set(columns)
        for c in self.constructs:
            missing = [item for item in c.items if item not in present]
            if missing:
                raise SpecError(
                    self.source,
                    f"constructs.{c.name}.items",
                    f"unknown item column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(map(repr, missing))}: not a column of {data_file} "
                    f"(its columns: {_shortlist(columns)})",
                )


def load_spec(spec: str | Path) -> SurveySpec:
    """Read and validate a survey spec.

    Parameters
    ----------
    spec : str or Path
        A YAML file, or the name of a shipped spec (:data:`SHIPPED_SPECS`, e.g. ``"ecsi"``).

    Returns
    -------
    SurveySpec

    Raises
    ------
    SpecError
        When the file cannot be read or breaks a rule: the message names the file, the key and
        the rule.
    """
    path = Path(spec)
    if not path.exists() and str(spec) in SHIPPED_SPECS:
        resource = resources.files("satprofit.survey") / "specs" / f"{spec}.yaml"
        return parse_spec(resource.read_text(encoding="utf-8"), f"{spec}.yaml (shipped)")
    shown = str(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        hint = f"; shipped specs: {', '.join(SHIPPED_SPECS)}" if not path.exists() else ""
        reason = getattr(exc, "strerror", None) or exc
        raise SpecError(shown, "(file)", f"cannot be read: {reason}{hint}") from exc
    return parse_spec(text, shown)


def parse_spec(text: str, source: str = "<spec>") -> SurveySpec:
    """Validate a spec given as YAML text; ``source`` names it in messages (see :func:`load_spec`)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(source, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise SpecError(source, "(top level)", "must be a mapping with 'constructs' and 'paths'")
    _no_unknown_keys(raw, _TOP_KEYS, source, "(top level)")
    constructs = _constructs(raw.get("constructs"), source)
    paths = _paths(raw.get("paths"), [c.name for c in constructs], source)
    order = _causal_order([c.name for c in constructs], paths, source)
    by_name = {c.name: c for c in constructs}
    rank = {n: i for i, n in enumerate(order)}
    paths = sorted(paths, key=lambda p: (rank[p[1]], rank[p[0]]))
    return SurveySpec(
        constructs=tuple(by_name[n] for n in order),
        paths=tuple(paths),
        name=str(raw.get("name") or Path(source).stem),
        source=source,
    )


def _no_unknown_keys(raw: Mapping, allowed: tuple[str, ...], source: str, key: str) -> None:
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        raise SpecError(
            source, key, f"unknown key(s) {', '.join(map(repr, unknown))} (allowed: {allowed})"
        )


def _name(value: object, source: str, key: str, what: str) -> str:
    """A construct or item name: text (a whole number is taken as its text)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SpecError(
            source, key, f"{what} {value!r} must be text (quote it: YAML reads yes/no as booleans)"
        )
    text = str(value).strip()
    if not text:
        raise SpecError(source, key, f"{what} is empty")
    return text


def _constructs(raw: object, source: str) -> list[Construct]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(
            source, "constructs", "must map each construct to its items, e.g. IMAG: [imag1, imag2]"
        )
    out: list[Construct] = []
    owner: dict[str, str] = {}
    for key, body in raw.items():
        name = _name(key, source, "constructs", "construct name")
        where = f"constructs.{name}"
        if isinstance(body, list):
            body = {"items": body}
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise SpecError(source, where, "must be a mapping with 'items' (and 'mode', 'label')")
        _no_unknown_keys(body, _CONSTRUCT_KEYS, source, where)
        items_raw = body.get("items")
        if isinstance(items_raw, str | int) and not isinstance(items_raw, bool):
            items_raw = [items_raw]
        if not items_raw:
            raise SpecError(
                source,
                f"{where}.items",
                "construct without items: list the item columns that measure it",
            )
        if not isinstance(items_raw, list):
            raise SpecError(source, f"{where}.items", "must be a list of item column names")
        items = [_name(i, source, f"{where}.items", "item") for i in items_raw]
        for item in items:
            if item in owner:
                other = owner[item]
                rule = (
                    f"item {item!r} listed twice"
                    if other == name
                    else f"item {item!r} is already an item of {other}: an item measures one "
                    "construct"
                )
                raise SpecError(source, f"{where}.items", rule)
            owner[item] = name
        mode = str(body.get("mode", "A")).strip()
        if mode not in MODES:
            raise SpecError(
                source,
                f"{where}.mode",
                f"mode {mode!r} is not supported: only mode A (reflective) is",
            )
        label = body.get("label")
        question = _optional(body, "question", tuple(QUESTION_OUTCOMES), source, where)
        measures = _optional(
            body, "measures", tuple(dict.fromkeys(QUESTION_OUTCOMES.values())), source, where
        )
        out.append(
            Construct(
                name, tuple(items), mode, "" if label is None else str(label), question, measures
            )
        )
    return out


def _optional(
    body: Mapping, key: str, allowed: tuple[str, ...], source: str, where: str
) -> str | None:
    """An optional text value of a construct, one of ``allowed`` (None when absent)."""
    value = body.get(key)
    if value is None:
        return None
    text = _name(value, source, f"{where}.{key}", key)
    if text not in allowed:
        what = "question id of QUESTIONS.md" if key == "question" else "question outcome"
        raise SpecError(
            source, f"{where}.{key}", f"{text!r} is not a {what} (one of: {', '.join(allowed)})"
        )
    return text


def _paths(raw: object, names: list[str], source: str) -> list[tuple[str, str]]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(
            source, "paths", "must map each cause to the constructs it affects, e.g. IMAG: [SAT]"
        )
    known = set(names)
    paths: list[tuple[str, str]] = []
    for key, targets in raw.items():
        cause = _name(key, source, "paths", "construct name")
        where = f"paths.{cause}"
        if cause not in known:
            raise SpecError(
                source, where, f"path from unknown construct {cause!r} (constructs: {names})"
            )
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, list) or not targets:
            raise SpecError(source, where, "must list the constructs it affects, e.g. [SAT, LOY]")
        for t in targets:
            effect = _name(t, source, where, "construct name")
            if effect not in known:
                raise SpecError(
                    source, where, f"path to unknown construct {effect!r} (constructs: {names})"
                )
            if (cause, effect) in paths:
                raise SpecError(source, where, f"path {cause} -> {effect} listed twice")
            paths.append((cause, effect))
    linked = {n for p in paths for n in p}
    for n in names:
        if n not in linked:
            raise SpecError(
                source,
                "paths",
                f"construct {n} is in no path: PLS estimates a construct from its neighbours in "
                "the structural model, so each construct needs at least one path",
            )
    return paths


def _causal_order(names: list[str], paths: list[tuple[str, str]], source: str) -> list[str]:
    """Topological order (spec order among ties); a cycle raises naming it."""
    remaining = list(names)
    order: list[str] = []
    while remaining:
        ready = [n for n in remaining if not any(b == n and a in remaining for a, b in paths)]
        if not ready:
            cycle = _a_cycle(remaining, paths)
            raise SpecError(
                source,
                f"paths.{cycle[0]}",
                f"cyclic paths {' -> '.join(cycle)}: the structural model must be acyclic "
                "(no construct may affect itself through other constructs)",
            )
        order.append(ready[0])
        remaining.remove(ready[0])
    return order


def _a_cycle(nodes: list[str], paths: list[tuple[str, str]]) -> list[str]:
    """One cycle among ``nodes`` (each has a cause among them), closed: ``[A, B, A]``."""
    cause = {b: a for a, b in paths if a in nodes and b in nodes}
    walk = [nodes[0]]
    while walk[-1] not in walk[:-1]:
        walk.append(cause[walk[-1]])
    start = walk.index(walk[-1])
    return list(reversed(walk[start:]))


def _shortlist(columns: Iterable[str], n: int = 12) -> str:
    cols = [str(c) for c in columns]
    head = ", ".join(cols[:n])
    return head + (f", ... ({len(cols)} in all)" if len(cols) > n else "")
