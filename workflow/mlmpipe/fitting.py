"""Model data, compilation, sampling and the brms-named posterior of the lecture's models.

The five Stan programs in ``stan/`` read their data under the names brms gives them (``N``,
``Y``, ``K``, ``X``, ``N_1``, ``M_1``, ``J_1``, ``Z_1_1``, ``NC_1``, ``prior_only``; ``K_a``
and ``X_a`` for the non-linear parameter ``a`` of m1) plus the prior's parameters, passed as
data so that changing a prior in the config re-samples without recompiling:

============  ===============================  ==========================================
class         family fixed in the program      data
============  ===============================  ==========================================
b             normal                           ``prior_b_mu``, ``prior_b_sigma``
Intercept     normal                           ``prior_Intercept_mu``, ``prior_Intercept_sigma``
sd            exponential (half, sd >= 0)      ``prior_sd_rate``
sigma         exponential (half, sigma >= 0)   ``prior_sigma_rate``
cor           lkj (Cholesky factor)            ``prior_cor_eta``
============  ===============================  ==========================================

This module builds that data from a :class:`~mlmpipe.models.ModelSpec` and the processed
data (rows with a missing value in a formula variable dropped, as brms does), compiles a
program with CmdStan through cmdstanpy (build outputs in a build folder, never beside the
source), samples it, and turns the CmdStan CSVs into an ArviZ ``InferenceData`` whose
variables carry brms's names (``b_Intercept``, ``sd_id__Intercept``, ``r_id``, ...).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlmpipe import models
from mlmpipe.cmdstan import CmdStanError, fit_csv_files, use_cmdstan
from mlmpipe.errors import MlmpipeError
from mlmpipe.fileio import atomic_path, write_text_atomic
from mlmpipe.models import ModelFrame, ModelSpec

#: The prior family each class has in the Stan programs, and its parameters (passed as data).
PRIOR_FAMILIES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "b": ("normal", ("mu", "sigma")),
    "Intercept": ("normal", ("mu", "sigma")),
    "sd": ("exponential", ("rate",)),
    "sigma": ("exponential", ("rate",)),
    "cor": ("lkj", ("eta",)),
}

#: Sampler diagnostics CmdStan writes, and the names ArviZ gives them in ``sample_stats``.
SAMPLER_COLUMNS: Mapping[str, str] = {
    "lp__": "lp",
    "accept_stat__": "acceptance_rate",
    "stepsize__": "step_size",
    "treedepth__": "tree_depth",
    "n_leapfrog__": "n_steps",
    "divergent__": "diverging",
    "energy__": "energy",
}


class PriorError(MlmpipeError, ValueError):
    """Raised when the config's priors do not match what a Stan program implements."""


# --------------------------------------------------------------------------- priors


def prior_classes(spec: ModelSpec) -> tuple[str, ...]:
    """Return the prior classes a model's program has, in brms's order.

    ``b`` when the model has population-level coefficients, ``Intercept`` when its formula
    has an intercept, ``sd`` when it has varying effects, ``cor`` when they are correlated,
    and always ``sigma``.
    """
    classes = []
    if spec.population:
        classes.append("b")
    if spec.intercept:
        classes.append("Intercept")
    if spec.varying is not None:
        classes.append("sd")
        if spec.varying.correlated:
            classes.append("cor")
    classes.append("sigma")
    return tuple(classes)


def prior_data(spec: ModelSpec) -> dict[str, float]:
    """Return the prior parameters as Stan data (``prior_b_mu``, ``prior_sd_rate``, ...).

    Raises:
        PriorError: a class the program has no prior for in the config, a config prior for a
            class the model does not have, a family other than the one the program
            implements, or a missing or invalid parameter.
    """
    wanted = prior_classes(spec)
    given = dict(spec.priors)
    extra = sorted(set(given) - set(wanted))
    if extra:
        raise PriorError(
            f"model {spec.name}: the config sets a prior for class(es) {', '.join(extra)}, "
            f"which {spec.stan_file} does not have (its classes: {', '.join(wanted)})"
        )
    out: dict[str, float] = {}
    for cls in wanted:
        family, params = PRIOR_FAMILIES[cls]
        if cls not in given:
            raise PriorError(
                f"model {spec.name}: the config has no prior for class '{cls}' "
                f"({spec.stan_file} expects {family}({', '.join(params)}))"
            )
        entry = given[cls]
        if entry.get("family") != family:
            raise PriorError(
                f"model {spec.name}: the prior for class '{cls}' is "
                f"{entry.get('family')!r} in the config, but {spec.stan_file} implements "
                f"{family}({', '.join(params)}); change the config's family to {family!r} or "
                "edit the Stan program"
            )
        for param in params:
            if param not in entry:
                raise PriorError(
                    f"model {spec.name}: the {family} prior for class '{cls}' has no "
                    f"'{param}' in the config"
                )
            value = float(entry[param])
            positive = param != "mu"
            if not np.isfinite(value) or (positive and value <= 0):
                raise PriorError(
                    f"model {spec.name}: the {family} prior for class '{cls}' has "
                    f"{param} = {entry[param]!r}; it must be a finite"
                    + (" positive" if positive else "")
                    + " number"
                )
            out[f"prior_{cls}_{param}"] = value
    return out


# --------------------------------------------------------------------------- model data


@dataclass(frozen=True)
class ModelData:
    """Everything a model is given: its Stan data and the rows and levels behind it.

    ``coefficients`` are the population-level coefficient names without ``b_`` (without the
    intercept); ``group_levels`` the grouping factor's levels in brms's order (None without
    varying effects); ``rows`` the 0-based positions, in the input data, of the rows kept.
    """

    spec: ModelSpec
    frame: ModelFrame
    stan_data: dict[str, Any]
    coefficients: tuple[str, ...]
    group_levels: tuple[Any, ...] | None

    @property
    def rows(self) -> tuple[int, ...]:
        """0-based positions in the input data of the rows the model is fitted to."""
        dropped = set(self.frame.dropped_rows)
        return tuple(i for i in range(self.frame.n_input_rows) if i not in dropped)

    def frame_record(self) -> dict[str, Any]:
        """Return the JSON-ready record of the rows and levels (``model_frame.json``)."""
        group = self.spec.varying.group if self.spec.varying else None
        return {
            "model": self.spec.name,
            "formula": list(self.spec.formula),
            "columns": list(self.spec.columns),
            "n_input_rows": self.frame.n_input_rows,
            "n_rows": self.frame.n_rows,
            "n_dropped": self.frame.n_dropped,
            "dropped_rows": list(self.frame.dropped_rows),
            "rows": list(self.rows),
            "levels": {k: list(v) for k, v in self.frame.levels.items()},
            "group": group,
            "n_levels": len(self.group_levels) if self.group_levels is not None else None,
            "coefficients": list(self.coefficients),
        }


def build_model_data(spec: ModelSpec, data: pd.DataFrame) -> ModelData:
    """Return the Stan data of ``spec`` for ``data``, as brms's ``make_standata`` builds it.

    Rows with a missing value in a formula variable are dropped; factor levels are sorted as
    R's ``factor()`` sorts them; ``0 + week + group`` codes ``group`` with one indicator per
    level (``groupCTRL``, ``groupPD``). With an intercept, ``X`` has a first column of ones
    (named ``Intercept``), which the program drops when it centres the other columns.

    Raises:
        ModelDataError: a formula variable is missing from ``data`` or no row is left.
        PriorError: the config's priors do not match the program (see :func:`prior_data`).
    """
    frame = models.model_frame(spec, data)
    kept = frame.frame
    design = models.population_design(spec, kept, frame.levels)
    coefficients = tuple(design.columns)
    stan: dict[str, Any] = {"N": frame.n_rows, "Y": kept[spec.response].astype(float).tolist()}
    if spec.nlpar:
        stan[f"K_{spec.nlpar}"] = design.shape[1]
        stan[f"X_{spec.nlpar}"] = design.to_numpy(dtype=float).tolist()
    elif design.shape[1]:
        # brms gives an intercept-only formula no X at all; otherwise X's first column is ones
        matrix = design.to_numpy(dtype=float)
        if spec.intercept:
            matrix = np.column_stack([np.ones(frame.n_rows), matrix])
        stan["K"] = matrix.shape[1]
        stan["X"] = matrix.tolist()
    group_levels: tuple[Any, ...] | None = None
    if spec.varying is not None:
        group = spec.varying.group
        group_levels = tuple(frame.levels[group])
        terms = models.group_terms_design(spec, kept)
        stan["N_1"] = len(group_levels)
        stan["M_1"] = len(spec.varying.terms)
        stan["J_1"] = models.group_index(kept[group], group_levels).tolist()
        for k, term in enumerate(spec.varying.terms, start=1):
            stan[f"Z_1_{k}"] = terms[term].astype(float).tolist()
        if spec.varying.correlated:
            stan["NC_1"] = len(spec.varying.terms) * (len(spec.varying.terms) - 1) // 2
    stan["prior_only"] = 0
    stan.update(prior_data(spec))
    return ModelData(
        spec=spec,
        frame=frame,
        stan_data=stan,
        coefficients=coefficients,
        group_levels=group_levels,
    )


def read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the processed data (parquet, or CSV for a ``.csv`` path)."""
    path = Path(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def write_model_data(
    model_data: ModelData,
    data_json: str | os.PathLike[str],
    frame_json: str | os.PathLike[str],
) -> None:
    """Write the Stan data (``data.json``) and the rows-and-levels record (``model_frame.json``)."""
    write_text_atomic(data_json, json.dumps(model_data.stan_data, indent=1) + "\n")
    write_text_atomic(frame_json, json.dumps(model_data.frame_record(), indent=1) + "\n")


def read_frame_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``model_frame.json`` written by :func:`write_model_data`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- CmdStan


def compile_model(
    stan_file: str | os.PathLike[str],
    exe_file: str | os.PathLike[str],
    *,
    cmdstan: str | os.PathLike[str] | None = None,
) -> Path:
    """Compile ``stan_file`` into ``exe_file`` and return the executable's path.

    cmdstanpy writes the executable beside the program it compiles, so the program is first
    copied beside ``exe_file`` (as ``<exe stem>.stan``): build outputs stay out of ``stan/``.

    Raises:
        FileNotFoundError: ``stan_file`` does not exist.
        CmdStanError: stanc or the C++ compiler failed (their message is quoted).
    """
    import cmdstanpy

    source = Path(stan_file)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such Stan program")
    exe = Path(exe_file)
    exe.parent.mkdir(parents=True, exist_ok=True)
    copy = exe.parent / f"{exe.name}.stan"
    shutil.copyfile(source, copy)
    use_cmdstan(cmdstan)
    try:
        model = cmdstanpy.CmdStanModel(stan_file=str(copy), force_compile=True)
    except (ValueError, RuntimeError) as error:
        raise CmdStanError(f"{source}: compilation failed: {error}") from error
    built = Path(model.exe_file)
    if built.resolve() != exe.resolve():
        os.replace(built, exe)
    return exe


def sample_model(
    spec: ModelSpec,
    exe_file: str | os.PathLike[str],
    data_json: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    cmdstan: str | os.PathLike[str] | None = None,
    parallel_chains: int = 1,
) -> list[Path]:
    """Run NUTS with the spec's chains, iter, warmup, seed, adapt_delta and max_treedepth.

    The CSVs are written to a temporary folder beside ``output_dir``, renamed
    ``<model>-<chain>.csv`` and moved into place at the end, so a failed run leaves no
    partial ``output_dir``. Returns the CSV paths, chain 1 first.

    Raises:
        CmdStanError: CmdStan failed (its message is quoted).
    """
    import cmdstanpy

    use_cmdstan(cmdstan)
    target = Path(output_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    model = cmdstanpy.CmdStanModel(exe_file=str(exe_file))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        run_dir = staging / "run"
        try:
            fit = model.sample(
                data=str(data_json),
                chains=spec.chains,
                parallel_chains=max(1, min(parallel_chains, spec.chains)),
                iter_warmup=spec.warmup,
                iter_sampling=spec.num_samples,
                seed=spec.seed,
                adapt_delta=spec.adapt_delta,
                max_treedepth=spec.max_treedepth,
                output_dir=str(run_dir),
                show_progress=False,
                show_console=False,
            )
        except (RuntimeError, ValueError) as error:
            raise CmdStanError(f"model {spec.name}: sampling failed: {error}") from error
        out = staging / "out"
        out.mkdir()
        paths = []
        for chain, csv in enumerate(fit.runset.csv_files, start=1):
            dest = out / f"{spec.name}-{chain}.csv"
            shutil.move(csv, dest)
            paths.append(dest)
        for chain, stdout in enumerate(fit.runset.stdout_files, start=1):
            if Path(stdout).is_file():
                shutil.move(stdout, out / f"{spec.name}-{chain}-stdout.txt")
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / p.name for p in paths]


# --------------------------------------------------------------------------- brms names


def correlation_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """Return the pairs of terms in the order brms stores ``cor_1`` (upper triangle by column)."""
    return [(terms[j], terms[k]) for k in range(len(terms)) for j in range(k)]


def posterior_names(spec: ModelSpec, coefficients: Sequence[str]) -> list[str]:
    """Return the posterior variables of a model in brms's order (``r_id`` as one array).

    b (``b_Intercept`` first), sd, cor, sigma, Intercept, r, lprior, lp__ -- the order
    brms's ``reorder_pars`` gives them.
    """
    names = []
    if spec.intercept:
        names.append("b_Intercept")
    names += [f"b_{c}" for c in coefficients]
    if spec.varying is not None:
        g = spec.varying.group
        names += [f"sd_{g}__{t}" for t in spec.varying.terms]
        names += [f"cor_{g}__{a}__{b}" for a, b in correlation_pairs(spec.varying.terms)]
    names.append("sigma")
    if spec.intercept:
        names.append("Intercept")
    if spec.varying is not None:
        names.append(f"r_{spec.varying.group}")
    names += ["lprior", "lp__"]
    return names


def _column(draws: np.ndarray, columns: Sequence[str], name: str) -> np.ndarray:
    """Return one CmdStan column as a (chain, draw) array."""
    try:
        index = columns.index(name)
    except ValueError:
        raise CmdStanError(f"the CmdStan output has no column '{name}'") from None
    return np.ascontiguousarray(draws[:, :, index].T)


def inference_data(model_data: ModelData, fit_dir: str | os.PathLike[str]) -> Any:
    """Read the CmdStan CSVs of a model and return an ArviZ ``InferenceData`` with brms names.

    Groups: ``posterior`` (``b_*``, ``sd_*``, ``cor_*``, ``sigma``, ``Intercept``, ``r_<group>``
    with dims (chain, draw, <group>, term), ``lprior``, ``lp__``), ``sample_stats`` (ArviZ's
    names: diverging, tree_depth, energy, step_size, n_steps, acceptance_rate, lp),
    ``log_likelihood`` and ``observed_data`` (the response's name, dim ``obs`` whose
    coordinates are the rows' 0-based positions in the input data). The posterior's attrs
    hold the spec and levels as JSON (see :func:`mlmpipe.models.load_fit`) and the sampler
    settings.

    Raises:
        FileNotFoundError: ``fit_dir`` holds no CSV.
        CmdStanError: the CSVs lack a variable the model should have, or the chains disagree.
    """
    import arviz as az
    import cmdstanpy

    spec = model_data.spec
    files = fit_csv_files(fit_dir)
    try:
        fit = cmdstanpy.from_csv([str(f) for f in files], method="sample")
    except (ValueError, RuntimeError) as error:
        raise CmdStanError(f"{fit_dir}: cannot read the CmdStan CSVs: {error}") from error
    draws = fit.draws(concat_chains=False)  # (draw, chain, column)
    columns = list(fit.column_names)
    col = lambda name: _column(draws, columns, name)  # noqa: E731

    coefs = list(model_data.coefficients)
    posterior: dict[str, np.ndarray] = {}
    if spec.intercept:
        posterior["b_Intercept"] = col("b_Intercept")
    stan_b = f"b_{spec.nlpar}" if spec.nlpar else "b"
    for k, name in enumerate(coefs, start=1):
        posterior[f"b_{name}"] = col(f"{stan_b}[{k}]")
    dims: dict[str, list[str]] = {}
    coords: dict[str, Any] = {}
    if spec.varying is not None:
        g = spec.varying.group
        terms = list(spec.varying.terms)
        for k, term in enumerate(terms, start=1):
            posterior[f"sd_{g}__{term}"] = col(f"sd_1[{k}]")
        for k, (a, b) in enumerate(correlation_pairs(terms), start=1):
            posterior[f"cor_{g}__{a}__{b}"] = col(f"cor_1[{k}]")
    posterior["sigma"] = col("sigma")
    if spec.intercept:
        posterior["Intercept"] = col("Intercept")
    if spec.varying is not None:
        levels = list(model_data.group_levels or ())
        per_term = [
            np.stack([col(f"r_1_{k}[{j}]") for j in range(1, len(levels) + 1)], axis=-1)
            for k in range(1, len(terms) + 1)
        ]
        posterior[f"r_{g}"] = np.stack(per_term, axis=-1)  # (chain, draw, level, term)
        dims[f"r_{g}"] = [g, "term"]
        coords[g] = levels
        coords["term"] = terms
    posterior["lprior"] = col("lprior")
    posterior["lp__"] = col("lp__")
    posterior = {name: posterior[name] for name in posterior_names(spec, coefs)}

    sample_stats = {arviz: col(stan) for stan, arviz in SAMPLER_COLUMNS.items()}
    sample_stats["diverging"] = sample_stats["diverging"].astype(bool)
    sample_stats["tree_depth"] = sample_stats["tree_depth"].astype(int)
    sample_stats["n_steps"] = sample_stats["n_steps"].astype(int)

    n = model_data.frame.n_rows
    response = spec.response
    log_lik = np.stack([col(f"log_lik[{i}]") for i in range(1, n + 1)], axis=-1)
    observed = np.asarray(model_data.stan_data["Y"], dtype=float)
    coords["obs"] = list(model_data.rows)
    dims[response] = ["obs"]

    idata = az.from_dict(
        posterior=posterior,
        sample_stats=sample_stats,
        log_likelihood={response: log_lik},
        observed_data={response: observed},
        coords=coords,
        dims=dims,
    )
    attrs = idata.posterior.attrs
    attrs[models.SPEC_ATTR] = json.dumps(models.spec_to_dict(spec))
    attrs[models.LEVELS_ATTR] = json.dumps({k: list(v) for k, v in model_data.frame.levels.items()})
    attrs["mlmpipe_rows"] = json.dumps(list(model_data.rows))
    attrs["mlmpipe_n_dropped"] = model_data.frame.n_dropped
    attrs["num_chains"] = spec.chains
    attrs["iter"] = spec.iter
    attrs["warmup"] = spec.warmup
    attrs["thin"] = 1
    attrs["seed"] = spec.seed
    attrs["adapt_delta"] = spec.adapt_delta
    attrs["max_treedepth"] = spec.max_treedepth
    attrs["inference_library"] = "cmdstanpy"
    attrs["stan_file"] = spec.stan_file
    return idata


def write_inference_data(idata: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``idata`` to a NetCDF file atomically and return its path."""
    with atomic_path(path) as tmp:
        idata.to_netcdf(str(tmp))
    return Path(path)


# --------------------------------------------------------------------------- variables


SAMPLER_VARIABLES = (
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
)


def brms_variables(idata: Any) -> list[str]:
    """Return the variables as tidybayes's ``get_variables()`` prints them for a brms fit.

    The posterior's variables in order, arrays spelled out as brms names their elements
    (``r_id[6,Intercept]``, ``r_id[29,Intercept]``, ..., then ``r_id[6,week]``: the first
    index runs fastest), followed by the sampler's diagnostics (``accept_stat__`` ...
    ``energy__``).
    """
    names: list[str] = []
    for name, var in idata.posterior.data_vars.items():
        extra = [d for d in var.dims if d not in ("chain", "draw")]
        if not extra:
            names.append(str(name))
            continue
        labels = [[models.level_label(v) for v in var.coords[d].values.tolist()] for d in extra]
        # column-major: the first index varies fastest, as R flattens arrays
        grid = np.array(np.meshgrid(*[np.arange(len(x)) for x in labels], indexing="ij"))
        flat = grid.reshape(len(extra), -1, order="F").T
        for position in flat:
            inside = ",".join(labels[d][int(i)] for d, i in enumerate(position))
            names.append(f"{name}[{inside}]")
    return names + list(SAMPLER_VARIABLES)


def write_variables(idata: Any, path: str | os.PathLike[str]) -> Path:
    """Write :func:`brms_variables` one a line to ``path`` and return the path."""
    return write_text_atomic(path, "\n".join(brms_variables(idata)) + "\n")


def load_model_data(spec: ModelSpec, data_path: str | os.PathLike[str]) -> ModelData:
    """Read the processed data at ``data_path`` and return :func:`build_model_data` of it."""
    return build_model_data(spec, read_data(data_path))


def check_stan_data(model_data: ModelData, data_json: str | os.PathLike[str]) -> None:
    """Raise :class:`CmdStanError` unless ``data_json`` is the Stan data of ``model_data``.

    The posterior is named from the data it is rebuilt from; this guards against a
    ``data.json`` (and so a fit) made from other data or another spec.
    """
    written = json.loads(Path(data_json).read_text(encoding="utf-8"))
    for key, value in model_data.stan_data.items():
        if key not in written:
            raise CmdStanError(f"{data_json}: has no '{key}'; it was written for another model")
        same = np.array_equal(np.asarray(written[key], dtype=float), np.asarray(value, dtype=float))
        if not same:
            raise CmdStanError(
                f"{data_json}: '{key}' differs from the data the posterior is built from; "
                "re-run the model_data rule"
            )
