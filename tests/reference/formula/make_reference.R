# brms 2.18's own output for the formula generator's cases (tests/test_formula_*.py):
# for each case of cases.json, make_stancode (<name>.stan), get_prior (<name>.prior.csv) and,
# for the synthetic tiny.csv only, make_standata (<name>.standata.json; the lecture's data set
# is never written here). Run from the repository root:
#   Rscript tests/reference/formula/make_reference.R
suppressMessages({library(brms); library(jsonlite)})
here <- "tests/reference/formula"
cases <- fromJSON(file.path(here, "cases.json"), simplifyVector = FALSE)
mlm <- NULL
if (file.exists("../shared/data/mlm.csv")) {
  mlm <- read.csv("../shared/data/mlm.csv")
  mlm$id.f <- as.factor(mlm$id)  # the lecture's column; our generator derives it from id
}
tiny <- read.csv(file.path(here, "tiny.csv"))
to_prior <- function(p) {
  out <- empty_prior()
  for (key in names(p)) {
    parts <- strsplit(key, "_")[[1]]
    cls <- parts[1]; rest <- paste(parts[-1], collapse = "_")
    if (cls == "b" && nzchar(rest)) out <- out + set_prior(p[[key]], class = "b", nlpar = rest)
    else if (cls %in% c("sd", "cor") && nzchar(rest)) out <- out + set_prior(p[[key]], class = cls, group = rest)
    else out <- out + set_prior(p[[key]], class = cls)
  }
  out
}
fams <- list(gaussian = gaussian(), student = student(), bernoulli = bernoulli(),
             binomial = binomial(), poisson = poisson())
for (case in cases) {
  d <- if (case$data == "mlm") mlm else tiny
  if (is.null(d)) next
  f <- unlist(case$formula)
  form <- if (length(f) > 1) do.call(bf, c(lapply(f, as.formula), nl = TRUE)) else bf(as.formula(f))
  pr <- to_prior(case$prior)
  fam <- fams[[case$family]]
  if (length(case$prior)) {
    code <- make_stancode(form, d, family = fam, prior = pr)
  } else {
    code <- make_stancode(form, d, family = fam)
  }
  writeLines(code, file.path(here, paste0(case$name, ".stan")))
  gp <- get_prior(form, d, family = fam)
  write.csv(as.data.frame(gp)[, c("prior", "class", "coef", "group", "nlpar", "source")],
            file.path(here, paste0(case$name, ".prior.csv")), row.names = FALSE)
  if (case$data == "tiny") {
    sd <- if (length(case$prior)) make_standata(form, d, family = fam, prior = pr) else make_standata(form, d, family = fam)
    sd <- lapply(unclass(sd), function(x) { if (is.matrix(x)) unname(x) else as.vector(x) })
    writeLines(toJSON(sd, digits = NA, matrix = "rowmajor", auto_unbox = TRUE),
               file.path(here, paste0(case$name, ".standata.json")))
  }
}
