# What brms 2.18 itself makes of a suite of formulas, for mlmpipe.formula's tests.
#
# For every case below (formula, family, priors, data set) this script writes one JSON file
# tests/reference/formulas/<case>.json with brms's own
#
#   stancode     make_stancode(): the whole Stan program
#   standata     make_standata(): per entry its dims (R's dim(), [] for a scalar), column
#                names, a digest (sum, sum of squares, and the sha256 of the values, row-major,
#                each formatted as sprintf("%.8f", round(v, 8) + 0) and joined by ","), and,
#                for the synthetic data sets and for scalars, the values themselves (matrices
#                as lists of rows). The lecture's data set is never written out: its cases
#                keep digests only.
#   variables    variables() of a fit with one draw (chains = 1, iter = 2, warmup = 1, seed = 1)
#   log_prob     rstan::log_prob(fit$fit, upars, adjust_transform = TRUE, gradient = TRUE) at
#                three unconstrained points drawn here (uniform(-1.5, 1.5), rounded to 1e-6,
#                from a seed derived from the case's name), with the points
#   get_prior    get_prior() of the formula (brms's defaults, no user prior)
#   prior_summary  prior_summary(fit, all = TRUE): the priors the fit used, user ones included
#
# with the case's definition (formulas, family, priors in mlmpipe.formula's mapping form, data
# set) and the brms and rstan versions. The synthetic data sets are made here (set.seed) and
# written as tests/reference/formulas/data/<name>.csv, then read back, so brms and the Python
# tests see the same rows. index.json lists the cases with the sha256 of this script and of the
# lecture's data, so a test can tell when the fixtures are stale.
#
# Usage, from the repository root (R with brms 2.18 and rstan, e.g. Debian's r-cran-brms):
#   nice Rscript tests/reference/brms_formulas.R [--mlm PATH] [--out DIR] [--only CASE,...]
# Defaults: --mlm ../shared/data/mlm.csv, --out tests/reference/formulas. Each case compiles
# one model (30-60 s); the whole suite takes about half an hour. The output is deterministic:
# a rerun on the same machine gives the same files byte for byte.

suppressPackageStartupMessages({
  library(brms)
  library(rstan)
  library(jsonlite)
})
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sort the same everywhere

# ------------------------------------------------------------------------------ arguments
args <- commandArgs(trailingOnly = TRUE)
option <- function(flag, default) {
  at <- match(flag, args)
  if (is.na(at)) default else args[[at + 1]]
}
mlm_path <- option("--mlm", file.path("..", "shared", "data", "mlm.csv"))
out_dir <- option("--out", file.path("tests", "reference", "formulas"))
only <- option("--only", NULL)
script_path <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
dir.create(file.path(out_dir, "data"), showWarnings = FALSE, recursive = TRUE)

sha256_file <- function(path) digest::digest(file = path, algo = "sha256")
sha256_text <- function(text) digest::digest(text, algo = "sha256", serialize = FALSE)

# ------------------------------------------------------------------ synthetic data sets
# Small, made here with a fixed seed each, rounded so the CSV text is exact; grouping
# factors with numeric labels whose numeric and text orders differ, character factors with
# lowercase labels (sorted the same in every locale).
make_data <- list(
  gauss = function() {
    set.seed(101)
    n <- 60
    g_labels <- c(2, 10, 33, 4, 7, 15, 21, 1, 9, 100)
    g <- rep(g_labels, each = 6)
    k <- sample(c("north", "south", "east", "west", "centre"), n, replace = TRUE)
    x <- round(rnorm(n), 3)
    z <- round(runif(n, 0, 10), 2)
    f <- sample(c("a", "b", "c"), n, replace = TRUE)
    h <- sample(c("hi", "lo"), n, replace = TRUE)
    u <- rnorm(length(g_labels), 0, 0.8)[match(g, g_labels)]
    v <- rnorm(length(g_labels), 0, 0.3)[match(g, g_labels)]
    y <- 1 + 0.5 * x - 0.2 * z + (f == "b") * 0.7 - (f == "c") * 0.4 + (h == "lo") * 0.3 +
      u + v * x + rnorm(n, 0, 0.6)
    data.frame(y = round(y, 4), x = x, z = z, f = f, h = h, g = g, k = k)
  },
  student = function() {
    set.seed(202)
    n <- 50
    g <- rep(sprintf("s%d", 1:5), each = 10)
    x <- round(rnorm(n), 3)
    y <- round(2 + x + rnorm(5, 0, 0.5)[match(g, sprintf("s%d", 1:5))] + rt(n, 3) * 0.5, 4)
    x[c(7, 31)] <- NA  # brms drops these rows
    data.frame(y = y, x = x, g = g)
  },
  binary = function() {
    set.seed(303)
    n <- 80
    g <- rep(1:8, each = 10)
    x <- round(rnorm(n), 3)
    f <- sample(c("ctl", "drug", "placebo"), n, replace = TRUE)
    eta <- -0.3 + 0.8 * x + (f == "drug") * 0.9 + rnorm(8, 0, 0.7)[g]
    data.frame(y = rbinom(n, 1, plogis(eta)), x = x, f = f, g = g)
  },
  binom = function() {
    set.seed(404)
    n <- 40
    g <- rep(c(11, 3, 25, 8, 40), each = 8)
    x <- round(rnorm(n), 3)
    trials <- sample(5:15, n, replace = TRUE)
    eta <- 0.2 - 0.6 * x + rnorm(5, 0, 0.5)[match(g, c(11, 3, 25, 8, 40))]
    data.frame(y = rbinom(n, trials, plogis(eta)), n = trials, x = x, g = g)
  },
  counts = function() {
    set.seed(505)
    n <- 60
    g <- rep(1:12, each = 5)
    x <- round(runif(n, -1, 1), 3)
    f <- sample(c("a", "b"), n, replace = TRUE)
    eta <- 1 + 0.5 * x - (f == "b") * 0.4 + rnorm(12, 0, 0.4)[g]
    data.frame(y = rpois(n, exp(eta)), x = x, f = f, g = g)
  },
  nested = function() {
    set.seed(606)
    school <- rep(sprintf("s%d", 1:6), each = 16)
    class <- rep(rep(c("a", "b", "c", "d"), each = 4), 6)  # labels repeat across schools
    n <- length(school)
    x <- round(rnorm(n), 3)
    u <- rnorm(6, 0, 0.7)[match(school, sprintf("s%d", 1:6))]
    w <- rnorm(24, 0, 0.4)[match(paste(school, class), unique(paste(school, class)))]
    y <- round(0.5 + 0.3 * x + u + w + rnorm(n, 0, 0.5), 4)
    data.frame(y = y, x = x, school = school, class = class)
  }
)

datasets <- list()
for (name in names(make_data)) {
  path <- file.path(out_dir, "data", paste0(name, ".csv"))
  write.csv(make_data[[name]](), path, row.names = FALSE, na = "")
  datasets[[name]] <- read.csv(path)  # what Python reads too
}
datasets$mlm <- read.csv(mlm_path)
datasets$mlm$id.f <- as.factor(datasets$mlm$id)
synthetic <- setdiff(names(datasets), "mlm")

# ------------------------------------------------------------------------------- the cases
# prior: mlmpipe.formula's mapping (b, Intercept, sd, sigma, cor, nu; b_<nlpar>; sd_<group>,
# cor_<group>); absent means brms's default.
case <- function(formula, family = "gaussian", prior = list(), data) {
  list(formula = formula, family = family, prior = prior, data = data)
}
cases <- list(
  # intercepts, numeric predictors
  gauss_intercept_only = case("y ~ 1", data = "gauss"),
  gauss_numeric = case("y ~ 1 + x + z", data = "gauss",
                       prior = list(b = "normal(0, 1)", Intercept = "student_t(3, 0, 2.5)",
                                    sigma = "exponential(1)")),
  gauss_no_intercept = case("y ~ 0 + x + z", data = "gauss"),
  # factors: treatment contrasts, full coding, interactions
  gauss_factor = case("y ~ 1 + f", data = "gauss"),
  gauss_factor_full = case("y ~ 0 + f + x", data = "gauss", prior = list(b = "normal(0, 2)")),
  gauss_numeric_by_factor = case("y ~ 1 + x * f", data = "gauss"),
  gauss_factor_by_factor = case("y ~ 1 + f * h", data = "gauss",
                                prior = list(b = "normal(0, 1)", sigma = "exponential(2)")),
  gauss_numeric_colon_factor = case("y ~ 1 + x:f", data = "gauss"),
  gauss_factor_colon_factor = case("y ~ 0 + f:h", data = "gauss",
                                   prior = list(b = "normal(0, 1.5)")),
  # group terms
  gauss_varying_intercept = case("y ~ 1 + x + (1 | g)", data = "gauss"),
  gauss_varying_slope = case("y ~ 1 + x + (1 + x | g)", data = "gauss",
                             prior = list(b = "normal(0, 1)", Intercept = "normal(0, 2)",
                                          sd = "exponential(1)", sigma = "exponential(1)",
                                          cor = "lkj(2)")),
  gauss_uncorrelated = case("y ~ 1 + x + (1 + x || g)", data = "gauss"),
  gauss_slope_only = case("y ~ 1 + x + (0 + x | g)", data = "gauss",
                          prior = list(sd_g = "exponential(2)")),
  gauss_two_groups = case("y ~ 1 + x + (1 + x | g) + (1 | k)", data = "gauss",
                          prior = list(sd = "exponential(1)", sd_k = "exponential(3)",
                                       cor_g = "lkj(1.5)")),
  nested = case("y ~ 1 + x + (1 | school/class)", data = "nested"),
  nested_slopes = case("y ~ 1 + x + (1 + x | school/class)", data = "nested",
                       prior = list(b = "normal(0, 1)", sd = "exponential(1)",
                                    sigma = "exponential(1)")),
  nonlinear = case(c("y ~ 0 + a", "a ~ 0 + school"), data = "nested",
                   prior = list(b_a = "normal(0, 1.5)")),
  # families
  student = case("y ~ 1 + x", family = "student", data = "student"),
  student_varying = case("y ~ 1 + x + (1 | g)", family = "student", data = "student",
                         prior = list(nu = "gamma(2, 0.2)", sigma = "exponential(1)",
                                      sd = "exponential(1)")),
  bernoulli = case("y ~ 1 + x + f", family = "bernoulli", data = "binary"),
  bernoulli_varying = case("y ~ 1 + x + (1 + x | g)", family = "bernoulli", data = "binary",
                           prior = list(b = "normal(0, 1)", Intercept = "normal(0, 1.5)",
                                        sd = "exponential(1)")),
  binomial = case("y | trials(n) ~ 1 + x", family = "binomial", data = "binom"),
  binomial_varying = case("y | trials(n) ~ 1 + x + (1 | g)", family = "binomial",
                          data = "binom",
                          prior = list(b = "normal(0, 1)", sd = "exponential(2)")),
  poisson = case("y ~ 1 + x + f", family = "poisson", data = "counts"),
  poisson_varying = case("y ~ 0 + f + x + (1 | g)", family = "poisson", data = "counts",
                         prior = list(b = "normal(0, 0.5)", sd = "exponential(1)")),
  # the lecture's five models and the issue's example, on the lecture's data
  m1 = case(c("con ~ 0 + a", "a ~ 0 + id.f"), data = "mlm",
            prior = list(b_a = "normal(0, 1.5)", sigma = "exponential(1)")),
  m2 = case("con ~ 1 + (1 | id)", data = "mlm",
            prior = list(Intercept = "normal(0, 1.5)", sd = "exponential(1)",
                         sigma = "exponential(1)")),
  m3 = case("con ~ 1 + week + (1 | id)", data = "mlm",
            prior = list(Intercept = "normal(0.5, 0.25)", b = "normal(0, 1)",
                         sd = "exponential(1)", sigma = "exponential(1)")),
  m4 = case("con ~ 0 + week + group + (1 | id)", data = "mlm",
            prior = list(b = "normal(0, 1)", sd = "exponential(1)", sigma = "exponential(1)")),
  m5 = case("con ~ 1 + week + (1 + week | id)", data = "mlm",
            prior = list(Intercept = "normal(0, 1)", b = "normal(0, 1)",
                         sd = "exponential(1)", sigma = "exponential(1)")),
  issue_week_by_group = case("con ~ 1 + week * group + (1 + week | id)", data = "mlm",
                             prior = list(b = "normal(0, 1)", Intercept = "normal(0.2, 0.5)",
                                          sd = "exponential(1)", sigma = "exponential(1)"))
)
if (!is.null(only)) cases <- cases[strsplit(only, ",")[[1]]]

# ------------------------------------------------------------------------------- helpers
brms_formula <- function(formula) {
  if (length(formula) == 1) return(bf(as.formula(formula)))
  do.call(bf, c(lapply(formula, as.formula), list(nl = TRUE)))
}
brms_prior <- function(prior) {
  if (length(prior) == 0) return(NULL)
  parts <- lapply(names(prior), function(key) {
    split <- regmatches(key, regexpr("_", key), invert = TRUE)[[1]]
    class <- split[[1]]
    rest <- if (length(split) > 1) split[[2]] else ""
    if (class == "b") set_prior(prior[[key]], class = "b", nlpar = rest)
    else if (class %in% c("sd", "cor")) set_prior(prior[[key]], class = class, group = rest)
    else set_prior(prior[[key]], class = class)
  })
  do.call(c, parts)
}
brms_family <- function(name) get(name, mode = "function")()

format_values <- function(v) sprintf("%.8f", round(as.double(v), 8) + 0)
row_major <- function(x) if (is.matrix(x)) as.vector(t(x)) else as.vector(x)
describe_entry <- function(x, full) {
  dims <- if (!is.null(dim(x))) as.integer(dim(x)) else if (length(x) == 1) integer(0)
          else length(x)
  v <- as.double(row_major(x))
  entry <- list(
    dims = I(dims),
    digest = list(sum = unbox(sum(v)), sumsq = unbox(sum(v^2)), n = unbox(length(v)),
                  sha256 = unbox(sha256_text(paste(format_values(v), collapse = ","))))
  )
  if (is.matrix(x) && !is.null(colnames(x))) entry$colnames <- I(colnames(x))
  if (full || length(dims) == 0) {
    values <- unname(x)
    attributes(values) <- if (is.matrix(x)) list(dim = dim(x)) else NULL
    entry$values <- if (length(dims) == 0) unbox(values) else values
  }
  entry
}
prior_table <- function(table) {
  table <- as.data.frame(table)[, c("prior", "class", "coef", "group", "resp", "dpar", "nlpar",
                                    "lb", "ub", "source")]
  rownames(table) <- NULL
  table[] <- lapply(table, as.character)
  table
}
case_seed <- function(name) {
  codes <- utf8ToInt(name)
  sum(codes * seq_along(codes)) %% 100000L
}

# -------------------------------------------------------------------------------- the run
started <- Sys.time()
for (name in names(cases)) {
  t0 <- Sys.time()
  def <- cases[[name]]
  data <- datasets[[def$data]]
  formula <- brms_formula(def$formula)
  family <- brms_family(def$family)
  prior <- brms_prior(def$prior)

  code <- make_stancode(formula, data = data, family = family, prior = prior)
  standata <- make_standata(formula, data = data, family = family, prior = prior)
  defaults <- get_prior(formula, data = data, family = family)
  fit <- suppressWarnings(suppressMessages(brm(
    formula, data = data, family = family, prior = prior, backend = "rstan",
    chains = 1, iter = 2, warmup = 1, refresh = 0, seed = 1, silent = 2, cores = 1
  )))
  stopifnot(identical(as.character(fit$model), as.character(code)))

  set.seed(case_seed(name))
  n_upars <- rstan::get_num_upars(fit$fit)
  log_prob <- lapply(1:3, function(i) {
    upars <- round(runif(n_upars, -1.5, 1.5), 6)
    lp <- rstan::log_prob(fit$fit, upars, adjust_transform = TRUE, gradient = TRUE)
    list(upars = upars, lp = unbox(as.numeric(lp)), gradient = attr(lp, "gradient"))
  })

  record <- list(
    case = unbox(name),
    definition = list(formula = I(def$formula), family = unbox(def$family),
                      prior = if (length(def$prior)) lapply(def$prior, unbox) else setNames(list(), character(0)),
                      data = unbox(def$data)),
    versions = list(brms = unbox(as.character(packageVersion("brms"))),
                    rstan = unbox(as.character(packageVersion("rstan")))),
    stancode = unbox(as.character(code)),
    standata = lapply(unclass(standata), describe_entry, full = def$data %in% synthetic),
    variables = I(variables(fit)),
    num_upars = unbox(n_upars),
    log_prob = log_prob,
    get_prior = prior_table(defaults),
    prior_summary = prior_table(prior_summary(fit, all = TRUE))
  )
  writeLines(toJSON(record, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out_dir, paste0(name, ".json")))
  cat(sprintf("%-28s %-10s %-8s %4d rows %4d upars %3d variables  %5.1f s\n", name,
              def$family, def$data, as.integer(standata$N), n_upars, length(variables(fit)),
              as.numeric(difftime(Sys.time(), t0, units = "secs"))))
}

if (is.null(only)) {
  index <- list(
    script_sha256 = unbox(sha256_file(script_path)),
    mlm_sha256 = unbox(sha256_file(mlm_path)),
    brms = unbox(as.character(packageVersion("brms"))),
    rstan = unbox(as.character(packageVersion("rstan"))),
    cases = I(names(cases)),
    data = lapply(synthetic, function(d) unbox(sha256_file(file.path(out_dir, "data",
                                                                      paste0(d, ".csv")))))
  )
  names(index$data) <- synthetic
  writeLines(toJSON(index, pretty = TRUE), file.path(out_dir, "index.json"))
}
cat(sprintf("%d cases in %.1f min\n", length(cases),
            as.numeric(difftime(Sys.time(), started, units = "mins"))))
