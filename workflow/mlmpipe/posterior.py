"""The brms-named posterior of a fit: CmdStan's CSVs turned into an ArviZ ``InferenceData``
(``posterior.nc``) whose variables carry brms's names (``b_Intercept``, ``sd_id__Intercept``,
``r_id`` ...), brms's variable list, and reading ``posterior.nc`` back as a :class:`Fit`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlmpipe import models
from mlmpipe.cmdstan import CmdStanError, fit_csv_files
from mlmpipe.fileio import atomic_path, write_text_atomic
from mlmpipe.models import ModelSpec
from mlmpipe.standata import ModelData

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


# --------------------------------------------------------------------------- brms names


def correlation_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """Return the pairs of terms in the order brms stores ``cor_1`` (upper triangle by column)."""
    return [(terms[j], terms[k]) for k in range(len(terms)) for j in range(k)]


def posterior_names(model_data: ModelData) -> list[str]:
    """Return the posterior variables of a model in brms's order (``r_<group>`` as one array).

    b (``b_Intercept`` first), sd, cor, the family's parameters (``sigma``, ``nu``),
    Intercept, r, lprior, lp__ -- the order brms's ``reorder_pars`` gives them.
    """
    model = model_data.model
    names = ["b_Intercept"] if model.has_intercept else []
    names += [f"b_{c}" for c in model_data.coefficients]
    groups = _group_terms(model)
    names += [f"sd_{g}__{t}" for g, parts in groups.items() for _, terms in parts for t in terms]
    names += [
        f"cor_{g}__{a}__{b}"
        for g, parts in groups.items()
        for i, terms in parts
        if i in _correlated(model)
        for a, b in correlation_pairs(terms)
    ]
    names += [d.name for d in model.family.dpars]
    names += ["Intercept"] if model.has_intercept else []
    names += [f"r_{g}" for g in groups]
    return names + ["lprior", "lp__"]


def _correlated(model: Any) -> set[int]:
    """IDs (1-based) of the group-level terms with a correlation matrix."""
    return {i for i, g in enumerate(model.groups, 1) if g.term.correlated and len(g.coefs) > 1}


def _group_terms(model: Any) -> dict[str, list[tuple[int, list[str]]]]:
    """Per grouping factor (brms's name, ``id``), its group-level terms: (ID, coefficients).

    brms gives one ``sd``/``r`` name per factor: ``(1 | id) + (0 + week | id)`` gives
    ``sd_id__Intercept``, ``sd_id__week`` and ``r_id[..., Intercept]``, ``r_id[..., week]``.
    """
    out: dict[str, list[tuple[int, list[str]]]] = {}
    for i, g in enumerate(model.groups, 1):
        out.setdefault(g.term.group, []).append((i, list(g.coefs)))
    return out


def _column(draws: np.ndarray, columns: Sequence[str], name: str) -> np.ndarray:
    """Return one CmdStan column as a (chain, draw) array."""
    try:
        index = columns.index(name)
    except ValueError:
        raise CmdStanError(f"the CmdStan output has no column '{name}'") from None
    return np.ascontiguousarray(draws[:, :, index].T)


def _read_csvs(fit_dir: str | os.PathLike[str]) -> Any:
    """Return a (chain, draw) column reader over the CmdStan CSVs in ``fit_dir``.

    Raises:
        CmdStanError: no CSV, or cmdstanpy cannot read them (its message is quoted).
    """
    import cmdstanpy

    files = fit_csv_files(fit_dir)
    try:
        fit = cmdstanpy.from_csv([str(f) for f in files], method="sample")
    except (ValueError, RuntimeError) as error:
        raise CmdStanError(f"{fit_dir}: cannot read the CmdStan CSVs: {error}") from error
    draws = fit.draws(concat_chains=False)  # (draw, chain, column)
    columns = list(fit.column_names)
    return lambda name: _column(draws, columns, name)


def _posterior_group(
    model_data: ModelData, col: Any
) -> tuple[dict[str, np.ndarray], dict[str, list[str]], dict[str, Any]]:
    """Return the posterior's variables under brms's names, with their dims and coords."""
    model = model_data.model
    posterior: dict[str, np.ndarray] = {}
    dims: dict[str, list[str]] = {}
    coords: dict[str, Any] = {}
    if model.has_intercept:
        posterior["b_Intercept"] = col("b_Intercept")
        posterior["Intercept"] = col("Intercept")
    parts = [("b", model.mu.coefs)] if model.mu is not None else []
    parts += [(f"b_{p.nlpar}", p.names) for p in model.nlpars]
    for stan_b, names in parts:
        for k, name in enumerate(names, start=1):
            posterior[f"b_{name}"] = col(f"{stan_b}[{k}]")
    for dpar in model.family.dpars:
        posterior[dpar.name] = col(dpar.name)
    groups = _group_terms(model)
    for g, terms_of in groups.items():
        per_term = []
        for i, terms in terms_of:
            for k, term in enumerate(terms, start=1):
                posterior[f"sd_{g}__{term}"] = col(f"sd_{i}[{k}]")
            if i in _correlated(model):
                for k, (a, b) in enumerate(correlation_pairs(terms), start=1):
                    posterior[f"cor_{g}__{a}__{b}"] = col(f"cor_{i}[{k}]")
            n_levels = len(model.groups[i - 1].levels)
            per_term += [
                np.stack([col(f"r_{i}_{k}[{j}]") for j in range(1, n_levels + 1)], axis=-1)
                for k in range(1, len(terms) + 1)
            ]
        posterior[f"r_{g}"] = np.stack(per_term, axis=-1)  # (chain, draw, level, term)
        # one grouping factor: dims (id, term), as before; several: (g, term_g) each
        dims[f"r_{g}"] = [g, "term" if len(groups) == 1 else f"term_{g}"]
        coords[g] = list(model_data.frame.levels[g])
        coords[dims[f"r_{g}"][1]] = [t for _, terms in terms_of for t in terms]
    posterior["lprior"] = col("lprior")
    posterior["lp__"] = col("lp__")
    ordered = {name: posterior[name] for name in posterior_names(model_data)}
    return ordered, dims, coords


def _sample_stats(col: Any) -> dict[str, np.ndarray]:
    """Return the sampler's diagnostics under ArviZ's names and types."""
    stats = {arviz: col(stan) for stan, arviz in SAMPLER_COLUMNS.items()}
    stats["diverging"] = stats["diverging"].astype(bool)
    stats["tree_depth"] = stats["tree_depth"].astype(int)
    stats["n_steps"] = stats["n_steps"].astype(int)
    return stats


def inference_data(model_data: ModelData, fit_dir: str | os.PathLike[str]) -> Any:
    """Read the CmdStan CSVs of a model and return an ArviZ ``InferenceData`` with brms names.

    Groups: ``posterior`` (``b_*``, ``sd_*``, ``cor_*``, ``sigma``, ``Intercept``, ``r_<group>``
    with dims (chain, draw, <group>, term), ``lprior``, ``lp__``), ``sample_stats`` (ArviZ's
    names: diverging, tree_depth, energy, step_size, n_steps, acceptance_rate, lp),
    ``log_likelihood`` and ``observed_data`` (the response's name, dim ``obs`` whose
    coordinates are the rows' 0-based positions in the input data). The posterior's attrs
    hold the spec and levels as JSON (see :func:`load_fit`) and the sampler settings.

    Raises:
        CmdStanError: no CSV, the CSVs lack a variable the model should have, or the chains
            disagree.
    """
    import arviz as az

    spec = model_data.spec
    col = _read_csvs(fit_dir)
    posterior, dims, coords = _posterior_group(model_data, col)
    response = spec.response
    n = model_data.frame.n_rows
    log_lik = np.stack([col(f"log_lik[{i}]") for i in range(1, n + 1)], axis=-1)
    coords["obs"] = list(model_data.rows)
    dims[response] = ["obs"]
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=_sample_stats(col),
        log_likelihood={response: log_lik},
        observed_data={response: np.asarray(model_data.stan_data["Y"], dtype=float)},
        coords=coords,
        dims=dims,
    )
    attrs = idata.posterior.attrs
    attrs[SPEC_ATTR] = json.dumps(models.spec_to_dict(spec))
    attrs[LEVELS_ATTR] = json.dumps({k: list(v) for k, v in model_data.frame.levels.items()})
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


# --------------------------------------------------------------------------- reading it back

SPEC_ATTR = "mlmpipe_spec"
"""The posterior attribute holding the model's spec as JSON."""
LEVELS_ATTR = "mlmpipe_levels"
"""The posterior attribute holding the factors' levels as JSON."""


class Fit:
    """A fitted model: its posterior (ArviZ InferenceData with brms names) and structure.

    ``levels`` maps each factor of the formula (``id``, ``group``, ``id.f``) to the levels
    the model was fitted with, in brms's order. :func:`load_fit` reads only the posterior
    group (``posterior``, with xarray) and the whole InferenceData (``idata``, with ArviZ,
    whose import takes longer than reading the draws) the first time it is asked for.
    """

    def __init__(
        self,
        idata: Any = None,
        spec: ModelSpec | None = None,
        levels: Mapping[str, list[Any]] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        posterior: Any = None,
    ) -> None:
        if idata is None and path is None:
            raise ValueError("a Fit needs its InferenceData or the path of its posterior.nc")
        if spec is None or levels is None:
            raise ValueError("a Fit needs its spec and levels")
        self._idata = idata
        self._path = Path(path) if path is not None else None
        self._posterior = posterior
        self.spec = spec
        self.levels = levels

    @property
    def idata(self) -> Any:
        """The ArviZ InferenceData (every group), read on first use when loaded from a file."""
        if self._idata is None:
            import arviz as az

            self._idata = az.from_netcdf(self._path)
        return self._idata

    @property
    def posterior(self) -> Any:
        """The posterior group (an xarray Dataset with brms names)."""
        if self._posterior is None:
            self._posterior = self.idata.posterior
        return self._posterior

    @property
    def name(self) -> str:
        """The model's name (``m2``)."""
        return self.spec.name

    def __repr__(self) -> str:
        return f"Fit({self.spec.name}, {self._path or 'in memory'})"


def load_spec(path: str | os.PathLike[str]) -> ModelSpec:
    """Return the spec a ``posterior.nc`` was fitted with (formula, priors, sampler settings),
    reading only the posterior group's attributes, not the draws.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ModelDataError: the file has no model spec (it was not written by this pipeline).
    """
    import h5py

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such posterior file")
    with h5py.File(path, "r") as handle:
        attrs = handle["posterior"].attrs if "posterior" in handle else {}
        text = attrs.get(SPEC_ATTR)
    if text is None:
        raise models.ModelDataError(
            f"{path}: the posterior has no '{SPEC_ATTR}' attribute; "
            "it was not written by this pipeline"
        )
    return models.spec_from_dict(json.loads(text))


def load_fit(path: str | os.PathLike[str]) -> Fit:
    """Read a ``posterior.nc`` written by the pipeline and return its :class:`Fit`: the
    posterior group now, the whole InferenceData when ``Fit.idata`` is first used.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ModelDataError: the file has no model spec (it was not written by this pipeline).
    """
    import xarray as xr

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such posterior file")
    with xr.open_dataset(path, group="posterior", engine="h5netcdf") as dataset:
        draws = dataset.load()
    attrs = draws.attrs
    if SPEC_ATTR not in attrs or LEVELS_ATTR not in attrs:
        raise models.ModelDataError(
            f"{path}: the posterior has no '{SPEC_ATTR}'/'{LEVELS_ATTR}' attributes; "
            "it was not written by this pipeline"
        )
    spec = models.spec_from_dict(json.loads(attrs[SPEC_ATTR]))
    levels = json.loads(attrs[LEVELS_ATTR])
    return Fit(spec=spec, levels=levels, path=path, posterior=draws)
