"""Priors: brms prior strings, brms 2.18's default priors, and their Stan data.

A prior is a brms string (``"normal(0, 1)"``, ``"exponential(1)"``, ``"student_t(3, 0, 2.5)"``,
``"gamma(2, 0.1)"``, ``"lkj(1)"``, ``"cauchy(0,1)"``; ``"flat"`` or ``""`` is brms's improper
flat prior, which adds nothing to ``lprior``). Priors are given as a mapping from a key to a
string. Keys: ``b``, ``Intercept``, ``sd``, ``sigma``, ``cor``, ``nu`` (a class);
``b_<nlpar>`` (class b of a non-linear parameter, e.g. ``b_a``; ``b`` applies to every
non-linear parameter without its own key); ``sd_<group>`` and ``cor_<group>`` (one grouping
factor, e.g. ``sd_id``; ``sd``/``cor`` apply to the others).

**Stan data names.** The prior's family is written in the Stan code; its parameters are data
named ``prior_<key>_<parameter>``, where ``<key>`` is the key the prior came from (the class
when it is a default or a class-wide prior; characters other than letters, digits and ``_``
become ``_``, so ``sd_g1:g2`` gives ``prior_sd_g1_g2_...``) and ``<parameter>`` is the
parameter's name in :data:`PRIOR_FAMILIES` (``prior_b_mu``, ``prior_b_sigma``,
``prior_Intercept_nu``, ``prior_sd_rate``, ``prior_cor_eta``, ``prior_nu_alpha`` ...). So a
new prior *value* re-samples without recompiling; a new *family* (or a new key) is new code.

**Truncation.** As brms does, a prior on a bounded parameter (``sd``, ``sigma`` at 0, ``nu``
at 1) whose distribution's support starts below the bound gets the term
``- n * <family>_lccdf(<bound> | <parameters>)`` (n coefficients), with the parameters as
data; distributions on the positive reals (exponential, gamma ...) on a bound of 0 get none,
exactly as brms omits it, since their lccdf(0) is 0. Log densities equal brms's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from mlmpipe.formula.errors import FormulaError

#: family -> (parameter names, which are positive, lower end of the support)
PRIOR_FAMILIES: dict[str, tuple[tuple[str, ...], tuple[bool, ...], float]] = {
    "normal": (("mu", "sigma"), (False, True), -math.inf),
    "student_t": (("nu", "mu", "sigma"), (True, False, True), -math.inf),
    "cauchy": (("mu", "sigma"), (False, True), -math.inf),
    "double_exponential": (("mu", "sigma"), (False, True), -math.inf),
    "logistic": (("mu", "sigma"), (False, True), -math.inf),
    "exponential": (("rate",), (True,), 0.0),
    "gamma": (("alpha", "beta"), (True, True), 0.0),
    "inv_gamma": (("alpha", "beta"), (True, True), 0.0),
    "lognormal": (("mu", "sigma"), (False, True), 0.0),
    "weibull": (("alpha", "sigma"), (True, True), 0.0),
    "lkj": (("eta",), (True,), -math.inf),
}
_WORDS = {
    "mu": "location",
    "sigma": "scale",
    "nu": "degrees of freedom",
    "alpha": "shape",
    "beta": "rate",
    "inv_gamma beta": "scale",
    "eta": "shape",
}
_PRIOR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$")


@dataclass(frozen=True)
class PriorSpec:
    """A parsed prior: its family (``""`` for flat) and its arguments."""

    family: str
    args: tuple[float, ...]

    @property
    def is_flat(self) -> bool:
        """True for brms's improper flat prior."""
        return not self.family

    @property
    def params(self) -> tuple[str, ...]:
        """The names of the family's parameters (as used in the Stan data names)."""
        return PRIOR_FAMILIES[self.family][0] if self.family else ()

    @property
    def text(self) -> str:
        """The prior as brms prints it (``student_t(3, 0.2, 2.5)``; ``""`` for flat)."""
        if self.is_flat:
            return ""
        return f"{self.family}({', '.join(r_number(a) for a in self.args)})"


def _word(family: str, param: str) -> str:
    """What a prior parameter is, for the comment of its data declaration."""
    return _WORDS.get(f"{family} {param}", _WORDS.get(param, param))


def r_number(value: float) -> str:
    """Format a number as R's ``as.character`` does for these values (``3``, ``0.2``)."""
    if float(value).is_integer():
        return str(int(value))
    return format(float(value), ".15g")


def parse_prior(text: str, key: str = "") -> PriorSpec:
    """Return the :class:`PriorSpec` of a brms prior string.

    Raises:
        FormulaError: not ``family(numbers)`` or flat, an unsupported family, the wrong number
            of arguments, or a scale/shape/rate that is not positive.
    """
    where = f"prior {key}={text!r}" if key else f"prior {text!r}"
    stripped = (text or "").strip()
    if stripped in ("", "flat", "(flat)"):
        return PriorSpec("", ())
    match = _PRIOR.match(stripped)
    if not match:
        raise FormulaError(f"{where}: expected a distribution such as 'normal(0, 1)' or 'flat'")
    family = {"lkj_corr_cholesky": "lkj", "lkj_corr": "lkj"}.get(match[1], match[1])
    if family not in PRIOR_FAMILIES:
        raise FormulaError(
            f"{where}: unsupported distribution '{match[1]}' (supported: "
            f"{', '.join(PRIOR_FAMILIES)}, flat)"
        )
    names, positive, _ = PRIOR_FAMILIES[family]
    try:
        args = tuple(float(a) for a in match[2].split(",")) if match[2].strip() else ()
    except ValueError:
        raise FormulaError(f"{where}: its arguments must be numbers") from None
    if len(args) != len(names):
        raise FormulaError(
            f"{where}: {family} takes {len(names)} argument(s) ({', '.join(names)}), "
            f"not {len(args)}"
        )
    for name, value, pos in zip(names, args, positive, strict=True):
        if not math.isfinite(value) or (pos and value <= 0):
            raise FormulaError(
                f"{where}: {name} must be a finite{' positive' if pos else ''} number"
            )
    return PriorSpec(family, args)


def data_key(key: str) -> str:
    """Return the prior key as it appears in Stan data names (``sd_g1:g2`` -> ``sd_g1_g2``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", key)


@dataclass(frozen=True)
class Prior:
    """A prior as the model uses it: the key it came from, what it applies to, its source."""

    key: str
    cls: str
    spec: PriorSpec
    source: str  # "user" or "default"
    group: str = ""
    nlpar: str = ""

    def data_names(self) -> list[str]:
        """The Stan data names of the prior's parameters (``prior_sd_rate`` ...)."""
        return [f"prior_{data_key(self.key)}_{p}" for p in self.spec.params]

    def data(self) -> dict[str, float]:
        """The prior's parameters as Stan data."""
        return dict(zip(self.data_names(), self.spec.args, strict=True))

    def stan_args(self) -> str:
        """The data names joined for a Stan call (``prior_b_mu, prior_b_sigma``)."""
        return ", ".join(self.data_names())

    def lprior(self, par: str, ncoef: int = 1, lower: float | None = None) -> str | None:
        """Return brms's ``lprior += ...;`` line(s) for ``par``, or None for a flat prior.

        ``lower`` is the parameter's lower bound: when the distribution's support starts
        below it, brms's truncation term ``- ncoef * <family>_lccdf(lower | ...)`` follows.
        """
        if self.spec.is_flat:
            return None
        args = self.stan_args()
        if self.spec.family == "lkj":
            return f"  lprior += lkj_corr_cholesky_lpdf({par} | {args});"
        line = f"  lprior += {self.spec.family}_lpdf({par} | {args})"
        support = PRIOR_FAMILIES[self.spec.family][2]
        if lower is not None and lower > support:
            line += (
                f"\n    - {max(1, ncoef)} * {self.spec.family}_lccdf({r_number(lower)} | {args})"
            )
        return line + ";"

    def declarations(self) -> list[str]:
        """The Stan data declarations of the prior's parameters, one comment each."""
        names, positive, _ = PRIOR_FAMILIES[self.spec.family] if self.spec.family else ((), (), 0)
        target = self.key if self.cls != "cor" else f"{self.key} (Cholesky factor)"
        family = self.spec.family
        return [
            f"  real{'<lower=0>' if pos else ''} {data};  // {_word(family, param)} of the "
            f"{family} prior on {target}"
            for data, param, pos in zip(self.data_names(), names, positive, strict=True)
        ]


# --------------------------------------------------------------------------- defaults


def _mad(values: np.ndarray) -> float:
    """R's ``mad()``: 1.4826 times the median absolute deviation from the median."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def _link_response(y: np.ndarray, link: str) -> np.ndarray | None:
    """The response on the link scale for brms's default priors (None for logit links)."""
    if link == "identity":
        return y
    if link == "log":
        return np.log(np.where(y == 0, y + 0.1, y))
    return None


def default_scale(y: np.ndarray, link: str) -> float:
    """brms's ``def_scale_prior`` scale: max(2.5, round(mad(link(y)), 1)); 2.5 for logit."""
    y_link = _link_response(np.asarray(y, dtype=float), link)
    if y_link is None:
        return 2.5
    scale = round(_mad(y_link), 1)
    return max(2.5, scale) if math.isfinite(scale) else 2.5


def default_intercept(y: np.ndarray, link: str) -> PriorSpec:
    """brms's default Intercept prior: student_t(3, round(median(link(y)), 1), scale)."""
    y_link = _link_response(np.asarray(y, dtype=float), link)
    location = 0.0
    if y_link is not None:
        med = round(float(np.median(y_link)), 1)
        location = med if math.isfinite(med) else 0.0
    return PriorSpec("student_t", (3.0, location + 0.0, default_scale(y, link)))


def default_scale_prior(y: np.ndarray, link: str) -> PriorSpec:
    """brms's default prior on ``sd`` and ``sigma``: student_t(3, 0, scale)."""
    return PriorSpec("student_t", (3.0, 0.0, default_scale(y, link)))


NU_DEFAULT = PriorSpec("gamma", (2.0, 0.1))
LKJ_DEFAULT = PriorSpec("lkj", (1.0,))
FLAT = PriorSpec("", ())
