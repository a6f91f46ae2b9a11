// Command-line driver linked into every model executable.
//
// It speaks CmdStan 2.35's argument grammar (see arguments.hpp), reads data
// and initial values through Stan's var_context readers, and runs Stan's own
// service functions (NUTS, fixed_param, L-BFGS/BFGS/Newton, ADVI (variational.hpp),
// Pathfinder (pathfinder.hpp), Laplace, standalone generated quantities, log
// density and gradient), writing CSV in CmdStan's layout.  Model code is reached only through stan::model::model_base
// and the `new_model` factory that stanc emits into each model's C++.
#include "arguments.hpp"
#include "io_helpers.hpp"
#include "pathfinder.hpp"
#include "run_context.hpp"
#include "variational.hpp"

#include <stan/callbacks/interrupt.hpp>
#include <stan/callbacks/json_writer.hpp>
#include <stan/callbacks/stream_logger.hpp>
#include <stan/callbacks/unique_stream_writer.hpp>
#include <stan/callbacks/writer.hpp>
#include <stan/io/array_var_context.hpp>
#include <stan/math/prim/core/init_threadpool_tbb.hpp>
#include <stan/model/log_prob_grad.hpp>
#include <stan/model/model_base.hpp>
#include <stan/services/error_codes.hpp>
#include <stan/services/optimize/bfgs.hpp>
#include <stan/services/optimize/laplace_sample.hpp>
#include <stan/services/optimize/lbfgs.hpp>
#include <stan/services/optimize/newton.hpp>
#include <stan/services/sample/fixed_param.hpp>
#include <stan/services/sample/hmc_nuts_dense_e.hpp>
#include <stan/services/sample/hmc_nuts_dense_e_adapt.hpp>
#include <stan/services/sample/hmc_nuts_diag_e.hpp>
#include <stan/services/sample/hmc_nuts_diag_e_adapt.hpp>
#include <stan/services/sample/hmc_nuts_unit_e.hpp>
#include <stan/services/sample/hmc_nuts_unit_e_adapt.hpp>
#include <stan/services/sample/standalone_gqs.hpp>
#include <stan/services/util/create_rng.hpp>
#include <stan/services/util/create_unit_e_dense_inv_metric.hpp>
#include <stan/services/util/create_unit_e_diag_inv_metric.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Defined by the C++ that stanc generates for each model.
stan::model::model_base& new_model(stan::io::var_context& data_context, unsigned int seed,
                                   std::ostream* msg_stream);
stan::math::profile_map& get_stan_profile_data();
// Defined by build_info.hpp, compiled into the model's translation unit.
const char* mlmpipe_model_build_options();

namespace mlmpipe {

/* ---------------------------------------------------------------------------
 * method=sample: NUTS with unit/diag/dense metric, with or without adaptation,
 * or the fixed_param sampler; chains run in parallel through Stan's
 * multi-chain services (TBB) when the executable has STAN_THREADS.
 * ------------------------------------------------------------------------- */
int run_sample(run_context& rc) {
  const arg& root = rc.root;
  using P = std::vector<std::string>;
  const P s{"method", "sample"};
  auto at = [&s](std::initializer_list<std::string> rest) {
    P p = s;
    p.insert(p.end(), rest);
    return p;
  };
  int num_samples = static_cast<int>(get_int(root, at({"num_samples"})));
  int num_warmup = static_cast<int>(get_int(root, at({"num_warmup"})));
  bool save_warmup = get_bool(root, at({"save_warmup"}));
  int thin = static_cast<int>(get_int(root, at({"thin"})));
  bool adapt = get_bool(root, at({"adapt", "engaged"}));
  double gamma = get_real(root, at({"adapt", "gamma"}));
  double delta = get_real(root, at({"adapt", "delta"}));
  double kappa = get_real(root, at({"adapt", "kappa"}));
  double t0 = get_real(root, at({"adapt", "t0"}));
  unsigned int init_buffer = static_cast<unsigned int>(get_int(root, at({"adapt", "init_buffer"})));
  unsigned int term_buffer = static_cast<unsigned int>(get_int(root, at({"adapt", "term_buffer"})));
  unsigned int window = static_cast<unsigned int>(get_int(root, at({"adapt", "window"})));
  bool save_metric = get_bool(root, at({"adapt", "save_metric"}));
  std::string algorithm = get_string(root, at({"algorithm"}));
  unsigned int num_chains = static_cast<unsigned int>(get_int(root, at({"num_chains"})));
  int refresh = static_cast<int>(get_int(root, {"output", "refresh"}));
  init_spec init = parse_init(get_string(root, {"init"}));

  // A model without parameters is sampled with fixed_param, as CmdStan does.
  bool fixed = algorithm == "fixed_param" || rc.model.num_params_r() == 0;
  if (algorithm != "fixed_param" && rc.model.num_params_r() == 0)
    rc.logger.info("Model contains no parameters, running fixed_param sampler, "
                   "no updates to Markov chain");

  std::string engine, metric, metric_file;
  double stepsize = 1, jitter = 0;
  int max_depth = 10;
  if (!fixed) {
    const P h = at({"algorithm", "hmc"});
    auto hp = [&h](std::initializer_list<std::string> rest) {
      P p = h;
      p.insert(p.end(), rest);
      return p;
    };
    engine = get_string(root, hp({"engine"}));
    if (engine != "nuts")
      throw std::invalid_argument("engine=" + engine
                                  + " is not available in this build; use engine=nuts");
    max_depth = static_cast<int>(get_int(root, hp({"engine", "nuts", "max_depth"})));
    metric = get_string(root, hp({"metric"}));
    metric_file = get_string(root, hp({"metric_file"}));
    stepsize = get_real(root, hp({"stepsize"}));
    jitter = get_real(root, hp({"stepsize_jitter"}));
    if (adapt && num_warmup == 0)
      throw std::invalid_argument("The number of warmup samples (num_warmup) must be greater "
                                  "than zero if adaptation is enabled.");
    if (metric == "unit_e" && !metric_file.empty())
      rc.logger.warn("metric_file is ignored with metric=unit_e");
  }

  // Inputs: one init context per chain; writers: one sample CSV per chain.
  std::vector<context_ptr> inits = read_chain_contexts(init.file, num_chains, rc.id);
  std::vector<csv_writer> samples
      = open_chain_csvs(rc, get_string(root, {"output", "file"}), num_chains);
  std::vector<csv_writer> diagnostics;
  std::string diagnostic_file = get_string(root, {"output", "diagnostic_file"});
  if (diagnostic_file.empty()) {
    for (unsigned int i = 0; i < num_chains; ++i)
      diagnostics.emplace_back(nullptr, "# ");
  } else {
    diagnostics = open_chain_csvs(rc, diagnostic_file, num_chains);
  }
  std::vector<stan::callbacks::writer> init_writers(num_chains);

  if (fixed)
    return stan::services::sample::fixed_param(
        rc.model, num_chains, inits, rc.seed, rc.id, init.radius, num_samples, thin, refresh,
        rc.interrupt, rc.logger, init_writers, samples, diagnostics);

  // Metric: from metric_file (per chain, like inits) or the unit metric.
  std::vector<context_ptr> metrics;
  if (metric != "unit_e") {
    if (metric_file.empty()) {
      size_t n = rc.model.num_params_r();
      context_ptr unit;
      if (metric == "dense_e")
        unit = std::make_shared<stan::io::array_var_context>(
            stan::services::util::create_unit_e_dense_inv_metric(n));
      else
        unit = std::make_shared<stan::io::array_var_context>(
            stan::services::util::create_unit_e_diag_inv_metric(n));
      metrics.assign(num_chains, unit);
    } else {
      metrics = read_chain_contexts(metric_file, num_chains, rc.id);
    }
  }

  // Adapted metrics go to `<output>_metric.json` when save_metric=1.
  std::vector<stan::callbacks::json_writer<std::ofstream>> metric_writers;
  for (const auto& name : chain_file_names(get_string(root, {"output", "file"}), ".csv",
                                           num_chains, rc.id)) {
    if (save_metric)
      metric_writers.emplace_back(
          std::make_unique<std::ofstream>(split_suffix(name).first + "_metric.json"));
    else
      metric_writers.emplace_back();
  }

  namespace ss = stan::services::sample;
  if (metric == "unit_e") {
    if (adapt)
      return ss::hmc_nuts_unit_e_adapt(rc.model, num_chains, inits, rc.seed, rc.id, init.radius,
                                       num_warmup, num_samples, thin, save_warmup, refresh,
                                       stepsize, jitter, max_depth, delta, gamma, kappa, t0,
                                       rc.interrupt, rc.logger, init_writers, samples,
                                       diagnostics);
    return ss::hmc_nuts_unit_e(rc.model, num_chains, inits, rc.seed, rc.id, init.radius,
                               num_warmup, num_samples, thin, save_warmup, refresh, stepsize,
                               jitter, max_depth, rc.interrupt, rc.logger, init_writers,
                               samples, diagnostics);
  }
  if (metric == "dense_e") {
    if (adapt)
      return ss::hmc_nuts_dense_e_adapt(rc.model, num_chains, inits, metrics, rc.seed, rc.id,
                                        init.radius, num_warmup, num_samples, thin, save_warmup,
                                        refresh, stepsize, jitter, max_depth, delta, gamma,
                                        kappa, t0, init_buffer, term_buffer, window,
                                        rc.interrupt, rc.logger, init_writers, samples,
                                        diagnostics, metric_writers);
    return ss::hmc_nuts_dense_e(rc.model, num_chains, inits, metrics, rc.seed, rc.id,
                                init.radius, num_warmup, num_samples, thin, save_warmup,
                                refresh, stepsize, jitter, max_depth, rc.interrupt, rc.logger,
                                init_writers, samples, diagnostics);
  }
  if (adapt)
    return ss::hmc_nuts_diag_e_adapt(rc.model, num_chains, inits, metrics, rc.seed, rc.id,
                                     init.radius, num_warmup, num_samples, thin, save_warmup,
                                     refresh, stepsize, jitter, max_depth, delta, gamma, kappa,
                                     t0, init_buffer, term_buffer, window, rc.interrupt,
                                     rc.logger, init_writers, samples, diagnostics,
                                     metric_writers);
  return ss::hmc_nuts_diag_e(rc.model, num_chains, inits, metrics, rc.seed, rc.id, init.radius,
                             num_warmup, num_samples, thin, save_warmup, refresh, stepsize,
                             jitter, max_depth, rc.interrupt, rc.logger, init_writers, samples,
                             diagnostics);
}

/* ---------------------------------------------------------------------------
 * method=optimize: L-BFGS, BFGS or Newton, with or without the Jacobian.
 * ------------------------------------------------------------------------- */
template <bool jacobian>
int run_optimize_impl(run_context& rc, stan::io::var_context& init, double radius,
                      csv_writer& out) {
  const arg& root = rc.root;
  std::string algo = get_string(root, {"method", "optimize", "algorithm"});
  int iter = static_cast<int>(get_int(root, {"method", "optimize", "iter"}));
  bool save_iterations = get_bool(root, {"method", "optimize", "save_iterations"});
  int refresh = static_cast<int>(get_int(root, {"output", "refresh"}));
  stan::callbacks::writer init_writer;
  namespace so = stan::services::optimize;
  if (algo == "newton")
    return so::newton<stan::model::model_base, jacobian>(
        rc.model, init, rc.seed, rc.id, radius, iter, save_iterations, rc.interrupt, rc.logger,
        init_writer, out);
  std::vector<std::string> a{"method", "optimize", "algorithm", algo};
  auto r = [&](const char* n) {
    auto p = a;
    p.push_back(n);
    return get_real(root, p);
  };
  if (algo == "bfgs")
    return so::bfgs<stan::model::model_base, jacobian>(
        rc.model, init, rc.seed, rc.id, radius, r("init_alpha"), r("tol_obj"),
        r("tol_rel_obj"), r("tol_grad"), r("tol_rel_grad"), r("tol_param"), iter,
        save_iterations, refresh, rc.interrupt, rc.logger, init_writer, out);
  auto hp = a;
  hp.push_back("history_size");
  return so::lbfgs<stan::model::model_base, jacobian>(
      rc.model, init, rc.seed, rc.id, radius, static_cast<int>(get_int(root, hp)),
      r("init_alpha"), r("tol_obj"), r("tol_rel_obj"), r("tol_grad"), r("tol_rel_grad"),
      r("tol_param"), iter, save_iterations, refresh, rc.interrupt, rc.logger, init_writer,
      out);
}

int run_optimize(run_context& rc) {
  if (rc.model.num_params_r() == 0)
    throw std::invalid_argument("Model " + rc.model.model_name()
                                + " has no parameters, nothing to estimate.");
  init_spec init = parse_init(get_string(rc.root, {"init"}));
  context_ptr init_context = read_var_context(init.file);
  auto out = open_chain_csvs(rc, get_string(rc.root, {"output", "file"}), 1);
  if (get_bool(rc.root, {"method", "optimize", "jacobian"}))
    return run_optimize_impl<true>(rc, *init_context, init.radius, out[0]);
  return run_optimize_impl<false>(rc, *init_context, init.radius, out[0]);
}

/* ---------------------------------------------------------------------------
 * Helpers for methods that take constrained parameter values from a file.
 * ------------------------------------------------------------------------- */

/** Unconstrains one set of constrained values; errors name the problem. */
inline std::vector<double> unconstrain(const stan::model::model_base& model,
                                       const std::vector<double>& constrained) {
  std::stringstream msg;
  std::vector<double> unconstrained(model.num_params_r());
  try {
    model.unconstrain_array(constrained, unconstrained, &msg);
  } catch (const std::exception& e) {
    std::stringstream out;
    out << e.what() << "\nBad or missing parameter values, cannot unconstrain.";
    if (msg.str().length() > 0)
      out << "\n\t" << msg.str();
    throw std::invalid_argument(out.str());
  }
  return unconstrained;
}

/** Unconstrained values from a JSON/R dump file of constrained values. */
inline std::vector<double> unconstrain_file(const stan::model::model_base& model,
                                            const std::string& file) {
  context_ptr context = read_var_context(file);
  std::stringstream msg;
  std::vector<double> params(model.num_params_r());
  std::vector<int> params_i;
  try {
    model.transform_inits(*context, params_i, params, &msg);
  } catch (const std::exception& e) {
    std::stringstream out;
    out << e.what() << "\nBad or missing parameter values, cannot unconstrain.";
    if (msg.str().length() > 0)
      out << "\n\t" << msg.str();
    throw std::invalid_argument(out.str());
  }
  return params;
}

/** A Stan CSV file: column names and the draws (all rows). */
struct csv_table {
  std::vector<std::string> header;
  Eigen::MatrixXd draws;
  std::string config;  // the comment lines, for checks such as "method = optimize"
};

inline csv_table read_stan_csv(const std::string& file) {
  std::ifstream in(file);
  if (!in.good())
    throw std::invalid_argument("Can't open specified file, \"" + file + "\"");
  csv_table table;
  std::string line;
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    if (line[0] == '#') {
      table.config += line + "\n";
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ','))
      cells.push_back(cell);
    if (table.header.empty()) {
      table.header = cells;
      continue;
    }
    if (cells.size() != table.header.size())
      throw std::invalid_argument("Error reading CSV file \"" + file + "\": a row has "
                                  + std::to_string(cells.size()) + " values, the header "
                                  + std::to_string(table.header.size()));
    std::vector<double> row;
    for (const auto& c : cells)
      row.push_back(std::strtod(c.c_str(), nullptr));
    rows.push_back(std::move(row));
  }
  if (table.header.empty())
    throw std::invalid_argument("CSV file \"" + file + "\" has no header row");
  table.draws.resize(rows.size(), table.header.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j)
      table.draws(i, j) = rows[i][j];
  return table;
}

/** Index of the first model column (after the `name__` columns); checks names. */
inline size_t parameter_offset(const csv_table& table,
                               const std::vector<std::string>& param_names,
                               const std::string& file) {
  size_t offset = 0;
  while (offset < table.header.size() && table.header[offset].size() > 2
         && table.header[offset].compare(table.header[offset].size() - 2, 2, "__") == 0)
    ++offset;
  if (offset + param_names.size() > table.header.size())
    throw std::invalid_argument("Mismatch between model and fitted_parameters csv file \""
                                + file + "\"");
  for (size_t i = 0; i < param_names.size(); ++i)
    if (param_names[i] != table.header[offset + i])
      throw std::invalid_argument("Mismatch between model params and StanCSV file \"" + file
                                  + "\", expecting param \"" + param_names[i]
                                  + "\", found \"" + table.header[offset + i] + "\"");
  return offset;
}

/* ---------------------------------------------------------------------------
 * method=generate_quantities: re-run generated quantities for each draw of a
 * fitted sample with Stan's standalone service.  As in CmdStan 2.35 the output
 * holds the generated quantities only (cmdstanpy joins them to the sample).
 * ------------------------------------------------------------------------- */
int run_generate_quantities(run_context& rc) {
  std::string file = get_string(rc.root, {"method", "generate_quantities", "fitted_params"});
  if (file.empty())
    throw std::invalid_argument(
        "Argument fitted_params file - found empty string, expecting filename.");
  std::vector<std::string> params;
  rc.model.constrained_param_names(params, false, false);
  if (params.empty())
    throw std::invalid_argument("Model " + rc.model.model_name()
                                + " has no parameters, nothing to estimate.");
  csv_table fitted = read_stan_csv(file);
  size_t offset = parameter_offset(fitted, params, file);
  Eigen::MatrixXd draws = fitted.draws.block(0, offset, fitted.draws.rows(), params.size());
  auto out = open_chain_csvs(rc, get_string(rc.root, {"output", "file"}), 1);
  return stan::services::standalone_generate(rc.model, draws, rc.seed, rc.interrupt, rc.logger,
                                             out[0]);
}

/* ---------------------------------------------------------------------------
 * method=laplace: draws from the normal approximation at a mode given as an
 * optimize CSV or a JSON file of constrained values.
 * ------------------------------------------------------------------------- */
int run_laplace(run_context& rc) {
  const arg& root = rc.root;
  std::string mode = get_string(root, {"method", "laplace", "mode"});
  if (mode.empty())
    throw std::invalid_argument("Argument mode file - found empty string, expecting filename.");
  std::vector<double> theta;
  std::string suffix = split_suffix(mode).second;
  if (suffix == ".csv") {
    csv_table table = read_stan_csv(mode);
    if (table.config.find("method = optimize") == std::string::npos)
      throw std::invalid_argument("CSV file is not output from Stan optimization");
    if (table.draws.rows() < 1)
      throw std::invalid_argument("CSV file \"" + mode + "\" has no values");
    std::vector<std::string> params;
    rc.model.constrained_param_names(params, false, false);
    size_t offset = parameter_offset(table, params, mode);
    std::vector<double> constrained(params.size());
    Eigen::Index last = table.draws.rows() - 1;
    for (size_t j = 0; j < params.size(); ++j)
      constrained[j] = table.draws(last, offset + j);
    theta = unconstrain(rc.model, constrained);
  } else if (suffix == ".json") {
    theta = unconstrain_file(rc.model, mode);
  } else {
    throw std::invalid_argument("Mode file must be CSV or JSON, found " + mode);
  }
  Eigen::VectorXd theta_hat = Eigen::Map<Eigen::VectorXd>(theta.data(), theta.size());
  int draws = static_cast<int>(get_int(root, {"method", "laplace", "draws"}));
  int refresh = static_cast<int>(get_int(root, {"output", "refresh"}));
  auto out = open_chain_csvs(rc, get_string(root, {"output", "file"}), 1);
  if (get_bool(root, {"method", "laplace", "jacobian"}))
    return stan::services::laplace_sample<true>(rc.model, theta_hat, draws, rc.seed, refresh,
                                                rc.interrupt, rc.logger, out[0]);
  return stan::services::laplace_sample<false>(rc.model, theta_hat, draws, rc.seed, refresh,
                                               rc.interrupt, rc.logger, out[0]);
}

/* ---------------------------------------------------------------------------
 * method=log_prob: log density and gradient at given parameter values
 * (unconstrained: variable `params_r`, one vector or an array of them;
 * constrained: the model's parameters by name).
 * ------------------------------------------------------------------------- */
int run_log_prob(run_context& rc) {
  const arg& root = rc.root;
  std::string ufile = get_string(root, {"method", "log_prob", "unconstrained_params"});
  std::string cfile = get_string(root, {"method", "log_prob", "constrained_params"});
  bool jacobian = get_bool(root, {"method", "log_prob", "jacobian"});
  if (ufile.empty() == cfile.empty())
    throw std::invalid_argument("log_prob needs exactly one of unconstrained_params "
                                "and constrained_params");
  std::vector<std::vector<double>> sets;
  size_t n = rc.model.num_params_r();
  if (!ufile.empty()) {
    context_ptr context = read_var_context(ufile);
    std::vector<double> values = context->vals_r("params_r");
    if (values.empty())
      throw std::invalid_argument("Unconstrained parameters file has no variable 'params_r' "
                                  "with unconstrained parameter values!");
    std::vector<size_t> dims = context->dims_r("params_r");
    size_t rows = dims.size() == 2 ? dims[0] : 1;
    size_t cols = dims.size() == 2 ? dims[1] : dims[0];
    if (cols != n)
      throw std::invalid_argument("Incorrect number of unconstrained parameters provided! "
                                  "Model has " + std::to_string(n) + " parameters but "
                                  + std::to_string(cols) + " were found.");
    // params_r is stored column-major: element (i, j) is at j * rows + i
    for (size_t i = 0; i < rows; ++i) {
      std::vector<double> set(cols);
      for (size_t j = 0; j < cols; ++j)
        set[j] = values[j * rows + i];
      sets.push_back(std::move(set));
    }
  } else {
    sets.push_back(unconstrain_file(rc.model, cfile));
  }

  auto out = open_chain_csvs(rc, get_string(root, {"output", "file"}), 1);
  // Header row, then one row per parameter set: lp__ and the gradient.
  std::vector<std::string> header{"lp__"};
  std::vector<std::string> unames;
  rc.model.unconstrained_param_names(unames, false, false);
  for (const auto& u : unames)
    header.push_back("g_" + u);
  out[0](header);
  std::vector<int> params_i;
  for (auto& set : sets) {
    std::vector<double> gradient;
    std::stringstream msg;
    double lp = jacobian
        ? stan::model::log_prob_grad<true, true>(rc.model, set, params_i, gradient, &msg)
        : stan::model::log_prob_grad<true, false>(rc.model, set, params_i, gradient, &msg);
    if (msg.str().length() > 0)
      rc.logger.info(msg);
    std::vector<double> row{lp};
    row.insert(row.end(), gradient.begin(), gradient.end());
    out[0](row);
  }
  return codes::OK;
}

/* ---------------------------------------------------------------------------
 * `model info`: versions and the compile-time options of this executable.
 * ------------------------------------------------------------------------- */
void print_info(std::ostream& o) {
  o << "stan_version_major = " << STAN_MAJOR << "\n"
    << "stan_version_minor = " << STAN_MINOR << "\n"
    << "stan_version_patch = " << STAN_PATCH << "\n"
    << mlmpipe_model_build_options() << std::flush;
}

/** Number of threads: num_threads=, else STAN_NUM_THREADS, else 1; -1 means all cores. */
int thread_count(const arg& root) {
#ifdef STAN_THREADS
  arg& a = find(root, {"num_threads"});
  int n = static_cast<int>(std::stoll(a.value));
  if (!a.set_by_user) {
    if (const char* env = std::getenv("STAN_NUM_THREADS")) {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (*env == '\0' || *end != '\0' || (v < 1 && v != -1))
        throw std::invalid_argument(std::string("The STAN_NUM_THREADS environment variable is '")
                                    + env + "' but should be a positive integer or -1");
      n = static_cast<int>(v);
    }
  }
  if (n == -1)
    n = std::max(1u, std::thread::hardware_concurrency());
  return n;
#else
  (void)root;
  return 1;  // without STAN_THREADS the autodiff stack is not thread-local
#endif
}

/* ---------------------------------------------------------------------------
 * The whole program: parse, print the configuration, build the model from
 * the data, dispatch to the method.
 * ------------------------------------------------------------------------- */
int command(int argc, const char* argv[]) {
  std::vector<std::string> tokens(argv + 1, argv + argc);
  if (tokens.size() == 1 && tokens[0] == "info") {
    print_info(std::cout);
    return codes::OK;
  }
  auto root = cmdstan_tree();
  if (tokens.empty()) {
    std::cout << "Usage: " << argv[0] << " <arg1> <subarg1_1> ... <subarg1_m> ... <arg_n>"
              << " <subarg_n_1> ... <subarg_n_m>\n\nBegin by selecting amongst the following "
                 "inference methods and diagnostics,\n";
    print_help(find(*root, {"method"}), "  ", false, std::cout);
    std::cout << "Or see help information with\n  " << argv[0] << " help\n  " << argv[0]
              << " help-all\n\nAdditional information can be found in the CmdStan manual\n";
    return codes::USAGE;
  }
  try {
    if (parse_arguments(*root, tokens, std::cout).help_printed)
      return codes::OK;
  } catch (const usage_error& e) {
    std::cerr << e.what() << "\nFailed to parse arguments, terminating Stan" << std::endl;
    return codes::USAGE;
  }

  std::string method = get_string(*root, {"method"});
  if (method == "diagnose") {
    std::cerr << "method=" << method << " is not available in this build of the CmdStan "
              << "driver (available: sample, optimize, variational, pathfinder, laplace, "
              << "generate_quantities, log_prob)" << std::endl;
    return codes::USAGE;
  }

  if (get_bool(*root, {"output", "save_cmdstan_config"})) {
    std::cerr << "save_cmdstan_config=1 is not available in this build of the CmdStan driver"
              << std::endl;
    return codes::USAGE;
  }

  // Seed: given, or drawn from the clock as CmdStan does.
  arg& seed_arg = find(*root, {"random", "seed"});
  unsigned int seed;
  if (seed_arg.value == "-1") {
    seed = static_cast<unsigned int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    seed_arg.value = std::to_string(seed);
  } else {
    seed = static_cast<unsigned int>(std::stoull(seed_arg.value));
  }
  unsigned int id = static_cast<unsigned int>(get_int(*root, {"id"}));

  // Threads for parallel chains; the record shows the number in effect.
  int threads = thread_count(*root);
  arg& threads_arg = find(*root, {"num_threads"});
  if (!threads_arg.set_by_user)
    threads_arg.value = std::to_string(threads);
  stan::math::init_threadpool_tbb(threads);

  // Echo the configuration, as CmdStan does.
  print_arguments(*root, [](const std::string& line) { std::cout << line << "\n"; });
  std::cout << std::endl;

  // The model, constructed from the data (transformed data may use the seed).
  context_ptr data = read_var_context(get_string(*root, {"data", "file"}));
  stan::model::model_base& model = new_model(*data, seed, &std::cout);
  std::unique_ptr<stan::model::model_base> owner(&model);

  stan::callbacks::stream_logger logger(std::cout, std::cout, std::cout, std::cerr, std::cerr);
  stan::callbacks::interrupt interrupt;
  run_context rc{*root, model, seed, id, logger, interrupt};

  int code = codes::SOFTWARE;
  if (method == "sample")
    code = run_sample(rc);
  else if (method == "optimize")
    code = run_optimize(rc);
  else if (method == "variational")
    code = run_variational(rc);
  else if (method == "pathfinder")
    code = run_pathfinder(rc);
  else if (method == "generate_quantities")
    code = run_generate_quantities(rc);
  else if (method == "laplace")
    code = run_laplace(rc);
  else if (method == "log_prob")
    code = run_log_prob(rc);

  write_profiles(get_string(*root, {"output", "profile_file"}), get_stan_profile_data());
  return code;
}

}  // namespace mlmpipe

int main(int argc, const char* argv[]) {
  try {
    return mlmpipe::command(argc, argv);
  } catch (const std::exception& e) {
    // Stan's own messages start with "Exception:"; others get an "Error: " lead so
    // that every failure line is recognisable (cmdstanpy collects lines starting with E).
    std::string what = e.what();
    if (what.rfind("Exception", 0) == 0 || what.rfind("Error", 0) == 0)
      std::cerr << what << std::endl;
    else
      std::cerr << "Error: " << what << std::endl;
    return stan::services::error_codes::SOFTWARE;
  }
}
