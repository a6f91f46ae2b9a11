"""Model specifications: the config's ``models`` entries, read through their brms formulas.

A :class:`ModelSpec` holds one model's formula (parsed by :mod:`mlmpipe.formula`), family,
priors (brms strings) and sampler settings, and, for the lecture's shapes, the structure
the lecture's draw tables use (response, intercept, population terms, grouping factor and
its terms, non-linear parameter). :mod:`mlmpipe.models` re-exports everything here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FACTOR_SUFFIX = ".f"


@dataclass(frozen=True)
class VaryingSpec:
    """Group-level (varying) effects ``(terms | group)``; correlated when more than one term."""

    group: str
    terms: tuple[str, ...]

    @property
    def correlated(self) -> bool:
        """True when the terms have a correlation matrix (brms's default for ``(1 + x | g)``)."""
        return len(self.terms) > 1

    @property
    def predictors(self) -> tuple[str, ...]:
        """Data columns the varying terms use (``Intercept`` uses none)."""
        return tuple(t for t in self.terms if t != "Intercept")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the config: its brms formula, family, priors and sampler settings.

    ``response``, ``intercept``, ``population``, ``nlpar`` and ``varying`` describe the
    formula in the lecture's shapes (``simple``: gaussian, population terms of one variable,
    at most one grouping factor, as m1 to m5); code that handles any formula (Stan data,
    posterior names, the formula path of the draws) works from :attr:`formula_arg` with
    :mod:`mlmpipe.formula` instead. ``priors`` are brms prior strings by key.
    """

    name: str
    formula: tuple[str, ...]
    response: str
    intercept: bool
    population: tuple[str, ...]
    varying: VaryingSpec | None
    priors: Mapping[str, str]
    iter: int
    warmup: int
    chains: int
    seed: int
    adapt_delta: float = 0.8
    max_treedepth: int = 10
    nlpar: str | None = None
    description: str = ""
    stan_file: str = ""
    family: str = "gaussian"
    simple: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def num_samples(self) -> int:
        """Post-warmup draws per chain (brms's ``iter - warmup``)."""
        return self.iter - self.warmup

    @property
    def generated(self) -> bool:
        """True when the pipeline generates the model's Stan program (no checked-in one)."""
        return self.stan_file == GENERATED_STAN.format(name=self.name)

    @property
    def formula_arg(self) -> str | list[str]:
        """The formula as :mod:`mlmpipe.formula` takes it (a string, or the non-linear list)."""
        return self.formula[0] if len(self.formula) == 1 else list(self.formula)

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns of every variable in the formula, in formula order, without repeats
        (``x.f`` and ``factor(x)`` read ``x``)."""
        if not self.simple:
            return formula_columns(self.formula_arg)
        names = [self.response, *(source_column(p) for p in self.population)]
        if self.varying is not None:
            names += [self.varying.group, *self.varying.predictors]
        return tuple(dict.fromkeys(names))

    @property
    def predictor_columns(self) -> tuple[str, ...]:
        """Data columns needed to compute the linear predictor (every column but the response)."""
        return tuple(c for c in self.columns if c != self.response)

    @property
    def formula_text(self) -> str:
        """The brms formula as brms prints it, continuation lines indented."""
        return "\n         ".join(self.formula)


def formula_columns(formula: str | Sequence[str]) -> tuple[str, ...]:
    """The columns a formula names, without the data: ``x.f`` and ``factor(x)`` read ``x``.

    Raises:
        FormulaError: the formula cannot be read.
    """
    from mlmpipe.formula import parse_formula

    bf = parse_formula(formula)
    names = [bf.response] + ([bf.trials] if isinstance(bf.trials, str) else [])
    linears = [bf.population] if bf.population is not None else list(bf.nlpars.values())
    linears += [g.formula for g in bf.groups]
    for lf in linears:
        names += [v.name for term in lf.terms for v in term.variables if v.name != "Intercept"]
    names += [f for g in bf.groups for f in g.factors]
    return tuple(dict.fromkeys(source_column(n) for n in names))


def _shape(formula: str | Sequence[str], family: str) -> dict[str, Any]:
    """The lecture-shape fields of a formula (see :class:`ModelSpec`), ``simple`` among them.

    Raises:
        FormulaError: the formula cannot be read.
    """
    from mlmpipe.formula import parse_formula

    bf = parse_formula(formula)
    lf = bf.population if bf.population is not None else next(iter(bf.nlpars.values()), None)
    singles = lf is not None and all(
        len(t.variables) == 1 and not t.variables[0].forced_factor for t in lf.terms
    )
    population = tuple(t.label for t in lf.terms) if lf is not None else ()
    nlpar = next(iter(bf.nlpars), None)
    simple = family == "gaussian" and bf.trials is None and singles
    nl_expr = [t.text for t in bf.nl_expr if t.kind != "end"]
    simple &= not bf.is_nonlinear or (
        len(bf.nlpars) == 1 and not lf.intercept and nl_expr == ["0", "+", nlpar]
    )
    varying = None
    if len(bf.groups) == 1 and len(bf.groups[0].factors) == 1:
        g = bf.groups[0]
        terms = (["Intercept"] if g.formula.intercept else []) + [t.label for t in g.formula.terms]
        varying = VaryingSpec(g.factors[0], tuple(terms))
        simple &= all(len(t.variables) == 1 for t in g.formula.terms)
        simple &= g.correlated or len(terms) == 1
        simple &= "Intercept" not in population
    elif bf.groups:
        simple = False
    intercept = bf.population is not None and bf.population.intercept
    return {
        "response": bf.response,
        "intercept": intercept,
        "population": population,
        "nlpar": nlpar,
        "varying": varying,
        "simple": bool(simple),
    }


def prior_strings(priors: Mapping[str, Any]) -> dict[str, str]:
    """Return priors as brms strings (an older spec's ``{family: normal, mu: 0, sigma: 1}``
    becomes ``"normal(0, 1)"``); strings are kept as written."""
    from mlmpipe.formula.lecture import config_prior_strings

    out: dict[str, str] = {}
    for key, value in priors.items():
        out[key] = value if isinstance(value, str) else config_prior_strings({key: value})[key]
    return out


GENERATED_STAN = "results/{name}/model.stan"
"""Where the pipeline writes the program of a model without a checked-in one."""


def stan_file(name: str, entry: Mapping[str, Any], repository: str | os.PathLike[str]) -> str:
    """The model's Stan program: its ``stan`` key, else ``stan/<name>.stan`` when the
    repository has it, else the generated :data:`GENERATED_STAN`."""
    if entry.get("stan"):
        return str(entry["stan"])
    checked_in = f"stan/{name}.stan"
    if (Path(repository) / checked_in).is_file():
        return checked_in
    return GENERATED_STAN.format(name=name)


def prior_families(priors: Mapping[str, str]) -> dict[str, str]:
    """Each prior's distribution (``"normal(0, 1)"`` -> ``"normal"``, flat -> ``""``), by key:
    what the Stan code depends on (the values are data).

    Raises:
        FormulaError: a prior cannot be read.
    """
    from mlmpipe.formula.priors import parse_prior

    return {key: parse_prior(text, key).family for key, text in priors.items()}


def load_specs(
    config: Mapping[str, Any], repository: str | os.PathLike[str] = "."
) -> dict[str, ModelSpec]:
    """Build every model's :class:`ModelSpec` from a validated config mapping.

    The formula is parsed (:mod:`mlmpipe.formula`); per-model ``chains``, ``seed``,
    ``adapt_delta`` and ``max_treedepth`` fall back to the ``sampling`` section; the Stan
    program is :func:`stan_file`'s (``repository``: where ``stan/`` is). Returns a dict keyed
    by model name, in config order.

    Raises:
        FormulaError: a formula cannot be read (the message starts with the model's name).
    """
    from mlmpipe.formula import FormulaError

    sampling = config.get("sampling", {})
    specs: dict[str, ModelSpec] = {}
    for name, entry in config["models"].items():
        formula = entry["formula"]
        formula = (formula,) if isinstance(formula, str) else tuple(formula)
        family = entry.get("family", "gaussian")
        try:
            shape = _shape(formula[0] if len(formula) == 1 else list(formula), family)
        except FormulaError as error:
            raise FormulaError(f"model {name}: {error}") from None
        specs[name] = ModelSpec(
            name=name,
            formula=formula,
            description=entry.get("description", ""),
            family=family,
            priors=prior_strings(entry.get("priors") or {}),
            iter=int(entry["iter"]),
            warmup=int(entry["warmup"]),
            chains=int(entry.get("chains", sampling.get("chains", 4))),
            seed=int(entry.get("seed", sampling.get("seed", 1))),
            adapt_delta=float(entry.get("adapt_delta", sampling.get("adapt_delta", 0.8))),
            max_treedepth=int(entry.get("max_treedepth", sampling.get("max_treedepth", 10))),
            stan_file=stan_file(name, entry, repository),
            **shape,
        )
    return specs


def source_column(predictor: str) -> str:
    """Return the data column a predictor reads (``id.f`` reads ``id``)."""
    if predictor.endswith(FACTOR_SUFFIX):
        return predictor[: -len(FACTOR_SUFFIX)]
    return predictor


# --------------------------------------------------------------------------- specs as JSON


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """Return ``spec`` as a JSON-ready dict (a config entry plus its name) that
    :func:`spec_from_dict` reads back."""
    return {
        "name": spec.name,
        "formula": list(spec.formula),
        "family": spec.family,
        "description": spec.description,
        "priors": dict(spec.priors),
        "iter": spec.iter,
        "warmup": spec.warmup,
        "chains": spec.chains,
        "seed": spec.seed,
        "adapt_delta": spec.adapt_delta,
        "max_treedepth": spec.max_treedepth,
        "stan": spec.stan_file,
    }


def spec_from_dict(entry: Mapping[str, Any]) -> ModelSpec:
    """Inverse of :func:`spec_to_dict` (it also reads the specs of older posteriors, whose
    priors were ``{family: ..., <parameter>: ...}`` mappings)."""
    name = entry["name"]
    known = {k: v for k, v in entry.items() if k not in ("response", "intercept", "population",
                                                          "nlpar", "varying")}  # fmt: skip
    return load_specs({"models": {name: known}})[name]
