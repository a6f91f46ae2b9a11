// File input and output for the model executables: data and init files,
// per-chain file names, the CSV comment header and the profiling table.
#ifndef MLMPIPE_IO_HELPERS_HPP
#define MLMPIPE_IO_HELPERS_HPP

#include "arguments.hpp"

#include <stan/callbacks/writer.hpp>
#include <stan/io/dump.hpp>
#include <stan/io/empty_var_context.hpp>
#include <stan/io/json/json_data.hpp>
#include <stan/io/var_context.hpp>
#include <stan/math/rev/core/profiling.hpp>
#include <stan/model/model_base.hpp>
#include <stan/version.hpp>

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mlmpipe {

/* ---------------------------------------------------------------------------
 * File names.
 * ------------------------------------------------------------------------- */

/** Splits `name` at its last '.' into {base, suffix}; suffix is "" if none. */
inline std::pair<std::string, std::string> split_suffix(const std::string& name) {
  auto dot = name.find_last_of('.');
  auto slash = name.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return {name, ""};
  return {name.substr(0, dot), name.substr(dot)};
}

/** Whether `path` can be opened for reading. */
inline bool readable(const std::string& path) {
  std::ifstream in(path);
  return in.good();
}

/**
 * The output file names of `num_chains` chains: `name` itself for one chain,
 * else `base_<id+i>.suffix` (CmdStan's naming; `default_suffix` if none given).
 */
inline std::vector<std::string> chain_file_names(const std::string& name,
                                                 const std::string& default_suffix,
                                                 unsigned int num_chains,
                                                 unsigned int id) {
  std::vector<std::string> names;
  auto parts = split_suffix(name);
  if (parts.second.empty())
    parts.second = default_suffix;
  for (unsigned int i = 0; i < num_chains; ++i) {
    if (num_chains == 1)
      names.push_back(parts.first + parts.second);
    else
      names.push_back(parts.first + "_" + std::to_string(id + i) + parts.second);
  }
  return names;
}

/**
 * CmdStan's names for per-path outputs: `base + tag + _<id+i> + type` (no
 * number when n is 1).  A CSV keeps the suffix the user gave; other types
 * (".json") always get their own.
 */
inline std::vector<std::string> tagged_file_names(const std::string& name,
                                                  const std::string& tag,
                                                  const std::string& type,
                                                  unsigned int n, unsigned int id) {
  auto parts = split_suffix(name);
  if (type != ".csv" || parts.second.empty())
    parts.second = type;
  std::vector<std::string> names;
  for (unsigned int i = 0; i < n; ++i)
    names.push_back(parts.first + tag + (n == 1 ? "" : "_" + std::to_string(id + i))
                    + parts.second);
  return names;
}

/* ---------------------------------------------------------------------------
 * Variable contexts (data, inits, metrics, parameter values).
 * ------------------------------------------------------------------------- */
using context_ptr = std::shared_ptr<stan::io::var_context>;

/**
 * Reads a JSON (`.json`) or R dump file into a var_context; "" gives an empty one.
 * @throws std::invalid_argument if the file cannot be opened or parsed
 */
inline context_ptr read_var_context(const std::string& file) {
  if (file.empty())
    return std::make_shared<stan::io::empty_var_context>();
  std::ifstream in(file);
  if (!in.good())
    throw std::invalid_argument("Can't open specified file, \"" + file + "\"");
  if (split_suffix(file).second == ".json")
    return std::make_shared<stan::json::json_data>(in);
  std::cerr << "Warning: file '" << file << "' is being read as an 'RDump' file.\n"
            << "\tThis format is deprecated and will not receive new features.\n"
            << "\tConsider saving your data in JSON format instead." << std::endl;
  return std::make_shared<stan::io::dump>(in);
}

/**
 * One context per chain.  With several chains, `base_<id+i>.ext` is used for
 * chain i when `base_<id>.ext` exists, else `file` serves every chain.
 */
inline std::vector<context_ptr> read_chain_contexts(const std::string& file,
                                                    unsigned int num_chains,
                                                    unsigned int id) {
  std::vector<context_ptr> contexts;
  auto parts = split_suffix(file);
  bool per_chain = num_chains > 1 && !file.empty()
                   && readable(parts.first + "_" + std::to_string(id) + parts.second);
  if (!per_chain) {
    context_ptr shared = read_var_context(file);
    contexts.assign(num_chains, shared);
    return contexts;
  }
  for (unsigned int i = 0; i < num_chains; ++i)
    contexts.push_back(
        read_var_context(parts.first + "_" + std::to_string(id + i) + parts.second));
  return contexts;
}

/* ---------------------------------------------------------------------------
 * CSV comment header: versions, model, time, arguments, compile info.
 * ------------------------------------------------------------------------- */
inline std::string utc_datetime() {
  std::time_t now = std::time(nullptr);
  std::tm tm_utc{};
  gmtime_r(&now, &tm_utc);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm_utc);
  return buffer;
}

/** Writes the config header CmdStan 2.35 writes (each line via `w`). */
inline void write_config_header(stan::callbacks::writer& w,
                                const stan::model::model_base& model, const arg& root) {
  w("stan_version_major = " + std::to_string(STAN_MAJOR));
  w("stan_version_minor = " + std::to_string(STAN_MINOR));
  w("stan_version_patch = " + std::to_string(STAN_PATCH));
  w("model = " + model.model_name());
  w("start_datetime = " + utc_datetime());
  print_arguments(root, [&w](const std::string& line) { w(line); });
  for (const auto& line : model.model_compile_info())
    w(line);
}

/* ---------------------------------------------------------------------------
 * Profiling table (written only when the model has profile blocks).
 * ------------------------------------------------------------------------- */
inline void write_profiles(const std::string& file, const stan::math::profile_map& profiles) {
  if (profiles.empty())
    return;
  std::ofstream out(file);
  if (!out.good())
    throw std::invalid_argument("Can't open profile file, \"" + file + "\"");
  out << "name,thread_id,total_time,forward_time,reverse_time,chain_stack,"
         "no_chain_stack,autodiff_calls,no_autodiff_calls\n";
  for (const auto& entry : profiles) {
    const auto& info = entry.second;
    out << entry.first.first << "," << entry.first.second << ","
        << (info.get_fwd_time() + info.get_rev_time()) << "," << info.get_fwd_time() << ","
        << info.get_rev_time() << "," << info.get_chain_stack_used() << ","
        << info.get_nochain_stack_used() << "," << info.get_num_rev_passes() << ","
        << info.get_num_no_AD_fwd_passes() << "\n";
  }
}

}  // namespace mlmpipe
#endif
