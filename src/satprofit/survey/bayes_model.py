r"""The Bayesian multilevel ordinal path model of a survey spec, as a PyMC model.

:func:`encode_items` turns the item columns into ordinal codes (with the client of each
respondent when there is one); :func:`build_model` writes the model. The results (standardized
paths, effects, R-squared) are computed from its draws in :mod:`satprofit.survey.bayes_paths`.

The model, for respondent :math:`r` of client :math:`c(r)`, constructs in causal order:

.. math::

   \zeta_r &= (L z^{exo}_r,\ z^{endo}_r) + \tau \circ u_{c(r)}, \qquad
       z \sim N(0, 1),\ u_c \sim N(0, I),\\
   \eta_r &= B \eta_r + \zeta_r \quad\text{(solved in causal order: } B \text{ strictly lower
       triangular)},\\
   P(x_{rj} \le k) &= \operatorname{logit}^{-1}(\kappa_{jk} - \lambda_j \eta_{r, c(j)}).

- Exogenous constructs (no path into them) have respondent-level variance 1 and correlation
  :math:`LL^\top \sim \text{LKJ}(2)` (with two or more of them), :math:`L` built from
  canonical partial correlations (:func:`lkj_cholesky`).
- An endogenous construct is its causes times the path coefficients :math:`B` plus a
  respondent-level residual of variance **fixed at 1** plus its client's effect.
- Client effects (respondents nested in clients) on the **endogenous** constructs, non-centred:
  :math:`\tau_k u_{ck}`, :math:`\tau_k \sim \text{HalfNormal}(0.5)` (in units of the
  respondent-level residual); ``client_effects="all"`` puts them on every construct (an
  exogenous construct's client-level variance is otherwise part of its respondent-level
  variance; measured slower: on the 300-client portfolio the split of each respondent's
  exogenous construct between its own part and its client's is a ridge the sampler crosses
  with the longest trajectories). Without clients (a survey file such as ECSI) the term is
  left out: the single-level model.
- Ordinal items: cumulative logit with item-specific cutpoints :math:`\kappa_j` on the item's
  observed categories (see :func:`encode_items`; each item's middle cutpoint and log gaps
  outward from it), loadings :math:`\lambda_j > 0` (``LogNormal(log 2, 0.75)``: positive
  loadings fix each construct's sign).

**Identification.** Location: constructs have mean 0 (the cutpoints carry the items' levels).
Scale: the respondent-level variance of each exogenous construct and the residual variance of
each endogenous construct are fixed at 1 (no loading is fixed), so the respondents' constructs
are sampled non-centred as standard normals. The raw coefficients are on those arbitrary
scales; the reported paths are **standardized** from each draw's model-implied covariance
:math:`\Sigma = (I - B)^{-1} (\Psi + T) (I - B)^{-\top}` (:math:`\Psi`: exogenous correlations
and unit residuals, :math:`T`: client variances :math:`\tau^2`) with
:math:`B^*_{kj} = B_{kj} \sqrt{\Sigma_{jj} / \Sigma_{kk}}`: the coefficients of a regression of
standardized constructs on standardized causes, PLS's scale.

Measured alternatives (ECSI, one chain of 300 draws): the same model with centred constructs
mixes far worse (ESS 2 for EXPE -> QUAL: a collective rescaling of every respondent's construct
against its loadings is left for the sampler), and so does a marker-item identification with
centred constructs (ESS 9-21 on several paths, a funnel between small residual scales and the
constructs); the non-centred unit-variance model needs longer trajectories (tree depth 7) but
gives the best effective sample size per second. Also measured and not kept (ECSI, nutpie, 2 x
1,000 draws): path coefficients on Gram-Schmidt-orthogonalized causes (removes the -0.85
posterior correlation of EXPE's and QUAL's effects on VAL and SAT, but the slow direction is
the coupling of those effects with the respondents' QUAL values: min ESS 123 vs 119, 3.5 times
slower per draw); PyMC's ``LKJCholeskyCov`` (its standard deviations, unused by the model,
make a funnel with the correlations: 18 to 40 divergences on the 300-client portfolio, none
with :func:`lkj_cholesky`).

A construct needs two items or more: with one, the item's noise and the construct's variance
cannot be told apart (:class:`BayesPathDataError`; PLS takes single items).

**Scaling.** One vectorized ordinal log-density over every respondent x item cell, gathered with
index arrays; per-respondent constructs are not kept in the trace (``pm.sample(var_names=)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from satprofit.ordinal import ordinal_logit_logp
from satprofit.survey.spec import SurveySpec

#: A category answered by fewer respondents than this is merged into its neighbour.
MIN_CATEGORY_COUNT = 3
#: Most distinct answers an item may have (a rating scale, not a continuous measure).
MAX_CATEGORIES = 21
#: Where client effects enter: the endogenous constructs only (default) or every construct.
CLIENT_EFFECTS = ("endogenous", "all")
#: Fewest respondents a model is fitted on.
MIN_RESPONDENTS = 10
#: pi^2 / 3: variance of the standard logistic error of the cumulative logit.
LOGISTIC_VARIANCE = float(np.pi**2 / 3)


@dataclass(frozen=True)
class Priors:
    """Prior scales of the path model (see the module doc for where each enters).

    Attributes
    ----------
    path_sigma : float
        ``Normal(0, path_sigma)`` on the raw path coefficients (a construct's residual
        variance is 1: a coefficient of 1.5 from one unit-variance cause is a standardized
        path of 0.83).
    loading_mu, loading_sigma : float
        ``LogNormal(loading_mu, loading_sigma)`` on the loadings (logit scale).
    client_sigma : float
        ``HalfNormal(client_sigma)`` on the client-effect standard deviations.
    lkj_eta : float
        LKJ shape of the exogenous constructs' correlation (2: mild shrinkage toward 0).
    cut_sigma : float
        ``Normal(0, cut_sigma)`` on each item's first cutpoint.
    gap_sigma : float
        ``Normal(0, gap_sigma)`` on the log distances between consecutive cutpoints.
    """

    path_sigma: float = 1.5
    loading_mu: float = float(np.log(2.0))
    loading_sigma: float = 0.75
    client_sigma: float = 0.5
    lkj_eta: float = 2.0
    cut_sigma: float = 5.0
    gap_sigma: float = 1.5


class BayesPathDataError(ValueError):
    """Survey data the Bayesian path model cannot be fitted on (the message says why)."""


@dataclass(frozen=True)
class EncodedItems:
    """Item answers as ordinal codes, the constructs they measure and the respondents' clients.

    Attributes
    ----------
    codes : ndarray of int, (respondents, items)
        Category 0 .. ``n_categories[j] - 1`` of each answer.
    n_categories : ndarray of int, (items,)
    categories : list of list of tuple
        Per item, the answer values each code stands for (several when merged).
    item_construct : ndarray of int, (items,)
        Position in ``constructs`` of the construct each item measures.
    client_index : ndarray of int or None, (respondents,)
    client_ids : list of str or None
    notes : list of str
        Merged categories.
    """

    items: list[str]
    constructs: list[str]
    codes: np.ndarray
    n_categories: np.ndarray
    categories: list[list[tuple[float, ...]]]
    item_construct: np.ndarray
    client_index: np.ndarray | None = None
    client_ids: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    @property
    def multilevel(self) -> bool:
        return self.client_index is not None


def collapse_categories(
    values: np.ndarray, min_count: int = MIN_CATEGORY_COUNT
) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Ordinal codes of ``values``: observed answers only, rare ones merged.

    Scale points nobody used carry no information and get no cutpoint (the observed values are
    ranked). A category with fewer than ``min_count`` answers is then merged into its smaller
    neighbour (the only one at either end of the scale), smallest first, while more than two
    categories remain: a cutpoint between two categories answered once each is barely
    estimable and slows the sampler.

    Returns
    -------
    codes : ndarray of int
        0 .. (categories - 1), in the order of ``values``.
    categories : list of tuple
        The values each code stands for, in order.
    """
    levels, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    groups = [[float(v)] for v in levels]
    counts = list(map(int, counts))
    while len(groups) > 2 and min(counts) < min_count:
        i = int(np.argmin(counts))
        if i == 0:
            j = 1
        elif i == len(groups) - 1:
            j = i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
        a, b = sorted((i, j))
        groups[a] = groups[a] + groups[b]
        counts[a] += counts[b]
        del groups[b], counts[b]
    code_of_level = np.empty(len(levels), dtype=np.int64)
    k = 0
    for code, group in enumerate(groups):
        code_of_level[k : k + len(group)] = code
        k += len(group)
    return code_of_level[inverse.ravel()], [tuple(g) for g in groups]


def encode_items(
    items: pd.DataFrame,
    spec: SurveySpec,
    clients: pd.Series | np.ndarray | None = None,
    *,
    min_count: int = MIN_CATEGORY_COUNT,
    source: str = "<data>",
) -> EncodedItems:
    """Ordinal codes of the spec's items and the client of each respondent.

    Parameters
    ----------
    items : DataFrame
        The checked item columns (:func:`satprofit.survey.check_items`), in ``spec.items``
        order, one row per respondent.
    clients : Series or array, optional
        The client of each row; None for the single-level model.
    min_count : int
        See :func:`collapse_categories`.

    Raises
    ------
    BayesPathDataError
        Fewer than :data:`MIN_RESPONDENTS` rows, missing answers, an item with one answer only
        or more than :data:`MAX_CATEGORIES` distinct answers, clients not aligned with the rows.
    """
    n = len(items)
    if n < MIN_RESPONDENTS:
        raise BayesPathDataError(
            f"{source}: {n} respondent{'s' if n != 1 else ''}; the Bayesian path model needs at "
            f"least {MIN_RESPONDENTS}"
        )
    names = spec.names
    item_names = spec.items
    codes = np.empty((n, len(item_names)), dtype=np.int64)
    n_cat = np.empty(len(item_names), dtype=np.int64)
    categories, notes = [], []
    for j, item in enumerate(item_names):
        x = items[item].to_numpy(dtype=np.float64)
        if not np.isfinite(x).all():
            raise BayesPathDataError(f"{source}: item {item} has missing or non-finite answers")
        distinct = np.unique(x)
        if len(distinct) < 2:
            raise BayesPathDataError(
                f"{source}: item {item} has one answer only ({distinct[0]:g} in every row): it "
                "measures nothing; remove it from the spec"
            )
        if len(distinct) > MAX_CATEGORIES:
            raise BayesPathDataError(
                f"{source}: item {item} has {len(distinct)} distinct answers; the ordinal model "
                f"takes rating scales of at most {MAX_CATEGORIES} points (use --method pls)"
            )
        codes[:, j], cats = collapse_categories(x, min_count)
        n_cat[j] = len(cats)
        categories.append(cats)
        merged = [g for g in cats if len(g) > 1]
        if merged:
            shown = ", ".join("{" + ", ".join(f"{v:g}" for v in g) + "}" for g in merged)
            notes.append(
                f"item {item}: answers given fewer than {min_count} times merged with their "
                f"neighbours: {shown}"
            )
    item_construct = np.array(
        [names.index(c.name) for c in spec.constructs for _ in c.items], dtype=np.int64
    )
    single = [c.name for c in spec.constructs if len(c.items) < 2]
    if single:
        raise BayesPathDataError(
            f"{spec.source}: construct{'s' if len(single) > 1 else ''} {', '.join(single)} "
            f"ha{'ve' if len(single) > 1 else 's'} one item: the Bayesian path model needs two "
            "or more per construct (one item cannot separate the construct from the item's own "
            "noise); add items or use --method pls"
        )
    client_index = client_ids = None
    if clients is not None:
        clients = pd.Series(np.asarray(clients, dtype=object)).astype("string")
        if len(clients) != n:
            raise BayesPathDataError(
                f"{source}: {len(clients)} client ids for {n} respondents (must be aligned)"
            )
        if clients.isna().any():
            raise BayesPathDataError(
                f"{source}: {int(clients.isna().sum())} respondents without a client id"
            )
        uniques, client_index = np.unique(clients.to_numpy(dtype=str), return_inverse=True)
        client_ids = [str(u) for u in uniques]
        client_index = client_index.astype(np.int64)
    return EncodedItems(
        list(item_names),
        list(names),
        codes,
        n_cat,
        categories,
        item_construct,
        client_index,
        client_ids,
        notes,
    )


@dataclass(frozen=True)
class CutLayout:
    """Where each item's cutpoints sit in one flat vector, and how they are built from the
    item's middle cutpoint (``anchor``) and positive gaps: ``cuts = centre[item_of_cut] +
    signs @ exp(log_gap)``."""

    start: np.ndarray
    total: int
    item_of_cut: np.ndarray
    anchor: np.ndarray
    signs: np.ndarray
    gap_names: list[tuple[int, int]]

    @property
    def n_gaps(self) -> int:
        return len(self.gap_names)


def cut_layout(n_categories: np.ndarray) -> CutLayout:
    """The :class:`CutLayout` of items with ``n_categories`` answers each."""
    n_cuts = np.asarray(n_categories) - 1
    start = np.concatenate([[0], np.cumsum(n_cuts)[:-1]]).astype(np.int64)
    total = int(n_cuts.sum())
    anchor = (n_cuts - 1) // 2
    gap_names: list[tuple[int, int]] = []
    columns: list[np.ndarray] = []
    for j, m in enumerate(n_cuts):
        for k in range(m):
            if k == anchor[j]:
                continue
            col = np.zeros(total)
            # the gap between cutpoint k and its neighbour toward the anchor
            if k > anchor[j]:
                col[start[j] + k : start[j] + m] = 1.0
            else:
                col[start[j] : start[j] + k + 1] = -1.0
            columns.append(col)
            gap_names.append((j, k))
    signs = np.column_stack(columns) if columns else np.zeros((total, 0))
    return CutLayout(
        start, total, np.repeat(np.arange(len(n_cuts)), n_cuts), anchor, signs, gap_names
    )


def initial_cutpoints(
    enc: EncodedItems, layout: CutLayout, stretch: float = 1.6
) -> tuple[np.ndarray, np.ndarray]:
    """Starting values (middle cutpoints, log gaps) from each item's cumulative answer
    proportions on the logit scale, ``stretch``-ed (the latent adds variance to the logistic
    error)."""
    centres, gaps = [], []
    for j, m in enumerate(enc.n_categories):
        counts = np.bincount(enc.codes[:, j], minlength=m)[: m - 1].cumsum()
        p = np.clip(counts / enc.n, 0.01, 0.99)
        cut = stretch * np.log(p / (1 - p))
        cut = np.maximum.accumulate(cut + 1e-3 * np.arange(len(cut)))
        a = layout.anchor[j]
        centres.append(cut[a])
        for k in range(m - 1):
            if k != a:
                neighbour = k - 1 if k > a else k + 1
                gaps.append(np.log(max(abs(cut[k] - cut[neighbour]), 0.05)))
    return np.array(centres), np.array(gaps)


def build_model(
    enc: EncodedItems,
    spec: SurveySpec,
    priors: Priors | None = None,
    client_effects: str = "endogenous",
):
    """The PyMC model (see the module doc).

    Variables: ``beta`` (raw coefficients, one per path of ``spec.paths``), ``loading``,
    ``cut_centre`` and ``cut_log_gap`` (cutpoints), ``exo_cpc`` and ``exo_corr`` (two exogenous
    constructs or more: :func:`lkj_cholesky`), ``client_sd`` and ``z_client`` (multilevel only), and the standard normals ``z_exo``
    and ``z_endo`` (respondents x constructs, non-centred).
    """
    import pymc as pm
    import pytensor.tensor as pt

    if client_effects not in CLIENT_EFFECTS:
        raise ValueError(f"client_effects {client_effects!r}: one of {CLIENT_EFFECTS}")
    priors = priors or Priors()
    names = enc.constructs
    K, J, N = len(names), len(enc.items), enc.n
    exo = [k for k, n in enumerate(names) if not spec.causes(n)]
    endo = [k for k, n in enumerate(names) if spec.causes(n)]

    # cutpoints: one flat vector, item after item (n_categories - 1 each); each item's middle
    # cutpoint is a parameter and the others lie at sums of positive gaps above or below it
    layout = cut_layout(enc.n_categories)
    start, item_of_cut = layout.start, layout.item_of_cut

    # every respondent x item cell, item-major within respondent (codes.ravel())
    y = enc.codes.ravel()
    cell_item = np.tile(np.arange(J), N)
    top = enc.n_categories[cell_item] - 1
    has_lo, has_up = y > 0, y < top
    up_idx = start[cell_item] + np.minimum(y, top - 1)
    lo_idx = start[cell_item] + np.maximum(y - 1, 0)

    coords = {
        "construct": names,
        "path": [f"{a} -> {b}" for a, b in spec.paths],
        "item": enc.items,
        "exogenous": [names[k] for k in exo],
        "endogenous": [names[k] for k in endo],
        "gap": [f"{enc.items[j]}:{k}" for j, k in layout.gap_names],
    }
    if enc.multilevel:
        coords["client"] = enc.client_ids
    centre0, gap0 = initial_cutpoints(enc, layout)
    with pm.Model(coords=coords) as model:
        beta = pm.Normal("beta", 0.0, priors.path_sigma, dims="path")
        lam = pm.LogNormal("loading", priors.loading_mu, priors.loading_sigma, dims="item")
        cut_centre = pm.Normal("cut_centre", 0.0, priors.cut_sigma, dims="item", initval=centre0)
        cuts = cut_centre[item_of_cut]
        if layout.n_gaps:
            log_gap = pm.Normal("cut_log_gap", 0.0, priors.gap_sigma, dims="gap", initval=gap0)
            cuts = cuts + pt.dot(layout.signs, pt.exp(log_gap))

        # residuals, non-centred: exogenous (correlated, unit variance), endogenous (unit
        # variance), plus the client effects; constructs solved in causal order
        z_exo = pm.Normal("z_exo", 0.0, 1.0, shape=(N, len(exo)))
        if len(exo) > 1:
            chol = lkj_cholesky("exo_cpc", len(exo), priors.lkj_eta)
            pm.Deterministic("exo_corr", chol @ chol.T)
            exo_part = z_exo @ chol.T
        else:
            exo_part = z_exo
        z_endo = pm.Normal("z_endo", 0.0, 1.0, shape=(N, len(endo)))
        columns: list = [None] * K
        for i, k in enumerate(exo):
            columns[k] = exo_part[:, i]
        for i, k in enumerate(endo):
            columns[k] = z_endo[:, i]
        if enc.multilevel:
            on = list(range(K)) if client_effects == "all" else endo
            dim = "construct" if client_effects == "all" else "endogenous"
            tau = pm.HalfNormal("client_sd", priors.client_sigma, dims=dim)
            z_client = pm.Normal("z_client", 0.0, 1.0, dims=("client", dim))
            u = (z_client * tau)[enc.client_index]
            for i, k in enumerate(on):
                columns[k] = columns[k] + u[:, i]
        by_effect: dict[int, list[tuple[int, int]]] = {}
        for p, (a, b) in enumerate(spec.paths):
            by_effect.setdefault(names.index(b), []).append((p, names.index(a)))
        solved: list = [None] * K
        for k in range(K):  # spec.names is a causal (topological) order
            value = columns[k]
            for p, a in by_effect.get(k, []):
                value = value + beta[p] * solved[a]
            solved[k] = value
        eta = pt.stack(solved, axis=1)

        # construct -> item loadings as a (constructs x items) matrix: one product, no gather
        lam_matrix = pt.set_subtensor(pt.zeros((K, J))[enc.item_construct, np.arange(J)], lam)
        mu = (eta @ lam_matrix).ravel()
        logp = ordinal_logit_logp(cuts[up_idx] - mu, cuts[lo_idx] - mu, has_up, has_lo)
        pm.Potential("items", logp.sum())
    return model


def lkj_cholesky(name: str, n: int, eta: float):
    r"""Cholesky factor of an :math:`n \times n` correlation matrix with an LKJ(``eta``) prior,
    from its canonical partial correlations (the C-vine of Lewandowski, Kurowicka and Joe,
    2009).

    The partial correlation of constructs :math:`i > j` given constructs :math:`0..j-1` is
    :math:`2u - 1`, :math:`u \sim \text{Beta}(\beta_j, \beta_j)`,
    :math:`\beta_j = \eta + (n - 2 - j) / 2`: independent Betas whose correlation matrix is
    LKJ(:math:`\eta`) distributed. Row :math:`i` of the factor is
    :math:`L_{i0} = z_{i0}`, :math:`L_{ij} = z_{ij}\sqrt{1 - \sum_{m<j} L_{im}^2}`,
    :math:`L_{ii} = \sqrt{1 - \sum_{m<i} L_{im}^2}`. Every parameter is identified (PyMC's
    ``LKJCholeskyCov`` would bring standard deviations the model does not use, sampled from
    their prior, whose small values make a funnel with the correlations: the divergences of
    the 300-client portfolio).
    """
    import pymc as pm
    import pytensor.tensor as pt

    # one partial correlation per pair (i, j), j < i, row after row
    alpha = np.array([eta + (n - 2 - j) / 2 for i in range(1, n) for j in range(i)])
    u = pm.Beta(name, alpha, alpha, shape=len(alpha))
    z = 2.0 * u - 1.0
    rows = [[pt.as_tensor(1.0)] + [pt.as_tensor(0.0)] * (n - 1)]
    k = 0
    for i in range(1, n):
        row, used = [], pt.as_tensor(0.0)
        for j in range(i):
            value = z[k] * (pt.sqrt(1.0 - used) if j else 1.0)
            k += 1
            used = used + value**2
            row.append(value)
        row.append(pt.sqrt(1.0 - used))
        rows.append(row + [pt.as_tensor(0.0)] * (n - 1 - i))
    return pt.stack([pt.stack(r) for r in rows])


def sampled_variables(enc: EncodedItems, spec: SurveySpec) -> list[str]:
    """The structural variables kept in the trace (never the per-respondent constructs)."""
    names = ["beta", "loading", "cut_centre"]
    if (enc.n_categories > 2).any():
        names.append("cut_log_gap")
    if sum(1 for n in spec.names if not spec.causes(n)) > 1:
        names.append("exo_corr")
    if enc.multilevel:
        names.append("client_sd")
    return names
