// Compiled into each model's translation unit (the makefile force-includes it),
// so that `model info` reports the options the model itself was built with.
#ifndef MLMPIPE_BUILD_INFO_HPP
#define MLMPIPE_BUILD_INFO_HPP

/** The model's compile-time options as `NAME=true|false` lines. */
const char* mlmpipe_model_build_options() {
  return
#ifdef STAN_THREADS
      "STAN_THREADS=true\n"
#else
      "STAN_THREADS=false\n"
#endif
      "STAN_MPI=false\n"
      "STAN_OPENCL=false\n"
#ifdef STAN_NO_RANGE_CHECKS
      "STAN_NO_RANGE_CHECKS=true\n"
#else
      "STAN_NO_RANGE_CHECKS=false\n"
#endif
#ifdef STAN_CPP_OPTIMS
      "STAN_CPP_OPTIMS=true\n"
#else
      "STAN_CPP_OPTIMS=false\n"
#endif
      ;
}

#endif
