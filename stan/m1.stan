// m1: no pooling, one coefficient per person.
// brms: bf(con ~ 0 + a, a ~ 0 + id.f, nl = TRUE), family gaussian,
//       prior(normal(0, 1.5), class = b, nlpar = a) + prior(exponential(1), class = sigma).
// The same posterior as the code brms 2.18 generates for this formula (make_stancode), with
// the prior's parameters passed as data and the pointwise log-likelihood added for LOO.
functions {
}
data {
  int<lower=1> N;  // total number of observations
  vector[N] Y;  // response variable (con)
  int<lower=1> K_a;  // number of population-level effects of the non-linear parameter a
  matrix[N, K_a] X_a;  // population-level design matrix of a (one indicator per person)
  int prior_only;  // should the likelihood be ignored?
  real prior_b_mu;  // location of the normal prior on b_a
  real<lower=0> prior_b_sigma;  // scale of the normal prior on b_a
  real<lower=0> prior_sigma_rate;  // rate of the exponential prior on sigma
}
transformed data {
}
parameters {
  vector[K_a] b_a;  // population-level effects of a (b_a_id.f6, b_a_id.f29, ...)
  real<lower=0> sigma;  // dispersion parameter (residual standard deviation)
}
transformed parameters {
  real lprior = 0;  // prior contributions to the log posterior
  lprior += normal_lpdf(b_a | prior_b_mu, prior_b_sigma);
  // sigma >= 0 and the exponential lives on [0, inf): its lccdf(0) is 0, so no truncation term
  lprior += exponential_lpdf(sigma | prior_sigma_rate);
}
model {
  // likelihood including constants
  if (!prior_only) {
    // non-linear predictor: mu = 0 + a, with a = X_a * b_a
    vector[N] nlp_a = X_a * b_a;
    target += normal_lpdf(Y | nlp_a, sigma);
  }
  // priors including constants
  target += lprior;
}
generated quantities {
  vector[N] log_lik;  // pointwise log-likelihood, for LOO
  {
    vector[N] mu = X_a * b_a;  // expected value of each observation
    for (n in 1:N) {
      log_lik[n] = normal_lpdf(Y[n] | mu[n], sigma);
    }
  }
}
