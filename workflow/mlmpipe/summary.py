"""brms-style model summaries: the table ``print(fit)`` shows, as CSV and as brms prints it.

Each row is one parameter with ``Estimate`` (posterior mean), ``Est.Error`` (posterior sd),
``l-95% CI`` and ``u-95% CI`` (2.5% and 97.5% quantiles, R's type 7), ``Rhat`` (the
rank-normalised split R-hat, the larger of the bulk and the folded one) and ``Bulk_ESS`` /
``Tail_ESS``: what brms computes with the posterior package, computed here with ArviZ.
Rows are grouped in brms's sections: "Multilevel Hyperparameters" (``sd(Intercept)``,
``sd(week)``, ``cor(Intercept,week)`` per grouping factor), "Regression Coefficients"
(``Intercept``, ``week``, ``groupCTRL``, ``a_id.f6``) and "Further Distributional
Parameters" (``sigma``, and ``nu`` for the student family).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import atomic_path, write_text_atomic
from mlmpipe.posterior import SPEC_ATTR

STAT_COLUMNS = ("Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS", "Tail_ESS")
"""The statistics brms prints for each parameter, in its order."""

SECTIONS = (
    "Multilevel Hyperparameters",
    "Regression Coefficients",
    "Further Distributional Parameters",
)
"""brms's section titles, in print order."""

FOOTER = (
    "Draws were sampled using sampling(NUTS). For each parameter, Bulk_ESS\n"
    "and Tail_ESS are effective sample size measures, and Rhat is the potential\n"
    "scale reduction factor on split chains (at convergence, Rhat = 1).\n"
)


class SummaryError(MlmpipeError, ValueError):
    """Raised when a posterior lacks what a summary needs (a variable, the model's spec)."""


@dataclass(frozen=True)
class Row:
    """One summary row: its section, grouping factor (or ""), brms label and variable."""

    section: str
    group: str
    parameter: str
    variable: str


def summary_rows(posterior: Any) -> list[Row]:
    """Return the rows brms's summary shows for the variables of ``posterior``, in its order.

    ``sd_<g>__<term>`` -> ``sd(<term>)`` and ``cor_<g>__<a>__<b>`` -> ``cor(<a>,<b>)`` under
    "Multilevel Hyperparameters" (group ``<g>``); ``b_<name>`` -> ``<name>`` under
    "Regression Coefficients"; ``sigma`` under "Further Distributional Parameters".
    The temporary ``Intercept``, ``r_*``, ``lprior`` and ``lp__`` are not summarised.
    """
    names = [str(n) for n in posterior.data_vars]
    multilevel: dict[str, list[Row]] = {}
    for name in names:
        for prefix, label in (("sd_", "sd"), ("cor_", "cor")):
            if name.startswith(prefix) and "__" in name:
                group, _, rest = name[len(prefix) :].partition("__")
                terms = rest.split("__")
                row = Row(SECTIONS[0], group, f"{label}({','.join(terms)})", name)
                multilevel.setdefault(group, []).append(row)
    rows: list[Row] = []
    for group_rows in multilevel.values():
        # brms lists a group's sds before its correlations
        rows += [r for r in group_rows if r.parameter.startswith("sd(")]
        rows += [r for r in group_rows if r.parameter.startswith("cor(")]
    rows += [Row(SECTIONS[1], "", n[2:], n) for n in names if n.startswith("b_")]
    rows += [Row(SECTIONS[2], "", n, n) for n in ("sigma", "nu") if n in names]
    return rows


def draw_statistics(posterior: Any, variables: Sequence[str]) -> pd.DataFrame:
    """Return mean, sd, 2.5%/97.5% quantiles, R-hat, bulk and tail ESS of scalar variables.

    One row per variable (index: the variable's name), columns :data:`STAT_COLUMNS`.
    """
    import arviz as az

    subset = posterior[list(variables)]
    rhat = az.rhat(subset, method="rank")
    bulk = az.ess(subset, method="bulk")
    tail = az.ess(subset, method="tail")
    records = []
    for name in variables:
        values = np.asarray(subset[name].values, dtype=float)
        if values.ndim != 2:
            raise SummaryError(f"variable '{name}' is not a scalar (dims {subset[name].dims})")
        flat = values.reshape(-1)
        lower, upper = np.quantile(flat, [0.025, 0.975])  # R's type 7
        records.append(
            {
                "Estimate": float(flat.mean()),
                "Est.Error": float(flat.std(ddof=1)),
                "l-95% CI": float(lower),
                "u-95% CI": float(upper),
                "Rhat": float(rhat[name].values),
                "Bulk_ESS": float(bulk[name].values),
                "Tail_ESS": float(tail[name].values),
            }
        )
    return pd.DataFrame.from_records(records, index=list(variables), columns=list(STAT_COLUMNS))


def summary_table(posterior: Any) -> pd.DataFrame:
    """Return the summary of ``posterior`` as a data frame in brms's row order.

    Columns: ``section``, ``group``, ``parameter`` (brms's row label), ``variable`` (the
    posterior variable), then :data:`STAT_COLUMNS`.

    Raises:
        SummaryError: the posterior has none of the variables a brms summary shows.
    """
    rows = summary_rows(posterior)
    if not rows:
        raise SummaryError("the posterior has no b_*, sd_*, cor_* or sigma variable to summarise")
    stats = draw_statistics(posterior, [r.variable for r in rows])
    frame = pd.DataFrame(
        {
            "section": [r.section for r in rows],
            "group": [r.group for r in rows],
            "parameter": [r.parameter for r in rows],
            "variable": [r.variable for r in rows],
        }
    )
    return pd.concat([frame, stats.reset_index(drop=True)], axis=1)


# --------------------------------------------------------------------------- printing


def format_r_matrix(
    rownames: Sequence[str],
    table: pd.DataFrame,
    *,
    right: bool = True,
    headers: Sequence[str] | None = None,
) -> str:
    """Return a character table laid out as R's ``print(m, quote = FALSE, right = right)``.

    Row names are left-aligned to their widest; each column is as wide as its widest cell or
    header and right-aligned (left-aligned with ``right=False``); columns are separated by
    one space. ``headers`` replaces the column names (R allows repeated ones, such as
    ``" "``). Every line ends with a newline.
    """
    cells = [[str(v) for v in row] for row in table.astype(str).itertuples(index=False)]
    names = [str(c) for c in (headers if headers is not None else table.columns)]
    name_width = max([len(n) for n in rownames] + [0])
    widths = [max([len(name)] + [len(row[j]) for row in cells]) for j, name in enumerate(names)]

    def justify(text: str, width: int) -> str:
        return text.rjust(width) if right else text.ljust(width)

    header = "".join(" " + justify(c, w) for c, w in zip(names, widths, strict=True))
    lines = [" " * name_width + header]
    for name, row in zip(rownames, cells, strict=True):
        lines.append(
            name.ljust(name_width)
            + "".join(" " + justify(v, w) for v, w in zip(row, widths, strict=True))
        )
    return "\n".join(lines) + "\n"


def format_stats(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Format statistics as brms's ``print_format``: ``%.2f``, and ``%.0f`` for the ESS."""
    out = pd.DataFrame(index=table.index)
    for column in STAT_COLUMNS:
        fmt = "{:.0f}" if column in ("Bulk_ESS", "Tail_ESS") else f"{{:.{digits}f}}"
        out[column] = [_format_number(fmt, v) for v in table[column]]
    return out


def _format_number(fmt: str, value: float) -> str:
    """Format a number as C's sprintf does (``NA`` for a missing one, as R prints it)."""
    if value is None or not np.isfinite(value):
        return "NA" if value is None or np.isnan(value) else ("Inf" if value > 0 else "-Inf")
    return fmt.format(value)


@dataclass(frozen=True)
class Header:
    """What brms prints above the tables."""

    formula: Sequence[str]
    nobs: int
    chains: int
    iter: int
    warmup: int
    thin: int = 1
    family: str = "gaussian"
    links: str = "mu = identity; sigma = identity"
    data_name: str = "d"

    @property
    def total_draws(self) -> int:
        """Post-warmup draws of all chains: ``ceiling((iter - warmup) / thin * chains)``."""
        return int(np.ceil((self.iter - self.warmup) / self.thin * self.chains))

    def text(self) -> str:
        """Return the header lines as brms 2.21+ prints them (trailing spaces included)."""
        formula = f"Formula: {self.formula[0]} \n" + "".join(
            f"{' ' * 9}{line}\n" for line in self.formula[1:]
        )
        return (
            f" Family: {self.family} \n"
            f"  Links: {self.links} \n"
            + formula
            + f"   Data: {self.data_name} (Number of observations: {self.nobs}) \n"
            f"  Draws: {self.chains} chains, each with iter = {self.iter}; "
            f"warmup = {self.warmup}; thin = {self.thin};\n"
            f"         total post-warmup draws = {self.total_draws}\n"
        )


#: The links line brms prints for each family.
LINKS = {
    "gaussian": "mu = identity; sigma = identity",
    "student": "mu = identity; sigma = identity; nu = identity",
    "bernoulli": "mu = logit",
    "binomial": "mu = logit",
    "poisson": "mu = log",
}


def header_of(idata: Any, data_name: str = "d") -> Header:
    """Return the :class:`Header` of a posterior written by :mod:`mlmpipe.posterior`.

    Raises:
        SummaryError: the posterior has no model spec in its attrs.
    """
    attrs = idata.posterior.attrs
    if SPEC_ATTR not in attrs:
        raise SummaryError(f"the posterior has no '{SPEC_ATTR}' attribute")
    spec = json.loads(attrs[SPEC_ATTR])
    family = spec.get("family", "gaussian")
    nobs = int(idata.observed_data.sizes["obs"]) if "observed_data" in idata.groups() else 0
    return Header(
        formula=tuple(spec["formula"]),
        nobs=nobs,
        chains=int(idata.posterior.sizes["chain"]),
        iter=int(spec["iter"]),
        warmup=int(spec["warmup"]),
        thin=int(attrs.get("thin", 1)),
        family=family,
        links=LINKS.get(family, LINKS["gaussian"]),
        data_name=data_name,
    )


def group_sizes(posterior: Any) -> dict[str, int]:
    """Return the number of levels of each grouping factor (from the ``r_<g>`` variables)."""
    sizes = {}
    for name, var in posterior.data_vars.items():
        name = str(name)
        if name.startswith("r_") and var.ndim == 4:
            group = name[2:]
            sizes[group] = int(var.sizes[var.dims[2]])
    return sizes


def summary_text(table: pd.DataFrame, header: Header, n_levels: dict[str, int]) -> str:
    """Return the summary as brms's ``print(fit)`` shows it (2 decimals, ESS as integers).

    ``table`` is :func:`summary_table`'s output; ``n_levels`` the number of levels of each
    grouping factor.
    """
    parts = [header.text(), "\n"]
    multilevel = table[table["section"] == SECTIONS[0]]
    if len(multilevel):
        parts.append(f"{SECTIONS[0]}:\n")
        for group, rows in multilevel.groupby("group", sort=False):
            levels = n_levels.get(str(group), "NA")
            parts.append(f"~{group} (Number of levels: {levels}) \n")
            parts.append(format_r_matrix(list(rows["parameter"]), format_stats(rows)))
            parts.append("\n")
    for section in SECTIONS[1:]:
        rows = table[table["section"] == section]
        if len(rows):
            parts.append(f"{section}:\n")
            parts.append(format_r_matrix(list(rows["parameter"]), format_stats(rows)))
            parts.append("\n")
    parts.append(FOOTER)
    return "".join(parts)


def write_summary(
    idata: Any,
    csv_path: str | os.PathLike[str],
    txt_path: str | os.PathLike[str],
    *,
    data_name: str = "d",
) -> pd.DataFrame:
    """Write the summary of a fitted model as CSV and as brms's printout; return the table."""
    table = summary_table(idata.posterior)
    text = summary_text(table, header_of(idata, data_name), group_sizes(idata.posterior))
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    write_text_atomic(txt_path, text)
    return table
