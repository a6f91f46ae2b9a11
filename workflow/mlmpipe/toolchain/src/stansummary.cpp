// stansummary: summary statistics of NUTS/HMC sampler output in Stan CSV
// files, behaving like bin/stansummary of CmdStan 2.35.
//
// Build (H = the httpstan package directory, e.g.
// .venv/lib/python3.11/site-packages/httpstan; everything needed -- Stan,
// Stan Math, Eigen, Boost, TBB headers -- sits flat under $H/include):
//
//   g++ -std=c++17 -O2 -DBOOST_DISABLE_ASSERTS -D_REENTRANT -I$H/include
//       stansummary.cpp -o stansummary -L$H/lib -ltbb -Wl,-rpath,$H/lib
//   (one command line)
//
// Only header-only parts of Stan are used (stan::io::stan_csv_reader,
// stan::mcmc::chains and, through it, stan::analyze); TBB is linked only
// because the toolchain links every program with it.
//
// What CmdStan 2.35 does, and therefore what this program does:
//   * the CSV files are read with stan::io::stan_csv_reader and collected in
//     one stan::mcmc::chains object (file i = chain i);
//   * per column: Mean, MCSE = StdDev / sqrt(N_Eff), StdDev, the requested
//     quantiles (chains::quantiles, Boost tail quantiles), N_Eff from
//     chains::effective_sample_size (multi-chain, NOT split, NOT
//     rank-normalised), N_Eff/s = N_Eff / total sampling time of all chains,
//     R_hat from chains::split_potential_scale_reduction (classic split R-hat);
//   * rows: lp__, then the sampler diagnostics (all other "__" columns),
//     then the model's quantities; containers are listed in row-major order;
//   * console: header with model name, draws and timing, the table, footer;
//     with --csv_filename the same numbers are also written as CSV, with the
//     header/footer as "# " comments.
// The stream-formatting details (sticky std::fixed, precisions, widths) are
// reproduced on purpose so that the text and the CSV match the official tool
// byte for byte.
//
// Options (parsed like CmdStan's CLI11 1.9 parser; errors go to stderr as
// "<option>: <problem>" + "Run with --help for more information." and the
// CLI11 exit code; semantic errors print to stdout and exit 1):
//   -a, --autocorr [n]          autocorrelations of the n-th input file
//   -c, --csv_filename [file]   also write the statistics as CSV (must not exist)
//   -h, --help                  help
//   -p, --percentiles [values]  comma/space separated integers in [1, 99]
//   -s, --sig_figs [n]          significant figures, 1..18, default 2
//       --model_param [names]   restrict the model rows (theta.1 == theta[1])

// Stan's and Boost's headers trigger deprecation warnings with g++ -std=c++17;
// they are not ours to fix, so keep the build output quiet.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stan/io/ends_with.hpp>
#include <stan/io/stan_csv_reader.hpp>
#include <stan/mcmc/chains.hpp>
#include <boost/algorithm/string.hpp>
#pragma GCC diagnostic pop

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <ios>
#include <iostream>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Exit status of CmdStan's helper programs.
constexpr int kOk = 0;
constexpr int kNotOk = 1;

// Exit codes CLI11 uses for the parse errors that can occur here.
constexpr int kCliConversionError = 104;
constexpr int kCliValidationError = 105;
constexpr int kCliRequiredError = 106;
constexpr int kCliExtrasError = 109;
constexpr int kCliArgumentMismatch = 114;

using FormatVector = Eigen::Matrix<std::ios_base::fmtflags, Eigen::Dynamic, 1>;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

// The short usage text printed when the program is called without arguments.
const char* const kUsage =
    "Usage: stansummary [OPTIONS] stan_csv_file(s)\n"
    "Report statistics for one or more Stan csv files from a HMC sampler "
    "run.\n"
    "Example:  stansummary model_chain_1.csv model_chain_2.csv\n"
    "Options:\n"
    "  -a, --autocorr [n]          Display the chain autocorrelation for the "
    "n-th\n"
    "                              input file, in addition to statistics.\n"
    "  -c, --csv_filename [file]   Write statistics to a csv file.\n"
    "  -h, --help                  Produce help message, then exit.\n"
    "  -p, --percentiles [values]  Percentiles to report as ordered set of\n"
    "                              comma-separated integers from (1,99), "
    "inclusive.\n"
    "                              Default is 5,50,95.\n"
    "  -s, --sig_figs [n]          Significant figures reported. Default is "
    "2.\n"
    "                              Must be an integer from (1, 18), "
    "inclusive.\n";

// A parse error in CLI11's terms: message and process exit code.
struct CliError {
  std::string message;
  int exit_code;
};

struct Options {
  int sig_figs = 2;
  bool sig_figs_given = false;
  int autocorr_idx = 0;
  bool autocorr_given = false;
  std::string csv_filename;
  bool csv_given = false;
  std::string percentiles_spec = "5,50,95";
  std::vector<std::string> requested_params;
  std::vector<std::string> filenames;
  bool help = false;
};

// The raw values collected for one option before validation.
struct RawOption {
  std::string long_name;  // as CLI11 names it in messages, e.g. "--sig_figs"
  std::vector<std::string> values;
};

enum class PathKind { kMissing, kFile, kDirectory };

PathKind path_kind(const std::string& path) {
  struct stat buffer;
  if (stat(path.c_str(), &buffer) != 0)
    return PathKind::kMissing;
  return S_ISDIR(buffer.st_mode) ? PathKind::kDirectory : PathKind::kFile;
}

// CLI11 treats "-x..." as an option only when x may start an option name.
bool starts_short_option(const std::string& token) {
  if (token.size() < 2 || token[0] != '-')
    return false;
  char c = token[1];
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '?'
         || c == '@';
}

bool starts_long_option(const std::string& token) {
  return token.size() > 2 && token.compare(0, 2, "--") == 0
         && (std::isalpha(static_cast<unsigned char>(token[2]))
             || token[2] == '_' || token[2] == '?' || token[2] == '@');
}

bool looks_like_option(const std::string& token) {
  return token == "--" || starts_long_option(token)
         || starts_short_option(token);
}

// Whole-string integer conversion, as CLI11's lexical_cast<int> does it.
bool to_int(const std::string& text, int& value) {
  if (text.empty())
    return false;
  char* end = nullptr;
  errno = 0;
  long parsed = std::strtol(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || parsed < std::numeric_limits<int>::min()
      || parsed > std::numeric_limits<int>::max())
    return false;
  value = static_cast<int>(parsed);
  return true;
}

bool to_double(const std::string& text, double& value) {
  if (text.empty())
    return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return *end == '\0';
}

// "theta.1.2" -> "theta[1,2]": both spellings of an element are accepted.
std::string bracket_param_name(const std::string& name) {
  std::string token(name);
  int pos = static_cast<int>(token.find('.'));
  if (pos > 0) {
    token.replace(pos, 1, "[");
    std::replace(token.begin(), token.end(), '.', ',');
    token += "]";
  }
  return token;
}

// The help text CLI11 generates for the option set above.
std::string help_text(const std::string& program) {
  std::ostringstream out;
  auto item = [&out](const std::string& name, const std::string& desc) {
    const std::size_t width = 30;
    std::string shown = "  " + name;
    out << std::setw(static_cast<int>(width)) << std::left << shown;
    if (!desc.empty()) {
      if (shown.size() >= width)
        out << "\n" << std::setw(static_cast<int>(width)) << "";
      out << desc;
    }
    out << "\n";
  };
  out << "Allowed options\n";
  out << "Usage: " << program << " [OPTIONS] input_files...\n";
  out << "\nPositionals:\n";
  item("input_files TEXT:FILE=[] ... REQUIRED", "Sampler csv files.");
  out << "\nOptions:\n";
  item("-h,--help", "Print this help message and exit");
  item("-s,--sig_figs INT:INT in [1 - 18]=2", "Significant figures, default 2.");
  item("-a,--autocorr INT:POSITIVE=0", "Display the chain autocorrelation.");
  item("-c,--csv_filename TEXT:PATH(non-existing)",
       "Write statistics to a csv.");
  item("-p,--percentiles TEXT=5,50,95", "Percentiles to report.");
  item("--model_param TEXT=[] ...", "Which model parameters to summarize.");
  out << "\n";
  return out.str();
}

// Splits argv into option values and input files (CLI11 1.9 rules: a value may
// be attached with '=' or follow as the next argument; --model_param takes
// every following argument up to the next option; "--" ends the options),
// then validates in declaration order.  Throws CliError.
void parse_command_line(int argc, const char* argv[], Options& opts) {
  RawOption sig_figs{"--sig_figs", {}};
  RawOption autocorr{"--autocorr", {}};
  RawOption csv_file{"--csv_filename", {}};
  RawOption percentiles{"--percentiles", {}};
  RawOption model_param{"--model_param", {}};
  std::vector<std::string> extras;
  bool help = false;

  std::vector<std::string> args(argv + 1, argv + argc);
  bool positional_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (positional_only) {
      opts.filenames.push_back(token);
      continue;
    }
    if (token == "--") {
      positional_only = true;
      continue;
    }
    std::string name;
    std::string attached;
    bool has_attached = false;
    if (starts_long_option(token)) {
      std::size_t eq = token.find('=');
      name = token.substr(2, eq == std::string::npos ? std::string::npos
                                                     : eq - 2);
      if (eq != std::string::npos) {
        attached = token.substr(eq + 1);
        has_attached = true;
      }
    } else if (starts_short_option(token)) {
      name = token.substr(1, 1);
      if (token.size() > 2) {
        attached = token.substr(2);
        has_attached = true;
      }
    } else {
      opts.filenames.push_back(token);
      continue;
    }

    RawOption* target = nullptr;
    if (name == "h" || name == "help") {
      help = true;
      continue;
    } else if (name == "s" || name == "sig_figs") {
      target = &sig_figs;
    } else if (name == "a" || name == "autocorr") {
      target = &autocorr;
    } else if (name == "c" || name == "csv_filename") {
      target = &csv_file;
    } else if (name == "p" || name == "percentiles") {
      target = &percentiles;
    } else if (name == "model_param") {
      if (has_attached)
        model_param.values.push_back(attached);
      bool took_one = has_attached;
      while (i + 1 < args.size() && !looks_like_option(args[i + 1])) {
        model_param.values.push_back(args[++i]);
        took_one = true;
      }
      if (!took_one)
        throw CliError{"--model_param: 1 required TEXT missing",
                       kCliArgumentMismatch};
      continue;
    } else {
      extras.push_back(token);
      continue;
    }
    // single-valued options
    if (has_attached) {
      target->values.push_back(attached);
    } else if (i + 1 < args.size()) {
      target->values.push_back(args[++i]);
    } else {
      throw CliError{target->long_name + ": 1 required TEXT missing",
                     kCliArgumentMismatch};
    }
  }

  // Validation, in the order the options were declared.
  auto single_value = [](const RawOption& raw) -> const std::string& {
    if (raw.values.size() > 1)
      throw CliError{raw.long_name + ": At Most 1 required but received "
                         + std::to_string(raw.values.size()),
                     kCliArgumentMismatch};
    return raw.values.front();
  };
  if (!sig_figs.values.empty()) {
    const std::string& text = single_value(sig_figs);
    int value = 0;
    if (!to_int(text, value) || value < 1 || value > 18)
      throw CliError{"--sig_figs: Value " + text + " not in range 1 to 18",
                     kCliValidationError};
    opts.sig_figs = value;
    opts.sig_figs_given = true;
  }
  if (!autocorr.values.empty()) {
    const std::string& text = single_value(autocorr);
    double number = 0;
    if (!to_double(text, number))
      throw CliError{"--autocorr: Failed parsing number: (" + text + ")",
                     kCliValidationError};
    if (number <= 0)
      throw CliError{"--autocorr: Number less or equal to 0: (" + text + ")",
                     kCliValidationError};
    int value = 0;
    if (!to_int(text, value))
      throw CliError{"Could not convert: --autocorr = " + text,
                     kCliConversionError};
    opts.autocorr_idx = value;
    opts.autocorr_given = true;
  }
  if (!csv_file.values.empty()) {
    const std::string& text = single_value(csv_file);
    if (path_kind(text) != PathKind::kMissing)
      throw CliError{"--csv_filename: Path already exists: " + text,
                     kCliValidationError};
    opts.csv_filename = text;
    opts.csv_given = true;
  }
  if (!percentiles.values.empty())
    opts.percentiles_spec = single_value(percentiles);
  for (const auto& value : model_param.values)
    opts.requested_params.push_back(bracket_param_name(value));
  for (const auto& file : opts.filenames) {
    PathKind kind = path_kind(file);
    if (kind == PathKind::kMissing)
      throw CliError{"input_files: File does not exist: " + file,
                     kCliValidationError};
    if (kind == PathKind::kDirectory)
      throw CliError{"input_files: File is actually a directory: " + file,
                     kCliValidationError};
  }
  if (help) {
    opts.help = true;
    return;
  }
  if (opts.filenames.empty())
    throw CliError{"input_files is required", kCliRequiredError};
  if (!extras.empty()) {
    std::string message = extras.size() > 1
                              ? "The following arguments were not expected: "
                              : "The following argument was not expected: ";
    // CLI11 lists the leftovers in reverse order
    for (auto it = extras.rbegin(); it != extras.rend(); ++it)
      message += (it == extras.rbegin() ? "" : " ") + *it;
    throw CliError{message, kCliExtrasError};
  }
}

// "5,50,95" -> {0.05, 0.5, 0.95}.  Integers in [1, 99], non-decreasing; like
// CmdStan, std::stoi accepts a numeric prefix ("5.5" counts as 5).
Eigen::VectorXd percentiles_to_probs(const std::vector<std::string>& pcts) {
  Eigen::VectorXd probs(pcts.size());
  int previous = 0;
  for (std::size_t i = 0; i < pcts.size(); ++i) {
    int pct = 0;
    try {
      pct = std::stoi(pcts[i]);
      if (pct < 1 || pct > 99 || pct < previous)
        throw std::exception();
      previous = pct;
    } catch (const std::exception&) {
      throw std::invalid_argument(
          "values must be in range (1,99), inclusive, and strictly "
          "increasing.");
    }
    probs[i] = pct * 1.0 / 100.0;
  }
  return probs;
}

// ---------------------------------------------------------------------------
// Number layout: CmdStan's rules for widths, decimals and fixed/scientific
// ---------------------------------------------------------------------------

// Width of `value` printed with `sig_figs` significant digits in fixed
// notation, and the number of decimals that takes.
void fixed_width_and_precision(double value, int sig_figs, int& width,
                               int& precision) {
  double magnitude = std::fabs(value);
  if (value == 0) {
    width = sig_figs;
    precision = sig_figs;
  } else if (std::isnan(value)) {
    width = 3;
    precision = sig_figs;
  } else if (magnitude >= 1) {
    int int_digits = static_cast<int>(std::ceil(log10(magnitude) + 1e-6));
    width = int_digits >= sig_figs ? int_digits : sig_figs + 1;
    precision = int_digits >= sig_figs ? 0 : sig_figs - int_digits;
  } else {
    int leading_zeros
        = static_cast<int>(std::fabs(std::floor(log10(magnitude))));
    width = 1 + leading_zeros + sig_figs;
    precision = leading_zeros + sig_figs - 1;
  }
  if (std::signbit(value))
    ++width;
}

int fixed_width(double value, int sig_figs) {
  int width, precision;
  fixed_width_and_precision(value, sig_figs, width, precision);
  return width;
}

// Decimals to print: sig_figs - 1 in scientific notation, else as above.
int display_precision(double value, int sig_figs, bool scientific) {
  if (scientific)
    return sig_figs - 1;
  int width, precision;
  fixed_width_and_precision(value, sig_figs, width, precision);
  return precision;
}

// A column is printed fixed when every value fits in fewer than 8 characters
// (incl. 2 of padding), otherwise in scientific notation.
struct ColumnLayout {
  Eigen::VectorXi widths;
  FormatVector formats;
};

ColumnLayout layout_columns(const Eigen::MatrixXd& values,
                            const std::vector<std::string>& headers,
                            int sig_figs) {
  const std::size_t padding = 2;
  const std::size_t fixed_threshold = 8;
  ColumnLayout layout;
  layout.widths.resize(values.cols());
  layout.formats.resize(values.cols());
  for (int j = 0; j < values.cols(); ++j) {
    const std::string& name = headers[j];
    std::size_t widest = 0;
    for (int i = 0; i < values.rows(); ++i)
      widest = std::max(widest,
                        static_cast<std::size_t>(fixed_width(values(i, j),
                                                             sig_figs)));
    if (widest + padding < fixed_threshold) {
      layout.formats(j) = std::ios_base::fixed;
      layout.widths(j) = std::max(name.length(), widest) + padding;
      continue;
    }
    std::size_t sci_width = sig_figs + 1 + 4;  // point + exponent
    if (values.col(j).minCoeff() < 0)
      ++sci_width;
    layout.formats(j) = std::ios_base::scientific;
    layout.widths(j) = std::max(name.length(), sci_width) + padding;
  }
  return layout;
}

// ---------------------------------------------------------------------------
// Reading the draws
// ---------------------------------------------------------------------------

struct Draws {
  stan::mcmc::chains<> chains{std::vector<std::string>()};
  stan::io::stan_csv_metadata metadata;  // of the first file
  Eigen::VectorXd warmup_times;
  Eigen::VectorXd sampling_times;
  Eigen::VectorXi thin;
};

// Reads every file into one chains object (one chain per file).  Reader
// messages go to `messages` (stdout in CmdStan).  A file without draws is an
// error, as are mismatching headers (thrown by chains::add).
Draws read_draws(const std::vector<std::string>& filenames,
                 std::ostream* messages) {
  Draws draws;
  const int n = filenames.size();
  draws.warmup_times.resize(n);
  draws.sampling_times.resize(n);
  draws.thin.resize(n);
  for (int chain = 0; chain < n; ++chain) {
    std::ifstream in(filenames[chain].c_str());
    stan::io::stan_csv csv = stan::io::stan_csv_reader::parse(in, messages);
    if (csv.samples.rows() < 1)
      throw std::invalid_argument("No sampling draws found in Stan CSV file: "
                                  + filenames[chain] + ".");
    if (chain == 0) {
      draws.chains = stan::mcmc::chains<>(csv);
      draws.metadata = csv.metadata;
    } else {
      draws.chains.add(csv);
    }
    draws.thin(chain) = csv.metadata.thin;
    draws.warmup_times(chain) = csv.timing.warmup;
    draws.sampling_times(chain) = csv.timing.sampling;
  }
  return draws;
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

// Column labels: Mean, MCSE, StdDev, <p>%..., N_Eff, N_Eff/s, R_hat.
std::vector<std::string> stat_headers(const std::vector<std::string>& pcts) {
  std::vector<std::string> header{"Mean", "MCSE", "StdDev"};
  for (const auto& pct : pcts)
    header.push_back(pct + '%');
  header.insert(header.end(), {"N_Eff", "N_Eff/s", "R_hat"});
  return header;
}

// One row of statistics per chains column in `cols`.
Eigen::MatrixXd compute_stats(const Draws& draws, const Eigen::VectorXd& probs,
                              const std::vector<int>& cols) {
  const stan::mcmc::chains<>& chains = draws.chains;
  const int n_q = probs.size();
  Eigen::MatrixXd stats = Eigen::MatrixXd::Zero(cols.size(), n_q + 6);
  const double total_sampling_time = draws.sampling_times.sum();
  for (std::size_t row = 0; row < cols.size(); ++row) {
    const int col = cols[row];
    const double sd = chains.sd(col);
    const double n_eff = chains.effective_sample_size(col);
    stats(row, 0) = chains.mean(col);
    stats(row, 1) = sd / std::sqrt(n_eff);
    stats(row, 2) = sd;
    Eigen::VectorXd q = chains.quantiles(col, probs);
    for (int j = 0; j < n_q; ++j)
      stats(row, 3 + j) = q(j);
    stats(row, n_q + 3) = n_eff;
    stats(row, n_q + 4) = n_eff / total_sampling_time;
    stats(row, n_q + 5) = chains.split_potential_scale_reduction(col);
  }
  return stats;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

void write_header_row(std::ostream& out, const std::vector<std::string>& header,
                      const Eigen::VectorXi& widths, int max_name_length,
                      bool as_csv) {
  if (as_csv) {
    out << "name";
    for (const auto& label : header)
      out << "," << label;
  } else {
    out << std::setw(max_name_length + 1) << "";
    for (std::size_t j = 0; j < header.size(); ++j)
      out << std::setw(widths(j)) << header[j];
  }
  out << std::endl;
}

// One table row.  Text: name left-aligned, then each value in its column's
// notation and width.  CSV: the quoted name and the values in the stream's
// current format -- except container elements of the full model listing,
// which CmdStan writes in fixed notation with sig_figs-based decimals (and
// that setting sticks to the stream for the rows that follow).
void write_stat_row(std::ostream& out, const std::string& name,
                    const Eigen::MatrixXd& stats, int row,
                    const ColumnLayout& layout, int max_name_length,
                    int sig_figs, bool as_csv, bool csv_fixed_precision) {
  if (as_csv) {
    out << "\"" << name << "\"";
    for (int j = 0; j < stats.cols(); ++j) {
      if (csv_fixed_precision)
        out << "," << std::fixed
            << std::setprecision(display_precision(stats(row, j), sig_figs,
                                                   false))
            << stats(row, j);
      else
        out << "," << stats(row, j);
    }
  } else {
    out << std::setw(max_name_length + 1) << std::left << name;
    out << std::right;
    for (int j = 0; j < stats.cols(); ++j) {
      out.setf(layout.formats(j), std::ios::floatfield);
      out << std::setprecision(display_precision(
                 stats(row, j), sig_figs,
                 layout.formats(j) == std::ios_base::scientific))
          << std::setw(layout.widths(j)) << stats(row, j);
    }
  }
  out << std::endl;
}

// Rows for an explicit list of columns, in that order.
void write_rows(std::ostream& out, const stan::mcmc::chains<>& chains,
                const Eigen::MatrixXd& stats, const std::vector<int>& cols,
                const ColumnLayout& layout, int max_name_length, int sig_figs,
                bool as_csv) {
  for (std::size_t row = 0; row < cols.size(); ++row)
    write_stat_row(out, chains.param_name(cols[row]), stats, row, layout,
                   max_name_length, sig_figs, as_csv, false);
}

std::string base_name(const std::string& name) {
  return name.substr(0, name.find('['));
}

// Extents of the container whose first element is column `first`, read from
// the indices of its last element (e.g. "Sigma[2,3]" -> {2, 3}).
std::vector<int> container_extents(const stan::mcmc::chains<>& chains,
                                   int first) {
  const std::string base = base_name(chains.param_name(first));
  int last = first;
  while (last + 1 < chains.num_params()
         && base_name(chains.param_name(last + 1)) == base)
    ++last;
  const std::string& name = chains.param_name(last);
  std::stringstream indices(name.substr(name.find('[')));
  std::vector<int> extents;
  int extent;
  indices.get();  // '['
  indices >> extent;
  extents.push_back(extent);
  while (indices.get() == ',') {
    indices >> extent;
    extents.push_back(extent);
  }
  return extents;
}

// Offset of a (1-based) index tuple in Stan's column-major CSV layout.
int column_major_offset(const std::vector<int>& index,
                        const std::vector<int>& extents) {
  int offset = 0;
  int stride = 1;
  for (std::size_t d = 0; d < extents.size(); ++d) {
    if (index[d] <= 0 || index[d] > extents[d])
      throw std::domain_error("index out of bounds in container "
                              "reordering");
    offset += (index[d] - 1) * stride;
    stride *= extents[d];
  }
  return offset;
}

// Advance a 1-based index tuple in row-major (last index fastest) order.
void next_row_major_index(std::vector<int>& index,
                          const std::vector<int>& extents) {
  if (index.empty())
    return;
  ++index.back();
  for (std::size_t d = index.size() - 1; d > 0; --d) {
    if (index[d] > extents[d]) {
      ++index[d - 1];
      index[d] = 1;
    }
  }
}

// All model quantities, starting at chains column `first_col` (stats row 0).
// Scalars in CSV order; each container's elements are listed in row-major
// order although the CSV stores them column-major.
void write_model_rows(std::ostream& out, const stan::mcmc::chains<>& chains,
                      const Eigen::MatrixXd& stats, int first_col,
                      const ColumnLayout& layout, int max_name_length,
                      int sig_figs, bool as_csv) {
  for (int row = 0, col = first_col; row < stats.rows(); ++row, ++col) {
    const std::string& name = chains.param_name(col);
    if (name.find('[') == std::string::npos) {
      write_stat_row(out, name, stats, row, layout, max_name_length, sig_figs,
                     as_csv, false);
      continue;
    }
    std::vector<int> extents = container_extents(chains, col);
    std::vector<int> index(extents.size(), 1);
    int size = 1;
    for (int extent : extents)
      size *= extent;
    for (int k = 0; k < size; ++k) {
      int offset = column_major_offset(index, extents);
      write_stat_row(out, chains.param_name(col + offset), stats, row + offset,
                     layout, max_name_length, sig_figs, as_csv, true);
      if (k < size - 1)
        next_row_major_index(index, extents);
    }
    row += size - 1;
    col += size - 1;
  }
}

// "(a, b, c) seconds, T unit total" (several chains) or "T unit" (one chain);
// the total is converted to minutes/hours when large, the per-chain times not.
void write_time_line(std::ostream& out, const std::string& prefix,
                     const std::string& what, const Eigen::VectorXd& times) {
  const int sig_figs = 2;
  double total = times.sum();
  std::string unit = "seconds";
  if (total / 3600 > 1) {
    total /= 3600;
    unit = "hours";
  } else if (total / 60 > 1) {
    total /= 60;
    unit = "minutes";
  }
  if (times.size() == 1) {
    out << prefix << what << " took " << std::fixed
        << std::setprecision(display_precision(total, sig_figs, false))
        << total << " " << unit << std::endl;
    return;
  }
  out << prefix << what << " took (" << std::fixed
      << std::setprecision(display_precision(times(0), sig_figs, false))
      << times(0);
  for (int chain = 1; chain < times.size(); ++chain)
    out << ", " << std::fixed
        << std::setprecision(display_precision(times(chain), sig_figs, false))
        << times(chain);
  out << ") seconds, ";
  out << std::fixed
      << std::setprecision(display_precision(total, sig_figs, false)) << total
      << " " << unit << " total" << std::endl;
}

// Summary header: model, draws per chain, warmup kept, thinning, timing.
void write_run_info(std::ostream& out, const Draws& draws,
                    const std::string& prefix) {
  const stan::mcmc::chains<>& chains = draws.chains;
  const int n = chains.num_chains();
  out << prefix << "Inference for Stan model: " << draws.metadata.model
      << std::endl
      << prefix << n << " chains: each with iter=("
      << chains.num_kept_samples(0);
  for (int chain = 1; chain < n; ++chain)
    out << "," << chains.num_kept_samples(chain);
  out << ")";
  out << "; warmup=(" << chains.warmup(0);
  for (int chain = 1; chain < n; ++chain)
    out << "," << chains.warmup(chain);
  out << ")";
  out << "; thin=(" << draws.thin(0);
  for (int chain = 1; chain < n; ++chain)
    out << "," << draws.thin(chain);
  out << ")";
  out << "; " << chains.num_samples() << " iterations saved." << std::endl
      << prefix << std::endl;
  write_time_line(out, prefix, "Warmup", draws.warmup_times);
  write_time_line(out, prefix, "Sampling", draws.sampling_times);
}

void write_footer(std::ostream& out, const stan::io::stan_csv_metadata& meta,
                  const std::string& prefix) {
  out << prefix << "Samples were drawn using " << meta.algorithm << " with "
      << meta.engine << "." << std::endl;
  out << prefix
      << "For each parameter, N_Eff is a crude measure of effective sample "
         "size,"
      << std::endl;
  out << prefix
      << "and R_hat is the potential scale reduction factor on split chains "
         "(at "
      << std::endl;
  out << prefix << "convergence, R_hat=1)." << std::endl;
}

// --autocorr=n: autocorrelations of every column for chain n (1-based), one
// row per lag, printed with whatever number format the table left behind.
void write_autocorrelations(std::ostream& out,
                            const stan::mcmc::chains<>& chains, int chain_id,
                            int max_name_length) {
  const int chain = chain_id - 1;
  std::vector<Eigen::VectorXd> acf(chains.num_params());
  for (int i = 0; i < chains.num_params(); ++i)
    acf[i] = chains.autocorrelation(chain, i);
  out << "Displaying the autocorrelations for chain " << chain_id << ":"
      << std::endl
      << std::endl;
  const int n_lags = acf.empty() ? 0 : acf[0].size();
  int lag_width = 1;
  for (int number = n_lags; number != 0; number /= 10)
    ++lag_width;
  out << std::setw(lag_width > 4 ? lag_width : 4) << "Lag";
  for (int i = 0; i < chains.num_params(); ++i)
    out << std::setw(max_name_length + 1) << std::right
        << chains.param_name(i);
  out << std::endl;
  for (int lag = 0; lag < n_lags; ++lag) {
    out << std::setw(lag_width) << std::right << lag;
    for (int i = 0; i < chains.num_params(); ++i)
      out << std::setw(max_name_length + 1) << std::right
          << (lag < acf[i].size() ? acf[i](lag) : 0.0);
    out << std::endl;
  }
}

}  // namespace

int main(int argc, const char* argv[]) {
  // -- No arguments: short usage, failure status.
  if (argc < 2) {
    std::cout << kUsage << std::endl;
    return kNotOk;
  }

  // -- Options and file names.
  Options opts;
  try {
    parse_command_line(argc, argv, opts);
  } catch (const CliError& e) {
    std::cerr << e.message << "\n"
              << "Run with --help for more information." << std::endl;
    return e.exit_code;
  }
  if (opts.help) {
    std::cout << help_text(argv[0]);
    return kOk;
  }

  // -- Semantic checks, reported on stdout with status 1 like CmdStan.
  if (opts.autocorr_given
      && opts.autocorr_idx > static_cast<int>(opts.filenames.size())) {
    std::cout << "Option --autocorr: " << opts.autocorr_idx
              << " not a valid chain id." << std::endl;
    return kNotOk;
  }
  std::vector<std::string> percentiles;
  boost::algorithm::trim(opts.percentiles_spec);
  boost::algorithm::split(percentiles, opts.percentiles_spec,
                          boost::is_any_of(", "), boost::token_compress_on);
  Eigen::VectorXd probs;
  try {
    probs = percentiles_to_probs(percentiles);
  } catch (const std::invalid_argument& e) {
    std::cout << "Option --percentiles " << opts.percentiles_spec << ": "
              << e.what() << std::endl;
    return kNotOk;
  }
  if (opts.csv_given) {
    // create (truncate) the output now, so an unwritable path fails early
    if (FILE* file = std::fopen(opts.csv_filename.c_str(), "w")) {
      std::fclose(file);
    } else {
      std::cout << "Cannot save to csv_filename: " << opts.csv_filename << "."
                << std::endl;
      return kNotOk;
    }
  }
  for (const auto& file : opts.filenames) {
    std::ifstream probe(file.c_str());
    if (!probe.good()) {
      std::cout << "Cannot read input csv file: " << file << "." << std::endl;
      return kNotOk;
    }
  }

  try {
    // -- Read all files into one chains object.
    Draws draws = read_draws(opts.filenames, &std::cout);
    const stan::mcmc::chains<>& chains = draws.chains;

    // -- Column roles: column 0 is lp__, then the sampler's "__" columns,
    //    then the model's quantities.
    std::size_t max_name_length = 0;
    int num_sampler_params = -1;  // lp__ also ends in "__"
    for (int i = 0; i < chains.num_params(); ++i) {
      max_name_length
          = std::max(max_name_length, chains.param_name(i).length());
      if (stan::io::ends_with("__", chains.param_name(i)))
        ++num_sampler_params;
    }
    std::vector<int> sampler_cols(std::max(num_sampler_params, 0));
    std::iota(sampler_cols.begin(), sampler_cols.end(), 1);
    const int model_offset = num_sampler_params + 1;

    std::vector<int> model_cols;
    const bool model_subset = !opts.requested_params.empty();
    if (model_subset) {
      std::set<std::string> wanted(opts.requested_params.begin(),
                                   opts.requested_params.end());
      for (int i = model_offset; i < chains.num_params(); ++i)
        if (wanted.erase(chains.param_name(i)) > 0)
          model_cols.push_back(i);
      if (!wanted.empty()) {
        std::cout << "--model_param: Unrecognized parameter(s): ";
        for (const auto& name : wanted)
          std::cout << "'" << name << "' ";
        std::cout << std::endl;
        return kNotOk;
      }
    } else {
      for (int i = model_offset; i < chains.num_params(); ++i)
        model_cols.push_back(i);
    }

    // -- Statistics for the three blocks of rows.
    const std::vector<std::string> header = stat_headers(percentiles);
    const std::vector<int> lp_cols{0};
    Eigen::MatrixXd lp_stats = compute_stats(draws, probs, lp_cols);
    Eigen::MatrixXd sampler_stats = compute_stats(draws, probs, sampler_cols);
    Eigen::MatrixXd model_stats = compute_stats(draws, probs, model_cols);

    // -- Console layout: each block decides fixed/scientific per column;
    //    widths are the larger of the sampler and model needs (lp__ is
    //    printed with the model block's notation but is not measured).
    const int sig_figs = opts.sig_figs;
    ColumnLayout sampler_layout
        = layout_columns(sampler_stats, header, sig_figs);
    ColumnLayout model_layout = layout_columns(model_stats, header, sig_figs);
    ColumnLayout lp_layout = model_layout;
    for (std::size_t j = 0; j < header.size(); ++j) {
      int width = std::max(sampler_layout.widths(j), model_layout.widths(j));
      sampler_layout.widths(j) = width;
      model_layout.widths(j) = width;
      lp_layout.widths(j) = width;
    }

    // -- Console output.
    std::ostream& out = std::cout;
    write_run_info(out, draws, "");
    out << std::endl;
    write_header_row(out, header, model_layout.widths, max_name_length, false);
    out << std::endl;
    write_rows(out, chains, lp_stats, lp_cols, lp_layout, max_name_length,
               sig_figs, false);
    write_rows(out, chains, sampler_stats, sampler_cols, sampler_layout,
               max_name_length, sig_figs, false);
    out << std::endl;
    if (model_subset)
      write_rows(out, chains, model_stats, model_cols, model_layout,
                 max_name_length, sig_figs, false);
    else
      write_model_rows(out, chains, model_stats, model_offset, model_layout,
                       max_name_length, sig_figs, false);
    out << std::endl;
    write_footer(out, draws.metadata, "");

    if (opts.autocorr_given) {
      write_autocorrelations(out, chains, opts.autocorr_idx, max_name_length);
      out << std::endl;
    }

    // -- Optional CSV: 6 significant digits unless --sig_figs was given.
    if (opts.csv_given) {
      std::ofstream csv(opts.csv_filename.c_str(), std::ios_base::app);
      csv << std::setprecision(opts.sig_figs_given ? sig_figs : 6);
      write_header_row(csv, header, model_layout.widths, max_name_length,
                       true);
      write_rows(csv, chains, lp_stats, lp_cols, lp_layout, max_name_length,
                 sig_figs, true);
      write_rows(csv, chains, sampler_stats, sampler_cols, sampler_layout,
                 max_name_length, sig_figs, true);
      if (model_subset)
        write_rows(csv, chains, model_stats, model_cols, model_layout,
                   max_name_length, sig_figs, true);
      else
        write_model_rows(csv, chains, model_stats, model_offset, model_layout,
                         max_name_length, sig_figs, true);
      write_run_info(csv, draws, "# ");
      write_footer(csv, draws.metadata, "# ");
      csv.close();
      if (!csv) {
        std::cout << "Cannot save to csv_filename: " << opts.csv_filename
                  << "." << std::endl;
        return kNotOk;
      }
    }
  } catch (const std::exception& e) {
    std::cout << "Error during processing. " << e.what() << std::endl;
    return kNotOk;
  }
  return kOk;
}
