# brms 2.18 variables(fit) for three small fits, as listed in variables.txt. Needs R, brms and
# rstan, and compiles three models (a few minutes): Rscript tests/reference/formula/variables_reference.R
# A: student, (1 + week | id) + (1 | group); B: the lecture's non-linear m1; C: bernoulli, 0 + week + group + (1 + week || id).
suppressMessages(library(brms))
d <- read.csv("../shared/data/mlm.csv")
d$id.f <- as.factor(d$id)
d$y01 <- as.integer(d$con > 0.3)
d <- d[d$id < 60,]
fa <- brm(con ~ 1 + week + (1 + week | id) + (1 | group), d, family=student(), chains=1, iter=20, warmup=10, refresh=0, seed=1)
cat("A:", variables(fa), "\n")
fb <- brm(bf(con ~ 0 + a, a ~ 0 + id.f, nl=TRUE), d, chains=1, iter=20, warmup=10, refresh=0, seed=1, prior=prior(normal(0,1), nlpar=a))
cat("B:", variables(fb), "\n")
fc <- brm(y01 ~ 0 + week + group + (1 + week || id), d, family=bernoulli(), chains=1, iter=20, warmup=10, refresh=0, seed=1)
cat("C:", variables(fc), "\n")
