"""Stan code in the layout of brms 2.18's ``make_stancode``, with priors passed as data.

The blocks, declarations, names, comments and statements are brms's, in brms's order (so the
unconstrained parameter vector has brms's layout), with three differences: arrays use the
current syntax (``array[N] int<lower=1> J_1;``; CmdStan 2.33 and later reject brms 2.18's
``int J_1[N];``), each prior's parameters are data (declared after ``prior_only`` and used in
``lprior``, see :mod:`mlmpipe.formula.priors`), and generated quantities end with
``vector[N] log_lik``, the pointwise log-likelihood for LOO.
"""

from __future__ import annotations

from mlmpipe.formula.model import Model
from mlmpipe.formula.priors import Prior

HEADER = "// generated with mlmpipe.formula in the layout of brms 2.18.0"

SCALE_R_COR = """\
 /* compute correlated group-level effects
  * Args:
  *   z: matrix of unscaled group-level effects
  *   SD: vector of standard deviation parameters
  *   L: cholesky factor correlation matrix
  * Returns:
  *   matrix of scaled group-level effects
  */
  matrix scale_r_cor(matrix z, vector SD, matrix L) {
    // r is stored in another dimension order than z
    return transpose(diag_pre_multiply(SD, L) * z);
  }"""

LOGM1 = """\
  /* compute the logm1 link
   * Args:
   *   p: a positive vector
   * Returns:
   *   a vector in (-Inf, Inf)
   */
   vector logm1(vector y) {
     return log(y - 1.0);
   }
  /* compute the inverse of the logm1 link
   * Args:
   *   y: a vector in (-Inf, Inf)
   * Returns:
   *   a positive vector
   */
   vector expp1(vector y) {
     return exp(y) + 1.0;
   }"""

CENTER_X = """\
  int Kc = K - 1;
  matrix[N, Kc] Xc;  // centered version of X without an intercept
  vector[Kc] means_X;  // column means of X before centering
  for (i in 2:K) {
    means_X[i - 1] = mean(X[, i]);
    Xc[, i - 1] = X[, i] - means_X[i - 1];
  }"""


def _correlated(model: Model) -> list[int]:
    """IDs (1-based) of the group-level terms with a correlation matrix."""
    return [i for i, g in enumerate(model.groups, 1) if g.term.correlated and len(g.coefs) > 1]


def unique_priors(model: Model) -> list[Prior]:
    """The model's priors in ``lprior`` order, one per key (a shared key is declared once)."""
    seen: dict[str, Prior] = {}
    for p in model.priors.values():
        seen.setdefault(p.key, p)
    return list(seen.values())


def _functions(model: Model) -> list[str]:
    parts = []
    if _correlated(model):
        parts.append(SCALE_R_COR)
    if model.family.name == "student":
        parts.append(LOGM1)
    return ["functions {", *parts, "}"]


def _data(model: Model) -> list[str]:
    lines = ["data {", "  int<lower=1> N;  // total number of observations"]
    if model.family.integer_response:
        lines.append("  array[N] int Y;  // response variable")
    else:
        lines.append("  vector[N] Y;  // response variable")
    if model.family.name == "binomial":
        lines.append("  array[N] int trials;  // number of trials")
    if model.has_b:
        lines += [
            "  int<lower=1> K;  // number of population-level effects",
            "  matrix[N, K] X;  // population-level design matrix",
        ]
    for part in model.nlpars:
        p = part.nlpar
        lines += [
            f"  int<lower=1> K_{p};  // number of population-level effects",
            f"  matrix[N, K_{p}] X_{p};  // population-level design matrix",
        ]
    correlated = _correlated(model)
    for i, g in enumerate(model.groups, 1):
        lines += [
            f"  // data for group-level effects of ID {i}",
            f"  int<lower=1> N_{i};  // number of grouping levels",
            f"  int<lower=1> M_{i};  // number of coefficients per level",
            f"  array[N] int<lower=1> J_{i};  // grouping indicator per observation",
            "  // group-level predictor values",
        ]
        lines += [f"  vector[N] Z_{i}_{k};" for k in range(1, len(g.coefs) + 1)]
        if i in correlated:
            lines.append(f"  int<lower=1> NC_{i};  // number of group-level correlations")
    lines.append("  int prior_only;  // should the likelihood be ignored?")
    for p in unique_priors(model):
        lines += p.declarations()
    return lines + ["}"]


def _transformed_data(model: Model) -> list[str]:
    body = [CENTER_X] if (model.has_intercept and model.has_b) else []
    return ["transformed data {", *body, "}"]


def _parameters(model: Model) -> list[str]:
    lines = ["parameters {"]
    if model.has_b:
        size = "Kc" if model.has_intercept else "K"
        lines.append(f"  vector[{size}] b;  // population-level effects")
    if model.has_intercept:
        lines.append("  real Intercept;  // temporary intercept for centered predictors")
    for part in model.nlpars:
        lines.append(f"  vector[K_{part.nlpar}] b_{part.nlpar};  // population-level effects")
    lines += [f"  {d.declaration}" for d in model.family.dpars]
    correlated = _correlated(model)
    for i in range(1, len(model.groups) + 1):
        lines.append(f"  vector<lower=0>[M_{i}] sd_{i};  // group-level standard deviations")
        if i in correlated:
            lines += [
                f"  matrix[M_{i}, N_{i}] z_{i};  // standardized group-level effects",
                f"  cholesky_factor_corr[M_{i}] L_{i};  // cholesky factor of correlation matrix",
            ]
        else:
            lines.append(
                f"  array[M_{i}] vector[N_{i}] z_{i};  // standardized group-level effects"
            )
    return lines + ["}"]


def _lprior_lines(model: Model) -> list[str]:
    out: list[str | None] = []
    for role, prior in model.priors.items():
        if role == "b":
            out.append(prior.lprior("b"))
        elif role == "Intercept":
            out.append(prior.lprior("Intercept"))
        elif role.startswith("b_"):
            out.append(prior.lprior(role))
        elif role.startswith("sd_"):
            i = int(role[3:])
            out.append(prior.lprior(f"sd_{i}", len(model.groups[i - 1].coefs), 0.0))
        elif role.startswith("cor_"):
            out.append(prior.lprior(f"L_{role[4:]}"))
        else:
            dpar = next(d for d in model.family.dpars if d.name == role)
            out.append(prior.lprior(role, 1, dpar.lower))
    return [line for line in out if line]


def _transformed_parameters(model: Model) -> list[str]:
    decls: list[str] = []
    stmts: list[str] = []
    correlated = _correlated(model)
    for i, g in enumerate(model.groups, 1):
        ks = range(1, len(g.coefs) + 1)
        if i in correlated:
            decls += [
                f"  matrix[N_{i}, M_{i}] r_{i};  // actual group-level effects",
                "  // using vectors speeds up indexing in loops",
            ]
            decls += [f"  vector[N_{i}] r_{i}_{k};" for k in ks]
            stmts += [
                "  // compute actual group-level effects",
                f"  r_{i} = scale_r_cor(z_{i}, sd_{i}, L_{i});",
            ]
            stmts += [f"  r_{i}_{k} = r_{i}[, {k}];" for k in ks]
        else:
            decls += [f"  vector[N_{i}] r_{i}_{k};  // actual group-level effects" for k in ks]
            stmts += [f"  r_{i}_{k} = (sd_{i}[{k}] * (z_{i}[{k}]));" for k in ks]
    decls.append("  real lprior = 0;  // prior contributions to the log posterior")
    return ["transformed parameters {", *decls, *stmts, *_lprior_lines(model), "}"]


def ranef_sum(model: Model) -> str:
    """brms's sum of group-level terms for observation ``n`` ("" without group terms)."""
    parts = [
        f"r_{i}_{k}[J_{i}[n]] * Z_{i}_{k}[n]"
        for i, g in enumerate(model.groups, 1)
        for k in range(1, len(g.coefs) + 1)
    ]
    return " + ".join(parts)


def nl_expression(model: Model) -> str:
    """The non-linear formula as Stan code for observation ``n`` (``0 + nlp_a[n]``)."""
    out = ""
    for tok in model.formula.nl_expr:
        if tok.kind == "name" and tok.text in model.formula.nlpars:
            out += f"nlp_{tok.text}[n]"
        elif tok.kind == "op" and tok.text in "+-*/":
            out += f" {tok.text} "
        elif tok.kind == "op" and tok.text == ",":
            out += ", "
        else:
            out += tok.text
    return out.strip()


def population_term(model: Model, for_glm: bool) -> str | None:
    """The population-level part brms adds to ``mu`` (``Intercept + Xc * b`` ...), or None."""
    if for_glm:
        return "Intercept" if model.has_intercept else None
    if model.has_intercept and model.has_b:
        return "Intercept + Xc * b"
    if model.has_intercept:
        return "Intercept"
    return "X * b" if model.has_b else None


def _glm_design(model: Model) -> str:
    return "Xc" if model.has_intercept else "X"


def _likelihood(model: Model) -> list[str]:
    fam = model.family
    if model.formula.is_nonlinear:
        lines = []
        for part in model.nlpars:
            lines += [
                "    // initialize linear predictor term",
                f"    vector[N] nlp_{part.nlpar} = rep_vector(0.0, N);",
            ]
        lines += ["    // initialize non-linear predictor term", "    vector[N] mu;"]
        lines += [f"    nlp_{p.nlpar} += X_{p.nlpar} * b_{p.nlpar};" for p in model.nlpars]
        lines += [
            "    for (n in 1:N) {",
            "      // compute non-linear predictor values",
            f"      mu[n] = {nl_expression(model)};",
            "    }",
            f"    target += {fam.likelihood('mu')};",
        ]
        return lines
    if model.use_glm and not model.groups:
        alpha = "Intercept" if model.has_intercept else "0"
        return [f"    target += {fam.glm_likelihood(_glm_design(model), alpha, 'b')};"]
    lines = ["    // initialize linear predictor term", "    vector[N] mu = rep_vector(0.0, N);"]
    term = population_term(model, model.use_glm)
    if term:
        lines.append(f"    mu += {term};")
    if model.groups:
        lines += [
            "    for (n in 1:N) {",
            "      // add more terms to the linear predictor",
            f"      mu[n] += {ranef_sum(model)};",
            "    }",
        ]
    if model.use_glm:
        lines.append(f"    target += {fam.glm_likelihood(_glm_design(model), 'mu', 'b')};")
    else:
        lines.append(f"    target += {fam.likelihood('mu')};")
    return lines


def _model_block(model: Model) -> list[str]:
    lines = ["model {", "  // likelihood including constants", "  if (!prior_only) {"]
    lines += _likelihood(model)
    lines += ["  }", "  // priors including constants", "  target += lprior;"]
    correlated = _correlated(model)
    for i, g in enumerate(model.groups, 1):
        if i in correlated:
            lines.append(f"  target += std_normal_lpdf(to_vector(z_{i}));")
        else:
            lines += [
                f"  target += std_normal_lpdf(z_{i}[{k}]);" for k in range(1, len(g.coefs) + 1)
            ]
    return lines + ["}"]


def _log_lik(model: Model) -> list[str]:
    """Our addition: the pointwise log-likelihood, with mu computed as in the model block."""
    fam = model.family
    pointwise = fam.pointwise.format(Y="Y[n]", mu="mu[n]")
    lines = ["  vector[N] log_lik;  // pointwise log-likelihood, for LOO", "  {"]
    if model.formula.is_nonlinear:
        lines += [f"    vector[N] nlp_{p.nlpar} = X_{p.nlpar} * b_{p.nlpar};" for p in model.nlpars]
        lines += [
            "    vector[N] mu;  // the non-linear predictor",
            "    for (n in 1:N) {",
            f"      mu[n] = {nl_expression(model)};",
        ]
    else:
        term = population_term(model, for_glm=False)
        if term is None or term == "Intercept":
            term = f"rep_vector({term or '0.0'}, N)"
        lines.append(f"    vector[N] mu = {term};  // the linear predictor")
        lines.append("    for (n in 1:N) {")
        if model.groups:
            lines.append(f"      mu[n] += {ranef_sum(model)};")
    lines += [f"      log_lik[n] = {pointwise};", "    }", "  }"]
    return lines


def _generated_quantities(model: Model) -> list[str]:
    lines = ["generated quantities {"]
    if model.has_intercept:
        value = "Intercept - dot_product(means_X, b)" if model.has_b else "Intercept"
        lines += ["  // actual population-level intercept", f"  real b_Intercept = {value};"]
    correlated = _correlated(model)
    for i in correlated:
        lines += [
            "  // compute group-level correlations",
            f"  corr_matrix[M_{i}] Cor_{i} = multiply_lower_tri_self_transpose(L_{i});",
            f"  vector<lower=-1,upper=1>[NC_{i}] cor_{i};",
        ]
    for i in correlated:
        lines += [
            "  // extract upper diagonal of correlation matrix",
            f"  for (k in 1:M_{i}) {{",
            "    for (j in 1:(k - 1)) {",
            f"      cor_{i}[choose(k - 1, 2) + j] = Cor_{i}[j, k];",
            "    }",
            "  }",
        ]
    return lines + _log_lik(model) + ["}"]


def generate(model: Model, header: str = HEADER) -> str:
    """Return the Stan program of ``model`` (see the module docstring), ending in a newline."""
    blocks = [
        _functions(model),
        _data(model),
        _transformed_data(model),
        _parameters(model),
        _transformed_parameters(model),
        _model_block(model),
        _generated_quantities(model),
    ]
    lines = [header] if header else []
    for block in blocks:
        lines += block
    return "\n".join(lines) + "\n"
