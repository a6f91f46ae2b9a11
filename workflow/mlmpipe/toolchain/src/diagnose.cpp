// diagnose: sanity checks of NUTS/HMC sampler output in Stan CSV files,
// behaving like bin/diagnose of CmdStan 2.35.
//
// Build (H = the httpstan package directory, e.g.
// .venv/lib/python3.11/site-packages/httpstan; Stan, Stan Math, Eigen, Boost
// and TBB headers all sit under $H/include):
//
//   g++ -std=c++17 -O2 -DBOOST_DISABLE_ASSERTS -D_REENTRANT -I$H/include
//       diagnose.cpp -o diagnose -L$H/lib -ltbb -Wl,-rpath,$H/lib
//   (one command line)
//
// Usage: diagnose <file 1> [<file 2> ... <file N>]   (one file per chain)
//
// The checks and messages are those of CmdStan 2.35 (before the switch to
// rank-normalised diagnostics in 2.36), walking the columns in file order:
//   treedepth__  transitions with treedepth >= max_depth (from the header of
//                the last file read);
//   divergent__  number of divergent transitions;
//   energy__     E-BFMI over the concatenated chains, threshold 0.3;
//   model columns (no "__" in the name):
//                N_Eff / draws < 0.001, with stan::mcmc::chains'
//                effective_sample_size (multi-chain, not split, not ranked);
//                split R-hat > 1.05 (chains::split_potential_scale_reduction).
// Output goes to stdout.  As in CmdStan, the problem messages set
// std::setprecision(2) on stdout, which then also applies to numbers printed
// later (e.g. the E-BFMI value and the 1.05 R-hat limit, shown as "1.1").
// Exit status: as in CmdStan, a missing file only prints "File ... not found"
// and the others are processed, with status 0 whether or not problems were
// found (the text is the result).  Deliberate difference: when no file at all
// can be read ("No valid input files, exiting.") or a file is not a sampler
// CSV, the status is 1 (CmdStan returns 0, resp. aborts), so callers notice.

// Stan's and Boost's headers trigger deprecation warnings with g++ -std=c++17;
// they are not ours to fix, so keep the build output quiet.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stan/io/stan_csv_reader.hpp>
#include <stan/mcmc/chains.hpp>
#pragma GCC diagnostic pop

#include <fstream>
#include <iomanip>
#include <ios>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int kOk = 0;
constexpr int kNotOk = 1;

// Split R-hat above this flags a parameter.
constexpr double kRhatMax = 1.05;
// Effective draws per transition below this flag a parameter.
constexpr double kMinEssPerDraw = 0.001;
// E-BFMI below this is reported.
constexpr double kEbfmiThreshold = 0.3;

void print_usage() {
  std::cout << "USAGE:  diagnose <filename 1> [<filename 2> ... <filename N>]"
            << std::endl
            << std::endl;
}

// Prints "a, b, c" on one line.
void print_name_list(const std::vector<std::string>& names) {
  std::cout << "  ";
  for (std::size_t n = 0; n + 1 < names.size(); ++n)
    std::cout << names[n] << ", ";
  std::cout << names.back() << std::endl;
}

// Treedepth saturation: transitions whose tree depth reached max_depth.
bool check_treedepth(const stan::mcmc::chains<>& chains, int col,
                     int max_depth, int num_draws) {
  std::cout << "Checking sampler transitions treedepth." << std::endl;
  Eigen::VectorXd depth = chains.samples(col);
  long n_max = 0;
  for (long n = 0; n < depth.size(); ++n)
    if (depth(n) >= max_depth)
      ++n_max;
  if (n_max == 0) {
    std::cout << "Treedepth satisfactory for all transitions." << std::endl
              << std::endl;
    return false;
  }
  double pct = 100 * static_cast<double>(n_max) / num_draws;
  std::cout << n_max << " of " << num_draws << " (" << std::setprecision(2)
            << pct << "%)"
            << " transitions hit the maximum treedepth limit of " << max_depth
            << ", or 2^" << max_depth << " leapfrog steps." << std::endl
            << "Trajectories that are prematurely terminated due to this"
            << " limit will result in slow exploration." << std::endl
            << "For optimal performance, increase this limit." << std::endl
            << std::endl;
  return true;
}

// Divergent transitions.
bool check_divergences(const stan::mcmc::chains<>& chains, int col,
                       int num_draws) {
  std::cout << "Checking sampler transitions for divergences." << std::endl;
  int n_divergent = chains.samples(col).sum();
  if (n_divergent == 0) {
    std::cout << "No divergent transitions found." << std::endl << std::endl;
    return false;
  }
  std::cout << n_divergent << " of " << num_draws << " ("
            << std::setprecision(2)
            << 100 * static_cast<double>(n_divergent) / num_draws
            << "%) transitions ended with a divergence." << std::endl
            << "These divergent transitions indicate that HMC is not fully "
               "able to explore the posterior distribution."
            << std::endl
            << "Try increasing adapt delta closer to 1." << std::endl
            << "If this doesn't remove all divergences, try to reparameterize "
               "the model."
            << std::endl
            << std::endl;
  return true;
}

// E-BFMI = mean squared change of energy between successive transitions /
// variance of energy, both accumulated in one pass over all chains laid end
// to end (the jump between chains counts as a transition, as in CmdStan).
bool check_ebfmi(const stan::mcmc::chains<>& chains, int col) {
  std::cout << "Checking E-BFMI - sampler transitions HMC potential energy."
            << std::endl;
  Eigen::VectorXd energy = chains.samples(col);
  double delta_e_sq_mean = 0;
  double e_mean = energy(0);
  double e_var = 0;  // running sum of squared deviations
  for (long n = 1; n < energy.size(); ++n) {
    double e = energy(n);
    double delta_e_sq = (e - energy(n - 1)) * (e - energy(n - 1));
    delta_e_sq_mean += (delta_e_sq - delta_e_sq_mean) / n;
    double d = e - e_mean;
    e_mean += d / (n + 1);
    e_var += d * (e - e_mean);
  }
  e_var /= static_cast<double>(energy.size() - 1);
  double e_bfmi = delta_e_sq_mean / e_var;
  if (!(e_bfmi < kEbfmiThreshold)) {
    std::cout << "E-BFMI satisfactory." << std::endl << std::endl;
    return false;
  }
  std::cout << "The E-BFMI, " << e_bfmi << ", is below the nominal"
            << " threshold of " << kEbfmiThreshold << " which suggests"
            << " that HMC may have trouble exploring the target"
            << " distribution." << std::endl
            << "If possible, try to reparameterize the model." << std::endl
            << std::endl;
  return true;
}

}  // namespace

int main(int argc, const char* argv[]) {
  if (argc == 1) {
    print_usage();
    return kOk;
  }

  // -- Keep the readable files; report the others and go on without them.
  std::vector<std::string> filenames;
  for (int i = 1; i < argc; ++i) {
    std::ifstream probe(argv[i]);
    if (probe.good())
      filenames.push_back(argv[i]);
    else
      std::cout << "File " << argv[i] << " not found" << std::endl;
  }
  if (filenames.empty()) {
    std::cout << "No valid input files, exiting." << std::endl;
    return kNotOk;
  }

  try {
    // -- Read every file as one chain; the file list is echoed as it goes
    //    (reader warnings, if any, appear inline as in CmdStan).
    stan::mcmc::chains<> chains{std::vector<std::string>()};
    stan::io::stan_csv_metadata last_metadata;
    std::cout << "Processing csv files: ";
    for (std::size_t k = 0; k < filenames.size(); ++k) {
      std::cout << filenames[k];
      std::ifstream in(filenames[k].c_str());
      stan::io::stan_csv csv = stan::io::stan_csv_reader::parse(in, &std::cout);
      if (k == 0)
        chains = stan::mcmc::chains<>(csv);
      else
        chains.add(csv);
      last_metadata = csv.metadata;
      if (k + 1 < filenames.size())
        std::cout << ", ";
      else
        std::cout << std::endl << std::endl;
    }
    if (chains.num_chains() == 0 || chains.num_kept_samples() == 0)
      throw std::invalid_argument("No sampling draws found.");

    // -- Column by column: the sampler checks print as they are met, the
    //    per-parameter checks collect names for the two summaries below.
    const int num_draws = chains.num_samples();
    std::vector<std::string> low_ess;
    std::vector<std::string> high_rhat;
    bool has_errors = false;
    for (int i = 0; i < chains.num_params(); ++i) {
      const std::string& name = chains.param_name(i);
      if (name == "treedepth__") {
        has_errors |= check_treedepth(chains, i, last_metadata.max_depth,
                                      num_draws);
      } else if (name == "divergent__") {
        has_errors |= check_divergences(chains, i, num_draws);
      } else if (name == "energy__") {
        has_errors |= check_ebfmi(chains, i);
      } else if (name.find("__") == std::string::npos) {
        double n_eff = chains.effective_sample_size(i);
        if (n_eff / num_draws < kMinEssPerDraw)
          low_ess.push_back(name);
        if (chains.split_potential_scale_reduction(i) > kRhatMax)
          high_rhat.push_back(name);
      }
    }

    // -- Effective sample size summary.
    if (!low_ess.empty()) {
      has_errors = true;
      std::cout << "The following parameters had fewer than 0.001 effective"
                << " draws per transition:" << std::endl;
      print_name_list(low_ess);
      std::cout << "Such low values indicate that the effective sample size"
                << " estimators may be biased high and actual performance"
                << " may be substantially lower than quoted." << std::endl
                << std::endl;
    } else {
      std::cout << "Effective sample size satisfactory." << std::endl
                << std::endl;
    }

    // -- Split R-hat summary (wording, typos included, as in CmdStan 2.35).
    if (!high_rhat.empty()) {
      has_errors = true;
      std::cout << "The following parameters had split R-hat greater than "
                << kRhatMax << ":" << std::endl;
      print_name_list(high_rhat);
      std::cout << "Such high values indicate incomplete mixing and biased"
                << " estimation." << std::endl
                << "You should consider regularizating your model"
                << " with additional prior information or a more"
                << " effective parameterization." << std::endl
                << std::endl;
    } else {
      std::cout << "Split R-hat values satisfactory all parameters."
                << std::endl
                << std::endl;
    }

    if (has_errors)
      std::cout << "Processing complete." << std::endl;
    else
      std::cout << "Processing complete, no problems detected." << std::endl;
  } catch (const std::exception& e) {
    std::cout << std::endl << "Error during processing. " << e.what()
              << std::endl;
    return kNotOk;
  }
  return kOk;
}
