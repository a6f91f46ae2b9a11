"""``brm()``: fit a brms formula from Python, without the workflow.

::

    import mlmpipe
    fit = mlmpipe.brm("con ~ 1 + week + (1 | id)", d, family="gaussian",
                      prior={"b": "normal(0, 1)", "sd": "exponential(1)"},
                      chains=4, iter=2000, warmup=1000, seed=9)
    fit.variables()      # brms's variables(fit)
    fit.summary()        # the brms-style summary table (print(fit) shows brms's text)
    fit.loo()            # PSIS-LOO, as the loo package computes it
    fit.spread_draws("b_week", "r_id[id, term]")
    fit.epred_draws()    # newdata=None: the rows the model was fitted to
    fit.predicted_draws(newdata=nd, allow_new_levels=True)

The arguments are brms's (``formula``, ``data``, ``family``, ``prior``, ``chains``, ``iter``,
``warmup``, ``seed``, ``cores``, ``control``-like ``adapt_delta`` and ``max_treedepth``).
The Stan program is :func:`mlmpipe.formula.make_stancode`'s, compiled with the project's
CmdStan (:func:`mlmpipe.cmdstan.cmdstan_path`) and cached by the program's sha256 under
``cache_dir`` (default ``$MLMPIPE_CACHE`` or ``~/.cache/mlmpipe``): priors are data, so a
second ``brm()`` with other prior values (or other data) reuses the executable. The draws go
through the pipeline's own code (:mod:`mlmpipe.posterior`, :mod:`mlmpipe.summary`,
:mod:`mlmpipe.loo`, :mod:`mlmpipe.draws`), so they carry the same names as its outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlmpipe.fileio import write_text_atomic
from mlmpipe.models import ModelSpec, load_specs
from mlmpipe.posterior import Fit


def default_cache_dir() -> Path:
    """``$MLMPIPE_CACHE``, else ``$XDG_CACHE_HOME/mlmpipe``, else ``~/.cache/mlmpipe``."""
    if os.environ.get("MLMPIPE_CACHE"):
        return Path(os.environ["MLMPIPE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mlmpipe"


def compiled_program(
    code: str, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, bool]:
    """Return the executable of the Stan program ``code`` and whether it was compiled now.

    Executables are kept under ``<cache_dir>/stan/<sha256 of the code>/model``; one that is
    there is reused. A compile happens in a temporary folder renamed into place at the end, so
    an interrupted one leaves nothing a later call would take for a build.

    Raises:
        CmdStanError: stanc or the C++ compiler failed (their message is quoted).
    """
    from mlmpipe.cmdstan import cmdstan_path
    from mlmpipe.sampling import compile_model

    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    target = root / "stan" / digest
    exe = target / "model"
    if exe.is_file() and os.access(exe, os.X_OK):
        return exe, False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}.", dir=target.parent))
    try:
        source = staging / "source.stan"
        source.write_text(code, encoding="utf-8")
        compile_model(source, staging / "model", cmdstan=cmdstan_path())
        (staging / "model.stan").write_text(code, encoding="utf-8")
        if target.exists():  # another process finished first: use its build
            return exe, False
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return exe, True


@dataclass
class BrmsFit:
    """A model fitted by :func:`brm`: its posterior (a :class:`mlmpipe.posterior.Fit`), the
    Stan code and data, the rows it was fitted to, and brms's methods."""

    fit: Fit
    stancode: str
    standata: dict[str, Any]
    data: pd.DataFrame
    exe: Path
    compiled: bool  # True when this call compiled the program, False when it reused it
    _variables: list[str]

    @property
    def idata(self) -> Any:
        """The posterior as an ArviZ ``InferenceData`` with brms's names."""
        return self.fit.idata

    @property
    def spec(self) -> ModelSpec:
        """The model's spec (formula, family, priors, sampler settings)."""
        return self.fit.spec

    def variables(self) -> list[str]:
        """brms's ``variables(fit)``: b, sd, cor, the family's parameters, r, lprior, lp__."""
        return list(self._variables)

    def summary(self) -> pd.DataFrame:
        """The brms-style summary table (:func:`mlmpipe.summary.summary_table`)."""
        from mlmpipe.summary import summary_table

        return summary_table(self.idata.posterior)

    def summary_text(self) -> str:
        """The summary as brms's ``print(fit)`` shows it."""
        from mlmpipe.summary import group_sizes, header_of, summary_text

        header = header_of(self.idata, data_name="data")
        return summary_text(self.summary(), header, group_sizes(self.idata.posterior))

    def __repr__(self) -> str:
        return self.summary_text()

    def loo(self) -> Any:
        """PSIS-LOO (:func:`mlmpipe.loo.compute_loo`); ``print(fit.loo().text())`` as loo."""
        from mlmpipe.loo import compute_loo

        return compute_loo(self.idata, self.spec.name)

    def spread_draws(self, *specs: str) -> pd.DataFrame:
        """tidybayes's ``spread_draws`` (:func:`mlmpipe.draws.spread_draws`)."""
        from mlmpipe.draws import spread_draws

        return spread_draws(self.fit, *specs)

    def epred_draws(self, newdata: pd.DataFrame | None = None, **kwargs: Any) -> pd.DataFrame:
        """tidybayes's ``epred_draws`` for ``newdata`` (default: the rows fitted)."""
        from mlmpipe.draws import epred_draws

        return epred_draws(self.fit, self.data if newdata is None else newdata, **kwargs)

    def predicted_draws(self, newdata: pd.DataFrame | None = None, **kwargs: Any) -> pd.DataFrame:
        """tidybayes's ``predicted_draws`` for ``newdata`` (default: the rows fitted)."""
        from mlmpipe.draws import predicted_draws

        return predicted_draws(self.fit, self.data if newdata is None else newdata, **kwargs)


def _spec(name: str, formula: Any, family: str, prior: Mapping[str, str] | None,
          settings: Mapping[str, Any]) -> ModelSpec:  # fmt: skip
    """The :class:`ModelSpec` of a ``brm()`` call."""
    formula = formula if isinstance(formula, str) else list(formula)
    entry = {"formula": formula, "family": family, "priors": dict(prior or {}), **settings}
    return load_specs({"models": {name: entry}})[name]


def brm(
    formula: str | Sequence[str],
    data: pd.DataFrame,
    family: str = "gaussian",
    prior: Mapping[str, str] | None = None,
    chains: int = 4,
    iter: int = 2000,  # noqa: A002 (brms's name)
    warmup: int | None = None,
    seed: int = 1234,
    cores: int | None = None,
    adapt_delta: float = 0.8,
    max_treedepth: int = 10,
    cache_dir: str | os.PathLike[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    name: str = "model",
) -> BrmsFit:
    """Fit ``formula`` to ``data`` with CmdStan, as brms's ``brm()`` does, and return the fit.

    ``warmup`` defaults to ``iter // 2`` (brms's default); ``cores`` (parallel chains) to
    ``chains``. ``prior`` maps a class key (``b``, ``Intercept``, ``sd``, ``sigma``, ``cor``,
    ``nu``, ``b_<nlpar>``, ``sd_<group>``, ``cor_<group>``) to a brms prior string; the
    classes left out get brms's defaults. ``output_dir`` keeps CmdStan's CSVs and the data
    (default: a temporary folder, removed once the draws are read); ``name`` names the model
    in messages and tables.

    Raises:
        FormulaError: the formula or a prior cannot be read.
        ModelInputError: an unknown variable, a factor with one level, a response the family
            cannot have (each message names the model, the term and the column) -- raised
            before anything is compiled.
        CmdStanError: compiling or sampling failed.
    """
    from mlmpipe import posterior, sampling, standata
    from mlmpipe.cmdstan import cmdstan_path
    from mlmpipe.formula import stancode
    from mlmpipe.formula.variables import variables

    warmup = iter // 2 if warmup is None else warmup
    settings = {"iter": iter, "warmup": warmup, "chains": chains, "seed": seed,
                "adapt_delta": adapt_delta, "max_treedepth": max_treedepth}  # fmt: skip
    spec = _spec(name, formula, family, prior, settings)
    model = standata.formula_model(spec, data)  # every input check, before any compile
    model_data = standata.model_data_of(spec, model)
    code = stancode.generate(model)
    exe, compiled = compiled_program(code, cache_dir)
    folder = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="mlmpipe-brm-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data_json = folder / "data.json"
        write_text_atomic(data_json, json.dumps(model_data.stan_data) + "\n")
        sampling.sample_model(spec, exe, data_json, folder / "fit", cmdstan=cmdstan_path(),
                              parallel_chains=cores or chains)  # fmt: skip
        idata = posterior.inference_data(model_data, folder / "fit")  # read into memory
    finally:
        if not output_dir:
            shutil.rmtree(folder, ignore_errors=True)
    fit = Fit(idata=idata, spec=spec, levels=model_data.frame.levels)
    return BrmsFit(fit, code, model_data.stan_data, model.frame.data, exe, compiled,
                   variables(model))  # fmt: skip
