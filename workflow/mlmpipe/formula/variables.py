"""brms's ``variables(fit)`` list and ``get_prior`` table for a model."""

from __future__ import annotations

import pandas as pd

from mlmpipe.formula.design import r_string_key
from mlmpipe.formula.model import Model


def variables(model: Model) -> list[str]:
    """Return the names brms 2.18's ``variables(fit)`` lists, in its order.

    brms orders Stan's output by class: ``b`` (``b_Intercept`` first), ``sd``, ``cor``, the
    family's parameters (``sigma``, ``nu``), ``r``, ``lprior``, ``lp__``. It leaves out the
    temporary ``Intercept``, ``z_*``, ``L_*``, ``Cor_*`` and the ``r_<id>`` matrices (checked
    against brms 2.18 fits: ``variables(fit)`` has no ``Intercept``, ``z_1`` or ``L_1``).
    """
    out: list[str] = []
    if model.has_intercept:
        out.append("b_Intercept")
    if model.mu is not None:
        out += [f"b_{c}" for c in model.mu.coefs]
    for part in model.nlpars:
        out += [f"b_{c}" for c in part.names]
    for g in model.groups:
        out += [f"sd_{g.term.group}__{c}" for c in g.coefs]
    for g in model.groups:
        if g.term.correlated and len(g.coefs) > 1:
            out += [
                f"cor_{g.term.group}__{g.coefs[j]}__{g.coefs[k]}"
                for k in range(1, len(g.coefs))
                for j in range(k)
            ]
    out += [d.name for d in model.family.dpars]
    for g in model.groups:
        out += [f"r_{g.term.group}[{lv},{c}]" for c in g.coefs for lv in g.levels]
    return out + ["lprior", "lp__"]


def _row(
    prior: str, cls: str, coef: str = "", group: str = "", nlpar: str = "", source: str = "default"
) -> dict[str, str]:
    return {
        "prior": prior,
        "class": cls,
        "coef": coef,
        "group": group,
        "nlpar": nlpar,
        "source": source,
    }


def _class_prior(model: Model, cls: str) -> tuple[str, str]:
    """The class-wide prior text and source of ``sd``/``cor``: the user's, else brms's default."""
    from mlmpipe.formula import priors as pr

    for p in model.priors.values():
        if p.key == cls and p.source == "user":
            return p.spec.text, "user"
    default = pr.LKJ_DEFAULT if cls == "cor" else pr.default_scale_prior(model.y, model.family.link)
    return default.text, "default"


def _group_rows(model: Model) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    if model.groups:
        rows.append(_row(*_class_prior(model, "sd")[:1], "sd", source=_class_prior(model, "sd")[1]))
    if any(r.startswith("cor_") for r in model.priors):
        text, source = _class_prior(model, "cor")
        rows.append(_row(text, "cor", source=source))
    for i, g in enumerate(model.groups, 1):
        name = g.term.group
        sd = model.priors[f"sd_{i}"]
        own = sd.key == f"sd_{name}"
        rows.append(
            _row(sd.spec.text if own else "", "sd", group=name, source="user" if own else "default")
        )
        rows += [_row("", "sd", c, name) for c in g.coefs]
        if f"cor_{i}" in model.priors:
            cor = model.priors[f"cor_{i}"]
            own = cor.key == f"cor_{name}"
            rows.append(
                _row(
                    cor.spec.text if own else "",
                    "cor",
                    group=name,
                    source="user" if own else "default",
                )
            )
    return rows


def prior_table(model: Model) -> pd.DataFrame:
    """Return the model's priors as brms's ``get_prior`` data frame holds them.

    Columns ``prior``, ``class``, ``coef``, ``group``, ``nlpar``, ``source``. As in brms, a
    class-wide row carries the prior (``""`` for flat) and a row for one coefficient or group
    has ``""`` (it inherits) unless a prior was set for it; ``source`` is ``user`` for the
    priors given in ``prior`` and ``default`` otherwise. Rows are sorted by nlpar, class
    (ignoring case), group and coef, which is brms's order for these models.
    """
    rows: list[dict[str, str]] = []
    for role, p in model.priors.items():
        if role == "b":
            rows.append(_row(p.spec.text, "b", source=p.source))
            rows += [_row("", "b", c) for c in model.mu.coefs]
        elif role in ("Intercept", "sigma", "nu"):
            rows.append(_row(p.spec.text, role, source=p.source))
    for part in model.nlpars:
        p = model.priors[f"b_{part.nlpar}"]
        rows.append(_row(p.spec.text, "b", nlpar=part.nlpar, source=p.source))
        prefix = len(part.nlpar) + 1
        rows += [_row("", "b", c[prefix:], nlpar=part.nlpar) for c in part.names]
    rows += _group_rows(model)
    table = pd.DataFrame(rows, columns=["prior", "class", "coef", "group", "nlpar", "source"])
    order = sorted(
        range(len(table)),
        key=lambda i: tuple(
            r_string_key(table[col][i]) for col in ("nlpar", "class", "group", "coef")
        ),
    )
    return table.iloc[order].reset_index(drop=True)
