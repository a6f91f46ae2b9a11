"""brms's ``variables(fit)`` list and ``get_prior`` table for a model."""

from __future__ import annotations

import pandas as pd

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


def _row(prior: str, cls: str, coef: str = "", group: str = "", nlpar: str = "",
         source: str = "(vectorized)") -> dict[str, str]:
    return {"prior": prior, "class": cls, "coef": coef, "group": group, "nlpar": nlpar,
            "source": source}


def prior_table(model: Model) -> pd.DataFrame:
    """Return the model's priors as brms's ``get_prior`` lists them (plus ``user`` sources).

    Columns ``prior`` (``""`` for flat), ``class``, ``coef``, ``group``, ``nlpar``, ``source``
    (``user``, ``default``, or ``(vectorized)`` for a row that inherits its class's or
    group's prior). Rows are sorted by nlpar, class (ignoring case), group and coef.
    """
    rows: list[dict[str, str]] = []
    pri = model.priors
    user = model.user_keys

    def source(key: str) -> str:
        return "user" if key in user else "default"

    if "b" in pri:
        rows.append(_row(pri["b"].spec.text, "b", source=source("b")))
        rows += [_row(pri["b"].spec.text, "b", c) for c in model.mu.coefs]
    if "Intercept" in pri:
        rows.append(_row(pri["Intercept"].spec.text, "Intercept", source=source("Intercept")))
    for part in model.nlpars:
        p = pri[f"b_{part.nlpar}"]
        rows.append(_row(p.spec.text, "b", nlpar=part.nlpar, source=p.source))
        prefix = len(part.nlpar) + 1
        rows += [_row(p.spec.text, "b", c[prefix:], nlpar=part.nlpar) for c in part.names]
    for d in model.family.dpars:
        rows.append(_row(pri[d.name].spec.text, d.name, source=source(d.name)))
    if model.groups:
        sd_class = next(p for r, p in pri.items() if r.startswith("sd_"))
        sd_text = sd_class.spec.text if "sd" in user or sd_class.key == "sd" else ""
        rows.append(_row(_class_text(model, "sd", sd_text), "sd", source=source("sd")))
    cors = [(r, p) for r, p in pri.items() if r.startswith("cor_")]
    if cors:
        rows.append(_row(_class_text(model, "cor", ""), "cor", source=source("cor")))
    for i, g in enumerate(model.groups, 1):
        name = g.term.group
        sd = pri[f"sd_{i}"]
        src = "user" if sd.key == f"sd_{name}" else "(vectorized)"
        rows.append(_row(sd.spec.text, "sd", group=name, source=src))
        rows += [_row(sd.spec.text, "sd", c, name) for c in g.coefs]
        if f"cor_{i}" in pri:
            cor = pri[f"cor_{i}"]
            src = "user" if cor.key == f"cor_{name}" else "(vectorized)"
            rows.append(_row(cor.spec.text, "cor", group=name, source=src))
    table = pd.DataFrame(rows, columns=["prior", "class", "coef", "group", "nlpar", "source"])
    order = sorted(
        range(len(table)),
        key=lambda i: (table.nlpar[i], table["class"][i].lower(), table.group[i], table.coef[i]),
    )
    return table.iloc[order].reset_index(drop=True)


def _class_text(model: Model, cls: str, fallback: str) -> str:
    """The class-wide prior text of ``sd``/``cor``: the user's, else brms's default."""
    from mlmpipe.formula import priors as pr

    if cls in model.user_keys:
        return next(p.spec.text for p in model.priors.values() if p.key == cls)
    if cls == "cor":
        return pr.LKJ_DEFAULT.text
    return pr.default_scale_prior(model.y, model.family.link).text or fallback
