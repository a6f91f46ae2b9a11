// m4: a level-2 covariate: group (config/config.yaml, models.m4)
// brms: con ~ 0 + week + group + (1 | id); family gaussian
// priors: b normal(0, 1), sd exponential(1), sigma exponential(1)
// Generated, do not edit: the Stan code brms 2.18's make_stancode writes for this
// formula (array syntax of Stan 2.33+), with each prior's parameters passed as data
// (prior_*) and the pointwise log-likelihood (log_lik) added for LOO. Regenerate:
//   python -m mlmpipe stancode --model m4 --data ../shared/data/mlm.csv --output stan/m4.stan
// tests/test_formula_lecture.py fails when this file differs from what it generates.
functions {
}
data {
  int<lower=1> N;  // total number of observations
  vector[N] Y;  // response variable
  int<lower=1> K;  // number of population-level effects
  matrix[N, K] X;  // population-level design matrix
  // data for group-level effects of ID 1
  int<lower=1> N_1;  // number of grouping levels
  int<lower=1> M_1;  // number of coefficients per level
  array[N] int<lower=1> J_1;  // grouping indicator per observation
  // group-level predictor values
  vector[N] Z_1_1;
  int prior_only;  // should the likelihood be ignored?
  real prior_b_mu;  // location of the normal prior on b
  real<lower=0> prior_b_sigma;  // scale of the normal prior on b
  real<lower=0> prior_sigma_rate;  // rate of the exponential prior on sigma
  real<lower=0> prior_sd_rate;  // rate of the exponential prior on sd
}
transformed data {
}
parameters {
  vector[K] b;  // population-level effects
  real<lower=0> sigma;  // dispersion parameter
  vector<lower=0>[M_1] sd_1;  // group-level standard deviations
  array[M_1] vector[N_1] z_1;  // standardized group-level effects
}
transformed parameters {
  vector[N_1] r_1_1;  // actual group-level effects
  real lprior = 0;  // prior contributions to the log posterior
  r_1_1 = (sd_1[1] * (z_1[1]));
  lprior += normal_lpdf(b | prior_b_mu, prior_b_sigma);
  lprior += exponential_lpdf(sigma | prior_sigma_rate);
  lprior += exponential_lpdf(sd_1 | prior_sd_rate);
}
model {
  // likelihood including constants
  if (!prior_only) {
    // initialize linear predictor term
    vector[N] mu = rep_vector(0.0, N);
    for (n in 1:N) {
      // add more terms to the linear predictor
      mu[n] += r_1_1[J_1[n]] * Z_1_1[n];
    }
    target += normal_id_glm_lpdf(Y | X, mu, b, sigma);
  }
  // priors including constants
  target += lprior;
  target += std_normal_lpdf(z_1[1]);
}
generated quantities {
  vector[N] log_lik;  // pointwise log-likelihood, for LOO
  {
    vector[N] mu = X * b;  // the linear predictor
    for (n in 1:N) {
      mu[n] += r_1_1[J_1[n]] * Z_1_1[n];
      log_lik[n] = normal_lpdf(Y[n] | mu[n], sigma);
    }
  }
}
