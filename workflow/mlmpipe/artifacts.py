"""The pipeline's outputs as the course report reads them: where each file is, and small
helpers that turn a file into what a report cell shows (a table, a figure, a code block, a
callout, a provenance line).

Report cells (``reports/**/*.qmd``) read only files the pipeline made, through this module,
so that a section's Snakemake inputs are exactly the paths named here. Nothing here fits,
samples or draws anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mlmpipe.errors import MlmpipeError

#: Where each kind of output lives, relative to the repository root (the cells' folder).
PATHS: Mapping[str, str] = {
    "data": "data/processed/mlm.parquet",
    "precis": "results/data/precis.txt",
    "precis_table": "results/data/precis.csv",
    "summary": "results/{model}/summary.txt",
    "summary_table": "results/{model}/summary.csv",
    "variables": "results/{model}/variables.txt",
    "diagnostics": "results/{model}/diagnostics.json",
    "diagnostics_text": "results/{model}/diagnostics.txt",
    "loo": "results/{model}/loo.txt",
    "model_frame": "results/{model}/model_frame.json",
    "posterior": "results/{model}/posterior.nc",
    "compare": "results/loo/compare_{comparison}.csv",
    "compare_text": "results/loo/compare_{comparison}.txt",
    "figure": "results/figures/{figure}.png",
    "table": "results/tables/{table}.csv",
}


class ArtifactError(MlmpipeError, FileNotFoundError):
    """A file the report reads is missing; the message names it and the rule that makes it."""


def path(kind: str, **names: str) -> Path:
    """Return the path of an output: ``path("summary", model="m3")``.

    Raises:
        KeyError: an unknown kind, or a missing name in its pattern.
    """
    return Path(PATHS[kind].format(**names))


def _existing(file: str | os.PathLike[str]) -> Path:
    target = Path(file)
    if not target.is_file():
        raise ArtifactError(
            f"{target} does not exist; the pipeline makes it: "
            f"`workflow/bootstrap snakemake --cores 4 {target}`"
        )
    return target


def text(kind: str, **names: str) -> str:
    """Return the text of an output (a summary, a LOO printout ...), without trailing blanks."""
    return _existing(path(kind, **names)).read_text(encoding="utf-8").rstrip()


def table(file: str | os.PathLike[str]) -> pd.DataFrame:
    """Return a CSV or parquet output as a data frame."""
    target = _existing(file)
    if target.suffix == ".parquet":
        return pd.read_parquet(target)
    return pd.read_csv(target)


def json_file(kind: str, **names: str) -> Any:
    """Return a JSON output (diagnostics, a model frame) as Python values."""
    return json.loads(_existing(path(kind, **names)).read_text(encoding="utf-8"))


def code_block(body: str, language: str = "") -> str:
    """Return ``body`` as a fenced markdown code block (the fence outgrows any inner one)."""
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}{language}\n{body.rstrip()}\n{fence}\n"


def callout(kind: str, title: str, body: str) -> str:
    """Return a Quarto callout block (``note``, ``tip``, ``warning``, ``important``)."""
    return f'::: {{.callout-{kind} title="{title}"}}\n{body.rstrip()}\n:::\n'


def priors_table(
    spec: Any, frame: Mapping[str, Any] | None = None, max_rows: int | None = None
) -> pd.DataFrame:
    """Return a model's priors as brms's ``prior_summary(fit)`` shows them: every class,
    coefficient and grouping factor, the defaults brms would use included; a row that
    inherits its class's prior shows it with source ``(vectorized)``, a flat one ``(flat)``.

    ``frame`` is the model's ``model_frame.json`` (its ``priors`` records); without it (or
    for an older record without them) only the config's priors are listed. With ``max_rows``,
    a longer table leaves out the rows of single coefficients that inherit their class's prior
    (m1's 91 ``b_a`` rows).
    """
    records = list((frame or {}).get("priors") or [])
    if not records:
        return pd.DataFrame({"class": list(spec.priors), "prior": list(spec.priors.values())})
    table = pd.DataFrame(records).fillna("")
    inherited = table["prior"] == ""
    for i in table.index[inherited]:
        row = table.loc[i]
        parent = table[(table["class"] == row["class"]) & (table["nlpar"] == row["nlpar"])
                       & (table["coef"] == "") & (table["prior"] != "")]  # fmt: skip
        if row["group"]:
            own = parent[parent["group"] == row["group"]]
            parent = own if len(own) else parent[parent["group"] == ""]
        if len(parent):
            table.loc[i, ["prior", "source"]] = [parent["prior"].iloc[0], "(vectorized)"]
    table.loc[table["prior"] == "", "prior"] = "(flat)"
    if max_rows is not None and len(table) > max_rows:
        table = table[(table["coef"] == "") | (table["source"] != "(vectorized)")]
    return table[["prior", "class", "coef", "group", "nlpar", "source"]].reset_index(drop=True)


def model_text(spec: Any, frame: Mapping[str, Any]) -> str:
    """Return a few lines saying what a model without a lecture text is: its family and
    response, its population- and group-level terms, the rows it uses and where its priors
    come from (built from the formula and its ``model_frame.json``)."""
    from mlmpipe.formula import parse_formula

    bf = parse_formula(spec.formula_arg)
    link = {"gaussian": "identity", "student": "identity", "bernoulli": "logit",
            "binomial": "logit", "poisson": "log"}[spec.family]  # fmt: skip
    lines = [
        f"`{spec.name}` models `{bf.response}` with the {spec.family} family "
        f"(link: {link}). brms formula: `{bf.display}`.",
        "",
    ]
    coefs = [f"`b_{c}`" for c in frame.get("coefficients", [])]
    intercept = bf.population is not None and bf.population.intercept
    lines.append(
        "- Population-level effects: "
        + ", ".join((["`b_Intercept`"] if intercept else []) + coefs or ["none"])
        + "."
    )
    for g in bf.groups:
        terms = (["Intercept"] if g.formula.intercept else []) + [t.label for t in g.formula.terms]
        kind = "correlated" if g.correlated and len(terms) > 1 else "uncorrelated"
        levels = frame.get("groups", {}).get(g.group, "?")
        lines.append(
            f"- Group-level effects of `{', '.join(terms)}` varying over the {levels} levels of "
            f"`{g.group}`" + (f" ({kind})." if len(terms) > 1 else ".")
        )
    given = ", ".join(f"`{k}`" for k in spec.priors) or "none"
    lines.append(
        f"- Priors set in the config: {given}; every other class gets brms's default "
        "(the table below lists them all, as brms's `prior_summary()` does)."
    )
    return "\n".join(lines) + "\n"


def r_print(values: list[str], width: int = 80) -> str:
    """Return a character vector as R prints it: quoted, in aligned columns, each line
    starting with the index of its first element (``[1] "b_a_id.f6" ...``)."""
    if not values:
        return "character(0)"
    quoted = [f'"{v}"' for v in values]
    cell = max(len(q) for q in quoted)
    label = len(f"[{len(values)}]")
    per_line = max(1, (width - label) // (cell + 1))
    lines = []
    for start in range(0, len(quoted), per_line):
        chunk = " ".join(q.ljust(cell) for q in quoted[start : start + per_line])
        lines.append(f"{f'[{start + 1}]':>{label}} {chunk}".rstrip())
    return "\n".join(lines)


def figure(figure_id: str) -> Any:
    """Return the pipeline's PNG of a figure, for a cell to show (``fig-cap`` gives the caption)."""
    from IPython.display import Image

    return Image(filename=str(_existing(path("figure", figure=figure_id))))


def record_of(file: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record of an output (``<file>.prov.json``).

    Raises:
        ArtifactError: the output has no record.
    """
    record = Path(f"{file}.prov.json")
    if not record.is_file():
        raise ArtifactError(f"{file} has no provenance record ({record})")
    return json.loads(record.read_text(encoding="utf-8"))


def data_sha256(record: Mapping[str, Any]) -> str | None:
    """Return the sha256 of the raw data a record's chain of inputs reaches, if it does."""
    for entry in record.get("inputs") or []:
        if entry.get("path", "").endswith("data/raw/mlm.csv"):
            return entry.get("sha256")
        found = data_sha256(entry.get("upstream") or {})
        if found:
            return found
    return None


def provenance_line(file: str | os.PathLike[str]) -> str:
    """Return one markdown line saying how an output was made: rule, commit, data, command."""
    record = record_of(file)
    git = record.get("git") or {}
    commit = (git.get("commit") or "unknown")[:10] + ("+changes" if git.get("dirty") else "")
    data = (data_sha256(record) or "?")[:12]
    return (
        f"*Provenance:* `{Path(file).as_posix()}`, rule `{record.get('rule')}`, commit "
        f"`{commit}`, data sha256 `{data}…`; regenerate with `{record.get('command')}`.\n"
    )


def provenance_rows(files: list[str | os.PathLike[str]]) -> pd.DataFrame:
    """Return the appendix table: per output its data sha256, commit, config sections and the
    command that regenerates it."""
    rows = []
    for file in files:
        record = record_of(file)
        git = record.get("git") or {}
        rows.append(
            {
                "output": Path(file).as_posix(),
                "rule": record.get("rule"),
                "data sha256": (data_sha256(record) or "")[:16],
                "commit": (git.get("commit") or "")[:10] + ("+" if git.get("dirty") else ""),
                "config": ", ".join(sorted((record.get("config") or {}).get("sections") or {})),
                "command": f"`{record.get('command')}`",
            }
        )
    return pd.DataFrame(rows)
