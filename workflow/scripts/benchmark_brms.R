# The lecture's five fits by brms, timed, for the pipeline's benchmark (python -m mlmpipe.benchmark).
#
#   Rscript workflow/scripts/benchmark_brms.R --data path/to/mlm.csv --out brms.json [--cores N]
#
# Each model is fitted as the lecture fits it (same formula, priors, iter, warmup, chains and
# seed), with cores = N (default: the machine's CPUs, at most 4, so that each chain has a core
# when the pipeline's chains are given the same). A fit is timed in two steps that add up to
# one brm() call: brm(..., chains = 0) translates and compiles the program, then update(...,
# recompile = FALSE) samples with it. Then m3 is refitted with its Intercept prior moved (brms
# writes priors into the Stan code, so this compiles again), as the pipeline's "prior change".
# Written per model: the two times, each chain's warm-up + sampling seconds (rstan), and the
# smallest bulk and tail ESS (posterior::summarise_draws) over the parameters brms reports
# (b_, sd_, cor_, sigma, r_).
suppressPackageStartupMessages({
  library(brms)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
arg <- function(name, default = NULL) {
  at <- match(paste0("--", name), args)
  if (is.na(at)) default else args[at + 1]
}
data_path <- arg("data")
out_path <- arg("out")
if (is.null(data_path) || is.null(out_path)) stop("usage: benchmark_brms.R --data FILE --out FILE [--cores N]")
cores <- as.integer(arg("cores", min(4L, parallel::detectCores())))

d <- read.csv(data_path)
d$id.f <- as.factor(d$id)

models <- list(
  m1 = list(formula = bf(con ~ 0 + a, a ~ 0 + id.f, nl = TRUE),
            prior = c(prior(normal(0, 1.5), class = b, nlpar = a),
                      prior(exponential(1), class = sigma)),
            iter = 2000),
  m2 = list(formula = bf(con ~ 1 + (1 | id)),
            prior = c(prior(normal(0, 1.5), class = Intercept),
                      prior(exponential(1), class = sd),
                      prior(exponential(1), class = sigma)),
            iter = 2000),
  m3 = list(formula = bf(con ~ 1 + week + (1 | id)),
            prior = c(prior(normal(.50, .25), class = Intercept),
                      prior(normal(0, 1), class = b),
                      prior(exponential(1), class = sd),
                      prior(exponential(1), class = sigma)),
            iter = 2000),
  m4 = list(formula = bf(con ~ 0 + week + group + (1 | id)),
            prior = c(prior(normal(0, 1), class = b),
                      prior(exponential(1), class = sd),
                      prior(exponential(1), class = sigma)),
            iter = 5000),
  m5 = list(formula = bf(con ~ 1 + week + (1 + week | id)),
            prior = c(prior(normal(0, 1), class = Intercept),
                      prior(normal(0, 1), class = b),
                      prior(exponential(1), class = sd),
                      prior(exponential(1), class = sigma)),
            iter = 5000)
)

seconds <- function(expr) {
  started <- proc.time()[["elapsed"]]
  value <- force(expr)
  list(value = value, seconds = proc.time()[["elapsed"]] - started)
}

reported_ess <- function(fit) {
  draws <- posterior::as_draws_array(fit)
  keep <- grep("^(b_|sd_|cor_|sigma$|r_)", posterior::variables(draws), value = TRUE)
  s <- posterior::summarise_draws(posterior::subset_draws(draws, variable = keep),
                                  "ess_bulk", "ess_tail")
  list(ess_bulk_min = min(s$ess_bulk), ess_tail_min = min(s$ess_tail),
       ess_bulk_min_parameter = s$variable[which.min(s$ess_bulk)])
}

fit_model <- function(spec, prior = spec$prior) {
  compiled <- seconds(brm(spec$formula, data = d, family = gaussian, prior = prior,
                          iter = spec$iter, warmup = 1000, chains = 0, seed = 9,
                          refresh = 0, silent = 2))
  sampled <- seconds(update(compiled$value, recompile = FALSE, iter = spec$iter,
                            warmup = 1000, chains = 4, cores = cores, seed = 9,
                            refresh = 0, silent = 2))
  elapsed <- rstan::get_elapsed_time(sampled$value$fit)
  c(list(compile_seconds = compiled$seconds, sampling_wall_seconds = sampled$seconds,
         total_seconds = compiled$seconds + sampled$seconds,
         chains_at_once = min(cores, 4L), chain_seconds = sum(elapsed)),
    reported_ess(sampled$value))
}

results <- list()
for (name in names(models)) {
  results[[name]] <- fit_model(models[[name]])
  cat(sprintf("%s: compile %.1f s, sampling %.1f s\n", name,
              results[[name]]$compile_seconds, results[[name]]$sampling_wall_seconds))
}
moved <- c(prior(normal(.55, .25), class = Intercept),
           prior(normal(0, 1), class = b),
           prior(exponential(1), class = sd),
           prior(exponential(1), class = sigma))
refit <- fit_model(models$m3, prior = moved)
cat(sprintf("m3 with a new prior: %.1f s\n", refit$total_seconds))

record <- list(
  brms = as.character(packageVersion("brms")),
  rstan = as.character(packageVersion("rstan")),
  r = R.version.string,
  cores = cores,
  models = results,
  prior_change_m3 = refit,
  five_fits_seconds = sum(vapply(results, function(r) r$total_seconds, numeric(1)))
)
tmp <- paste0(out_path, ".tmp")
write_json(record, tmp, auto_unbox = TRUE, digits = NA, pretty = TRUE)
file.rename(tmp, out_path)
