// method=pathfinder: single- or multi-path Pathfinder through Stan's services,
// with CmdStan 2.35's files:
//
//   num_paths=1   output.csv       lp_approx__, lp__ and the model's quantities
//                                  for num_draws draws (Stan's single-path
//                                  writer);
//                 output.json      the L-BFGS/ELBO trace of the path, when
//                                  save_single_paths=1 or a diagnostic_file
//                                  is given (named after that file then);
//   num_paths=N   output.csv       num_psis_draws draws PSIS-resampled from all
//                                  paths (psis_resample=1 and calculate_lp=1),
//                                  else all N * num_draws draws;
//                 output_path_<i>.csv / .json
//                                  each path's draws and trace, when
//                                  save_single_paths=1 or a diagnostic_file
//                                  is given (i = id, id+1, ...).
// Paths run in parallel (TBB) when the executable has STAN_THREADS and more
// than one thread is allowed (num_threads / STAN_NUM_THREADS).
#ifndef MLMPIPE_PATHFINDER_HPP
#define MLMPIPE_PATHFINDER_HPP

#include "run_context.hpp"

#include <stan/callbacks/json_writer.hpp>
#include <stan/callbacks/writer.hpp>
#include <stan/services/pathfinder/multi.hpp>
#include <stan/services/pathfinder/single.hpp>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlmpipe {

using json_file_writer = stan::callbacks::json_writer<std::ofstream>;

/** JSON writers for the given files, or `n` writers that write nothing. */
inline std::vector<json_file_writer> open_json_writers(const std::vector<std::string>& files,
                                                       size_t n) {
  std::vector<json_file_writer> writers;
  if (files.empty()) {
    for (size_t i = 0; i < n; ++i)
      writers.emplace_back();
    return writers;
  }
  for (const auto& file : files) {
    auto out = std::make_unique<std::ofstream>(file);
    if (!out->good())
      throw std::invalid_argument("Can't open output file, \"" + file + "\"");
    writers.emplace_back(std::move(out));
  }
  return writers;
}

/** CSV writers with the config header for the given files, or `n` silent ones. */
inline std::vector<csv_writer> open_csv_writers(const run_context& rc,
                                                const std::vector<std::string>& files,
                                                size_t n) {
  std::vector<csv_writer> writers;
  if (files.empty()) {
    for (size_t i = 0; i < n; ++i)
      writers.emplace_back(nullptr, "# ");
    return writers;
  }
  int sig_figs = static_cast<int>(get_int(rc.root, {"output", "sig_figs"}));
  for (const auto& file : files) {
    writers.push_back(open_csv(file, sig_figs));
    write_config_header(writers.back(), rc.model, rc.root);
  }
  return writers;
}

inline int run_pathfinder(run_context& rc) {
  const arg& root = rc.root;
  auto at = [](const char* name) {
    return std::vector<std::string>{"method", "pathfinder", name};
  };
  auto real = [&](const char* name) { return get_real(root, at(name)); };
  auto integer = [&](const char* name) { return static_cast<int>(get_int(root, at(name))); };
  int history_size = integer("history_size");
  double init_alpha = real("init_alpha");
  double tol_obj = real("tol_obj");
  double tol_rel_obj = real("tol_rel_obj");
  double tol_grad = real("tol_grad");
  double tol_rel_grad = real("tol_rel_grad");
  double tol_param = real("tol_param");
  int max_lbfgs_iters = integer("max_lbfgs_iters");
  int num_elbo_draws = integer("num_elbo_draws");
  int num_draws = integer("num_draws");
  int num_psis_draws = integer("num_psis_draws");
  int num_paths = integer("num_paths");
  bool psis_resample = get_bool(root, at("psis_resample"));
  bool calculate_lp = get_bool(root, at("calculate_lp"));
  bool save_single_paths = get_bool(root, at("save_single_paths"));
  int refresh = static_cast<int>(get_int(root, {"output", "refresh"}));
  std::string output_file = get_string(root, {"output", "file"});
  std::string diagnostic_file = get_string(root, {"output", "diagnostic_file"});

  // CmdStan's checks, in its order and words.
  if (num_psis_draws > static_cast<long long>(num_draws) * num_paths)
    rc.logger.warn(
        "Warning: Number of PSIS draws is larger than the total number of draws returned by "
        "the single Pathfinders. This is likely unintentional and leads to re-sampling from "
        "the same draws.");
  if (rc.model.num_params_r() == 0)
    throw std::invalid_argument("Model has 0 parameters, cannot run Pathfinder.");

  // Single-path outputs: save_single_paths without a diagnostic file names
  // the JSON after the output file.
  if (save_single_paths && diagnostic_file.empty())
    diagnostic_file = output_file;

  init_spec init = parse_init(get_string(root, {"init"}));
  std::vector<context_ptr> inits = read_chain_contexts(init.file, num_paths, rc.id);
  namespace sp = stan::services::pathfinder;

  if (num_paths == 1) {
    auto out = open_csv_writers(rc, tagged_file_names(output_file, "", ".csv", 1, rc.id), 1);
    std::vector<std::string> json_files;
    if (!diagnostic_file.empty()) {
      save_single_paths = true;
      json_files = tagged_file_names(diagnostic_file, "", ".json", 1, rc.id);
    }
    auto json = open_json_writers(json_files, 1);
    stan::callbacks::writer init_writer;
    return sp::pathfinder_lbfgs_single<false, stan::model::model_base>(
        rc.model, *inits[0], rc.seed, rc.id, init.radius, history_size, init_alpha, tol_obj,
        tol_rel_obj, tol_grad, tol_rel_grad, tol_param, max_lbfgs_iters, num_elbo_draws,
        num_draws, save_single_paths, refresh, rc.interrupt, rc.logger, init_writer, out[0],
        json[0], calculate_lp);
  }

  bool per_path = save_single_paths || !diagnostic_file.empty();
  std::vector<std::string> path_csvs, path_jsons;
  if (per_path) {
    path_csvs = tagged_file_names(output_file, "_path", ".csv", num_paths, rc.id);
    path_jsons = tagged_file_names(diagnostic_file, "_path", ".json", num_paths, rc.id);
  }
  auto path_writers = open_csv_writers(rc, path_csvs, num_paths);
  auto path_json = open_json_writers(path_jsons, num_paths);
  auto out = open_csv_writers(rc, tagged_file_names(output_file, "", ".csv", 1, rc.id), 1);
  json_file_writer no_json;
  std::vector<stan::callbacks::writer> init_writers(num_paths);
  return sp::pathfinder_lbfgs_multi<stan::model::model_base>(
      rc.model, inits, rc.seed, rc.id, init.radius, history_size, init_alpha, tol_obj,
      tol_rel_obj, tol_grad, tol_rel_grad, tol_param, max_lbfgs_iters, num_elbo_draws,
      num_draws, num_psis_draws, num_paths, save_single_paths, refresh, rc.interrupt,
      rc.logger, init_writers, path_writers, path_json, out[0], no_json, calculate_lp,
      psis_resample);
}

}  // namespace mlmpipe
#endif
