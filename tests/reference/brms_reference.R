# Reference values for the end-to-end tests, from brms itself.
#
# Fits the lecture's five models with the lecture's formulas, priors, iter/warmup, chains = 4
# and seed = 9, and writes small CSV fixtures beside this script:
#
#   brms_summary.csv      posterior_summary() of every variable brms names (mean, sd, 2.5%,
#                         97.5%), with posterior's bulk and tail ESS of each (for the tests'
#                         Monte Carlo error), at 4 decimals (ESS as integers)
#   brms_loo.csv          loo() of m1 ... m5: elpd_loo, p_loo, looic and their SEs, the Monte
#                         Carlo SE of elpd_loo, and the number of Pareto k above 0.7
#   brms_loo_compare.csv  loo_compare(m1, m2) and loo_compare(m3, m4, m5), as
#                         print(simplify = FALSE) shows them
#   brms_predictions.csv  mean_qi (mean, 2.5% and 97.5% quantiles: tidybayes's qi) of m2's
#                         expected values (posterior_epred) and predictions (posterior_predict)
#                         for the lecture's people 48, 137 and 146
#   brms_session.csv      R, brms, rstan, loo and posterior versions, and the sha256 of this
#                         script and of the data, so a test can tell when the fixtures are stale
#
# Usage (R with brms, e.g. Debian's r-cran-brms), from the repository root:
#   Rscript tests/reference/brms_reference.R [path/to/mlm.csv] [output folder] [cache folder]
# The defaults are ../shared/data/mlm.csv and tests/reference. The fits take a few minutes
# (brms compiles each model); with a cache folder the fitted models are kept there (brm's
# `file =`, as the lecture does) and a second run reuses them. R is never needed to run the
# pipeline or its tests.

suppressPackageStartupMessages({
  library(brms)
  library(posterior)
  library(loo)
})

args <- commandArgs(trailingOnly = TRUE)
data_path <- if (length(args) >= 1) args[[1]] else file.path("..", "shared", "data", "mlm.csv")
out_dir <- if (length(args) >= 2) args[[2]] else file.path("tests", "reference")
cache <- if (length(args) >= 3) args[[3]] else NULL
script_path <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

sha256 <- function(path) {
  strsplit(system2("sha256sum", shQuote(path), stdout = TRUE), " ")[[1]][[1]]
}

d <- read.csv(data_path)
d$id.f <- as.factor(d$id)

# The lecture's calls, with brm's `file =` cache left out and at most two cores.
settings <- list(chains = 4, cores = 2, seed = 9, refresh = 0, silent = 2)
fit <- function(name, formula, prior, iter, warmup) {
  file <- if (is.null(cache)) NULL else file.path(cache, name)
  do.call(brm, c(list(data = d, family = gaussian, formula = formula, prior = prior,
                      iter = iter, warmup = warmup, file = file), settings))
}
models <- list(
  m1 = fit("m1", bf(con ~ 0 + a, a ~ 0 + id.f, nl = TRUE),
           c(prior(normal(0, 1.5), class = b, nlpar = a),
             prior(exponential(1), class = sigma)),
           iter = 2000, warmup = 1000),
  m2 = fit("m2", con ~ 1 + (1 | id),
           c(prior(normal(0, 1.5), class = Intercept),
             prior(exponential(1), class = sd),
             prior(exponential(1), class = sigma)),
           iter = 2000, warmup = 1000),
  m3 = fit("m3", con ~ 1 + week + (1 | id),
           c(prior(normal(.50, .25), class = Intercept),
             prior(normal(0, 1), class = b),
             prior(exponential(1), class = sd),
             prior(exponential(1), class = sigma)),
           iter = 2000, warmup = 1000),
  m4 = fit("m4", con ~ 0 + week + group + (1 | id),
           c(prior(normal(0, 1), class = b),
             prior(exponential(1), class = sd),
             prior(exponential(1), class = sigma)),
           iter = 5000, warmup = 1000),
  m5 = fit("m5", con ~ 1 + week + (1 + week | id),
           c(prior(normal(0, 1), class = Intercept),
             prior(normal(0, 1), class = b),
             prior(exponential(1), class = sd),
             prior(exponential(1), class = sigma)),
           iter = 5000, warmup = 1000)
)

write <- function(table, name) {
  write.csv(table, file.path(out_dir, name), row.names = FALSE)
}

# Posterior summaries of every variable brms names, with bulk and tail ESS.
summaries <- do.call(rbind, lapply(names(models), function(name) {
  m <- models[[name]]
  s <- posterior_summary(m)
  ess <- summarise_draws(as_draws_df(m), ess_bulk, ess_tail)
  ess <- ess[match(rownames(s), ess$variable), ]
  data.frame(
    model = name, variable = rownames(s),
    mean = round(s[, "Estimate"], 4), sd = round(s[, "Est.Error"], 4),
    q2.5 = round(s[, "Q2.5"], 4), q97.5 = round(s[, "Q97.5"], 4),
    ess_bulk = round(as.numeric(ess$ess_bulk)), ess_tail = round(as.numeric(ess$ess_tail))
  )
}))
write(summaries, "brms_summary.csv")

# loo() of each model, kept on the fit for loo_compare as add_criterion does in the lecture.
for (name in names(models)) {
  models[[name]] <- add_criterion(models[[name]], criterion = "loo")
}
loos <- do.call(rbind, lapply(names(models), function(name) {
  l <- models[[name]]$criteria$loo
  e <- l$estimates
  data.frame(
    model = name,
    elpd_loo = round(e["elpd_loo", "Estimate"], 4), se_elpd_loo = round(e["elpd_loo", "SE"], 4),
    p_loo = round(e["p_loo", "Estimate"], 4), se_p_loo = round(e["p_loo", "SE"], 4),
    looic = round(e["looic", "Estimate"], 4), se_looic = round(e["looic", "SE"], 4),
    # loo's Monte Carlo SE of elpd_loo (as mcse_loo() computes it, from each observation's
    # PSIS relative efficiency), also where mcse_loo() says NA for Pareto k above 0.7
    mcse_elpd_loo = round(sqrt(sum(l$pointwise[, "mcse_elpd_loo"]^2)), 4),
    n_pareto_k_above_0.7 = sum(pareto_k_values(l) > 0.7)
  )
}))
write(loos, "brms_loo.csv")

compare <- function(label, names) {
  table <- do.call(loo_compare, c(unname(models[names]), list(model_names = names)))
  data.frame(comparison = label, model = rownames(table),
             round(as.data.frame(unclass(table)), 4), row.names = NULL)
}
write(rbind(compare("m1_m2", c("m1", "m2")), compare("m3_m4_m5", c("m3", "m4", "m5"))),
      "brms_loo_compare.csv")

# m2's expected values and predictions for the lecture's three people, as mean_qi.
nd <- data.frame(id = c(48, 137, 146))
mean_qi <- function(draws, kind) {
  data.frame(kind = kind, id = nd$id,
             mean = round(colMeans(draws), 4),
             lower = round(apply(draws, 2, quantile, probs = 0.025), 4),
             upper = round(apply(draws, 2, quantile, probs = 0.975), 4),
             draws = nrow(draws))
}
set.seed(9)
write(rbind(mean_qi(posterior_epred(models$m2, newdata = nd), "epred"),
            mean_qi(posterior_predict(models$m2, newdata = nd), "prediction")),
      "brms_predictions.csv")

write(data.frame(
  key = c("R", "brms", "rstan", "loo", "posterior", "script_sha256", "data_sha256"),
  value = c(paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("brms")), as.character(packageVersion("rstan")),
            as.character(packageVersion("loo")), as.character(packageVersion("posterior")),
            sha256(script_path), sha256(data_path))
), "brms_session.csv")
