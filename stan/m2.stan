// m2: partial pooling: varying intercepts (config/config.yaml, models.m2)
// brms: con ~ 1 + (1 | id); family gaussian
// priors: Intercept normal(0, 1.5), sd exponential(1), sigma exponential(1)
// Generated, do not edit: the Stan code brms 2.18's make_stancode writes for this
// formula (array syntax of Stan 2.33+), with each prior's parameters passed as data
// (prior_*) and the pointwise log-likelihood (log_lik) added for LOO. Regenerate:
//   python -m mlmpipe stancode --model m2 --data ../shared/data/mlm.csv --output stan/m2.stan
// tests/test_formula_lecture.py fails when this file differs from what it generates.
functions {
}
data {
  int<lower=1> N;  // total number of observations
  vector[N] Y;  // response variable
  // data for group-level effects of ID 1
  int<lower=1> N_1;  // number of grouping levels
  int<lower=1> M_1;  // number of coefficients per level
  array[N] int<lower=1> J_1;  // grouping indicator per observation
  // group-level predictor values
  vector[N] Z_1_1;
  int prior_only;  // should the likelihood be ignored?
  real prior_Intercept_mu;  // location of the normal prior on Intercept
  real<lower=0> prior_Intercept_sigma;  // scale of the normal prior on Intercept
  real<lower=0> prior_sigma_rate;  // rate of the exponential prior on sigma
  real<lower=0> prior_sd_rate;  // rate of the exponential prior on sd
}
transformed data {
}
parameters {
  real Intercept;  // temporary intercept for centered predictors
  real<lower=0> sigma;  // dispersion parameter
  vector<lower=0>[M_1] sd_1;  // group-level standard deviations
  array[M_1] vector[N_1] z_1;  // standardized group-level effects
}
transformed parameters {
  vector[N_1] r_1_1;  // actual group-level effects
  real lprior = 0;  // prior contributions to the log posterior
  r_1_1 = (sd_1[1] * (z_1[1]));
  lprior += normal_lpdf(Intercept | prior_Intercept_mu, prior_Intercept_sigma);
  lprior += exponential_lpdf(sigma | prior_sigma_rate);
  lprior += exponential_lpdf(sd_1 | prior_sd_rate);
}
model {
  // likelihood including constants
  if (!prior_only) {
    // initialize linear predictor term
    vector[N] mu = rep_vector(0.0, N);
    mu += Intercept;
    for (n in 1:N) {
      // add more terms to the linear predictor
      mu[n] += r_1_1[J_1[n]] * Z_1_1[n];
    }
    target += normal_lpdf(Y | mu, sigma);
  }
  // priors including constants
  target += lprior;
  target += std_normal_lpdf(z_1[1]);
}
generated quantities {
  // actual population-level intercept
  real b_Intercept = Intercept;
  vector[N] log_lik;  // pointwise log-likelihood, for LOO
  {
    vector[N] mu = rep_vector(Intercept, N);  // the linear predictor
    for (n in 1:N) {
      mu[n] += r_1_1[J_1[n]] * Z_1_1[n];
      log_lik[n] = normal_lpdf(Y[n] | mu[n], sigma);
    }
  }
}
