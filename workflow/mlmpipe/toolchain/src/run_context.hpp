// What every method of the driver shares: the parsed arguments, the model,
// seed and id, the callbacks, CSV writers with CmdStan's comment header, and
// the `init` setting.
#ifndef MLMPIPE_RUN_CONTEXT_HPP
#define MLMPIPE_RUN_CONTEXT_HPP

#include "arguments.hpp"
#include "io_helpers.hpp"

#include <stan/callbacks/interrupt.hpp>
#include <stan/callbacks/logger.hpp>
#include <stan/callbacks/unique_stream_writer.hpp>
#include <stan/model/model_base.hpp>
#include <stan/services/error_codes.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlmpipe {

using csv_writer = stan::callbacks::unique_stream_writer<std::ofstream>;
using codes = stan::services::error_codes;

/* ---------------------------------------------------------------------------
 * Everything a method needs: parsed arguments, the model, seed and id,
 * the logger and interrupt callbacks.
 * ------------------------------------------------------------------------- */
struct run_context {
  arg& root;
  stan::model::model_base& model;
  unsigned int seed;
  unsigned int id;
  stan::callbacks::logger& logger;
  stan::callbacks::interrupt& interrupt;
};

/* ---------------------------------------------------------------------------
 * Output writers: one CSV writer per chain, with the config header written,
 * and the requested number of significant figures.
 * ------------------------------------------------------------------------- */
inline csv_writer open_csv(const std::string& file, int sig_figs) {
  auto out = std::make_unique<std::ofstream>(file);
  if (!out->good())
    throw std::invalid_argument("Can't open output file, \"" + file + "\"");
  if (sig_figs > -1)
    out->precision(sig_figs);
  return csv_writer(std::move(out), "# ");
}

inline std::vector<csv_writer> open_chain_csvs(const run_context& rc, const std::string& file,
                                               unsigned int num_chains) {
  std::vector<csv_writer> writers;
  int sig_figs = static_cast<int>(get_int(rc.root, {"output", "sig_figs"}));
  for (const auto& name : chain_file_names(file, ".csv", num_chains, rc.id)) {
    writers.push_back(open_csv(name, sig_figs));
    write_config_header(writers.back(), rc.model, rc.root);
  }
  return writers;
}

/** Initial-value setting: a radius (number) or a file name. */
struct init_spec {
  double radius = 2;
  std::string file;
};

inline init_spec parse_init(const std::string& text) {
  init_spec spec;
  char* end = nullptr;
  double r = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == '\0') {
    if (r < 0)
      throw std::invalid_argument("Invalid value for init: " + text
                                  + " (a radius must be non-negative)");
    spec.radius = r;
  } else {
    spec.file = text;
  }
  return spec;
}

}  // namespace mlmpipe
#endif
