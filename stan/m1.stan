// m1: no pooling: one coefficient per person (config/config.yaml, models.m1)
// brms: con ~ 0 + a, a ~ 0 + id.f; family gaussian
// priors: b normal(0, 1.5), sigma exponential(1)
// Generated, do not edit: the Stan code brms 2.18's make_stancode writes for this
// formula (array syntax of Stan 2.33+), with each prior's parameters passed as data
// (prior_*) and the pointwise log-likelihood (log_lik) added for LOO. Regenerate:
//   python -m mlmpipe stancode --model m1 --data ../shared/data/mlm.csv --output stan/m1.stan
// tests/test_formula_lecture.py fails when this file differs from what it generates.
functions {
}
data {
  int<lower=1> N;  // total number of observations
  vector[N] Y;  // response variable
  int<lower=1> K_a;  // number of population-level effects
  matrix[N, K_a] X_a;  // population-level design matrix
  int prior_only;  // should the likelihood be ignored?
  real prior_b_mu;  // location of the normal prior on b
  real<lower=0> prior_b_sigma;  // scale of the normal prior on b
  real<lower=0> prior_sigma_rate;  // rate of the exponential prior on sigma
}
transformed data {
}
parameters {
  vector[K_a] b_a;  // population-level effects
  real<lower=0> sigma;  // dispersion parameter
}
transformed parameters {
  real lprior = 0;  // prior contributions to the log posterior
  lprior += normal_lpdf(b_a | prior_b_mu, prior_b_sigma);
  lprior += exponential_lpdf(sigma | prior_sigma_rate);
}
model {
  // likelihood including constants
  if (!prior_only) {
    // initialize linear predictor term
    vector[N] nlp_a = rep_vector(0.0, N);
    // initialize non-linear predictor term
    vector[N] mu;
    nlp_a += X_a * b_a;
    for (n in 1:N) {
      // compute non-linear predictor values
      mu[n] = 0 + nlp_a[n];
    }
    target += normal_lpdf(Y | mu, sigma);
  }
  // priors including constants
  target += lprior;
}
generated quantities {
  vector[N] log_lik;  // pointwise log-likelihood, for LOO
  {
    vector[N] nlp_a = X_a * b_a;
    vector[N] mu;  // the non-linear predictor
    for (n in 1:N) {
      mu[n] = 0 + nlp_a[n];
      log_lik[n] = normal_lpdf(Y[n] | mu[n], sigma);
    }
  }
}
