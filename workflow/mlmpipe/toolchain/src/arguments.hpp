// Command-line grammar of the model executables, compatible with CmdStan 2.35.
//
// Arguments form a tree.  A *category* groups sub-arguments (`data file=...`),
// a *list* selects one of several named sub-trees (`method=sample`), and a
// *value* holds a typed scalar (`num_samples=1000`).  Tokens are matched in the
// innermost open context first; a token that does not fit there closes the
// context and is retried one level up, so `adapt delta=0.9 num_chains=4`
// puts `num_chains` back under `sample`.  The tree prints itself in the
// `key = value (Default)` layout that CmdStan writes at the top of its CSV files.
#ifndef MLMPIPE_ARGUMENTS_HPP
#define MLMPIPE_ARGUMENTS_HPP

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlmpipe {

/** Thrown when the command line cannot be parsed; what() is the message for the user. */
struct usage_error : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

enum class kind { category, list, integer, uinteger, real, boolean, string };

/* ---------------------------------------------------------------------------
 * One node of the argument tree.
 * ------------------------------------------------------------------------- */
struct arg {
  std::string name;
  std::string description;
  kind type;
  std::string value;          // canonical text of the current value
  std::string default_value;  // canonical text of the default
  std::string valid_text;     // human description of the valid values
  std::function<bool(double)> check;  // range check for numeric values
  std::vector<std::unique_ptr<arg>> children;  // sub-arguments or list choices
  bool set_by_user = false;
  bool wide = false;  // integer that may reach the unsigned 32-bit range (seeds)

  arg(std::string n, std::string d, kind t, std::string def = "")
      : name(std::move(n)), description(std::move(d)), type(t),
        value(def), default_value(def) {}

  bool is_value() const { return type != kind::category && type != kind::list; }
  bool is_default() const { return value == default_value; }

  /** The child called `n`, or nullptr. */
  arg* child(const std::string& n) const {
    for (auto& c : children)
      if (c->name == n)
        return c.get();
    return nullptr;
  }

  /** Adds a child and returns it (for chained building). */
  arg* add(std::unique_ptr<arg> c) {
    children.push_back(std::move(c));
    return children.back().get();
  }

  /** For a list: the sub-tree of the selected choice. */
  arg* selected() const { return child(value); }
};

/* ---------------------------------------------------------------------------
 * Value canonicalisation: parse user text, check it, and render it the way
 * CmdStan prints it (reals through an ostream, booleans as true/false).
 * ------------------------------------------------------------------------- */
inline std::string render_real(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

/** Parses `text` for argument `a`; returns the canonical text or throws usage_error. */
inline std::string canonical_value(const arg& a, const std::string& text) {
  auto bad = [&]() {
    std::ostringstream msg;
    msg << text << " is not a valid value for \"" << a.name << "\"\n"
        << "  Valid values:" << a.valid_text;
    return usage_error(msg.str());
  };
  switch (a.type) {
    case kind::string:
      return text;
    case kind::boolean:
      if (text == "1" || text == "true")
        return "true";
      if (text == "0" || text == "false")
        return "false";
      throw bad();
    case kind::integer:
    case kind::uinteger: {
      if (text.empty())
        throw bad();
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (*end != '\0' || errno == ERANGE)
        throw bad();
      if (a.type == kind::uinteger
          && (v < 0 || v > static_cast<long long>(
                               std::numeric_limits<unsigned int>::max())))
        throw bad();
      if (a.type == kind::integer && !a.wide
          && (v < std::numeric_limits<int>::min()
              || v > std::numeric_limits<int>::max()))
        throw bad();
      if (a.wide && v > static_cast<long long>(
                            std::numeric_limits<unsigned int>::max()))
        throw bad();
      if (a.check && !a.check(static_cast<double>(v)))
        throw bad();
      return std::to_string(v);
    }
    case kind::real: {
      if (text.empty())
        throw bad();
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (*end != '\0' || std::isnan(v))
        throw bad();
      if (a.check && !a.check(v))
        throw bad();
      return render_real(v);
    }
    default:
      throw bad();
  }
}

/* ---------------------------------------------------------------------------
 * Builders for the kinds of argument CmdStan has.
 * ------------------------------------------------------------------------- */
inline std::unique_ptr<arg> category(std::string n, std::string d) {
  return std::make_unique<arg>(std::move(n), std::move(d), kind::category);
}
inline std::unique_ptr<arg> list(std::string n, std::string d, std::string def) {
  return std::make_unique<arg>(std::move(n), std::move(d), kind::list, std::move(def));
}
inline std::unique_ptr<arg> string_value(std::string n, std::string d, std::string def) {
  auto a = std::make_unique<arg>(std::move(n), std::move(d), kind::string, std::move(def));
  a->valid_text = " Path to existing file";
  return a;
}
inline std::unique_ptr<arg> bool_value(std::string n, std::string d, bool def) {
  auto a = std::make_unique<arg>(std::move(n), std::move(d), kind::boolean,
                                 def ? "true" : "false");
  a->valid_text = " [0, 1, false, true]";
  return a;
}
inline std::unique_ptr<arg> int_value(std::string n, std::string d, long long def,
                                      std::function<bool(double)> check,
                                      std::string valid, bool is_unsigned = false) {
  auto a = std::make_unique<arg>(std::move(n), std::move(d),
                                 is_unsigned ? kind::uinteger : kind::integer,
                                 std::to_string(def));
  a->check = std::move(check);
  a->valid_text = " " + valid;
  return a;
}
inline std::unique_ptr<arg> real_value(std::string n, std::string d, double def,
                                       std::function<bool(double)> check,
                                       std::string valid) {
  auto a = std::make_unique<arg>(std::move(n), std::move(d), kind::real,
                                 render_real(def));
  a->check = std::move(check);
  a->valid_text = " " + valid;
  return a;
}

inline bool positive(double x) { return x > 0; }
inline bool non_negative(double x) { return x >= 0; }
inline bool open_unit(double x) { return x > 0 && x < 1; }

/* ---------------------------------------------------------------------------
 * The CmdStan 2.35 tree (the parts this driver implements, plus the names it
 * recognises so that an unsupported choice, `diagnose`, is reported by name).
 * ------------------------------------------------------------------------- */
inline std::unique_ptr<arg> optimizer_settings(const std::string& name, bool history) {
  auto c = category(name, name == "bfgs" ? "BFGS with linesearch" : "LBFGS with linesearch");
  c->add(real_value("init_alpha", "Line search step size for first iteration", 0.001,
                    positive, "0 < init_alpha"));
  c->add(real_value("tol_obj", "Convergence tolerance on absolute changes in objective function value",
                    1e-12, non_negative, "0 <= tol_obj"));
  c->add(real_value("tol_rel_obj", "Convergence tolerance on relative changes in objective function value",
                    1e4, non_negative, "0 <= tol_rel_obj"));
  c->add(real_value("tol_grad", "Convergence tolerance on the norm of the gradient", 1e-8,
                    non_negative, "0 <= tol_grad"));
  c->add(real_value("tol_rel_grad", "Convergence tolerance on the relative norm of the gradient",
                    1e7, non_negative, "0 <= tol_rel_grad"));
  c->add(real_value("tol_param", "Convergence tolerance on changes in parameter value", 1e-8,
                    non_negative, "0 <= tol_param"));
  if (history)
    c->add(int_value("history_size", "Amount of history to keep for L-BFGS", 5, positive,
                     "0 < history_size"));
  return c;
}

inline std::unique_ptr<arg> sample_tree() {
  auto sample = category("sample", "Bayesian inference with Markov Chain Monte Carlo");
  sample->add(int_value("num_samples", "Number of sampling iterations", 1000, non_negative,
                        "0 <= num_samples"));
  sample->add(int_value("num_warmup", "Number of warmup iterations", 1000, non_negative,
                        "0 <= warmup"));
  sample->add(bool_value("save_warmup", "Stream warmup samples to output?", false));
  sample->add(int_value("thin", "Period between saved samples", 1, positive, "0 < thin"));

  auto* adapt = sample->add(category("adapt", "Warmup Adaptation"));
  adapt->add(bool_value("engaged", "Adaptation engaged?", true));
  adapt->add(real_value("gamma", "Adaptation regularization scale", 0.05, positive, "0 < gamma"));
  adapt->add(real_value("delta", "Adaptation target acceptance statistic", 0.8, open_unit,
                        "0 < delta < 1"));
  adapt->add(real_value("kappa", "Adaptation relaxation exponent", 0.75, positive, "0 < kappa"));
  adapt->add(real_value("t0", "Adaptation iteration offset", 10, positive, "0 < t0"));
  adapt->add(int_value("init_buffer", "Width of initial fast adaptation interval", 75,
                       non_negative, "0 <= init_buffer", true));
  adapt->add(int_value("term_buffer", "Width of final fast adaptation interval", 50,
                       non_negative, "0 <= term_buffer", true));
  adapt->add(int_value("window", "Initial width of slow adaptation interval", 25,
                       non_negative, "0 <= window", true));
  adapt->add(bool_value("save_metric", "Save metric as JSON?", false));

  auto* algorithm = sample->add(list("algorithm", "Sampling algorithm", "hmc"));
  auto* hmc = algorithm->add(category("hmc", "Hamiltonian Monte Carlo"));
  auto* engine = hmc->add(list("engine", "Engine for Hamiltonian Monte Carlo", "nuts"));
  auto* nuts = engine->add(category("nuts", "The No-U-Turn Sampler"));
  nuts->add(int_value("max_depth", "Maximum tree depth", 10, positive, "0 < max_depth"));
  auto* stat = engine->add(category("static", "Static integration time"));
  stat->add(real_value("int_time", "Total integration time for Hamiltonian evolution",
                       6.28319, positive, "0 < int_time"));
  auto* metric = hmc->add(list("metric", "Geometry of base manifold", "diag_e"));
  metric->add(category("unit_e", "Euclidean manifold with unit metric"));
  metric->add(category("diag_e", "Euclidean manifold with diag metric"));
  metric->add(category("dense_e", "Euclidean manifold with dense metric"));
  hmc->add(string_value("metric_file", "Input file with precomputed Euclidean metric", ""));
  hmc->add(real_value("stepsize", "Step size for discrete evolution", 1, positive,
                      "0 < stepsize"));
  hmc->add(real_value("stepsize_jitter", "Uniformly random jitter of the stepsize, in percent",
                      0, [](double x) { return x >= 0 && x <= 1; }, "0 <= stepsize_jitter <= 1"));
  algorithm->add(category("fixed_param", "Fixed Parameter Sampler"));

  sample->add(int_value("num_chains", "Number of chains", 1, positive, "0 < num_chains"));
  return sample;
}

inline std::unique_ptr<arg> optimize_tree() {
  auto optimize = category("optimize", "Point estimation");
  auto* algorithm = optimize->add(list("algorithm", "Optimization algorithm", "lbfgs"));
  algorithm->add(optimizer_settings("bfgs", false));
  algorithm->add(optimizer_settings("lbfgs", true));
  algorithm->add(category("newton", "Newton's method"));
  optimize->add(bool_value("jacobian", "When true, include change-of-variables adjustment for constraining parameter transforms",
                           false));
  optimize->add(int_value("iter", "Total number of iterations", 2000, positive, "0 < iter"));
  optimize->add(bool_value("save_iterations", "Stream optimization progress to output?", false));
  return optimize;
}

/** method=variational: ADVI (CmdStan's names, defaults and validity texts). */
inline std::unique_ptr<arg> variational_tree() {
  auto v = category("variational", "Variational inference");
  auto* algorithm = v->add(list("algorithm", "Variational inference algorithm", "meanfield"));
  algorithm->add(category("meanfield", "mean-field approximation"));
  algorithm->add(category("fullrank", "full-rank covariance"));
  v->add(int_value("iter", "Maximum number of ADVI iterations.", 10000, positive, "0 < iter"));
  v->add(int_value("grad_samples", "Number of Monte Carlo draws for computing the gradient.",
                   1, positive, "0 < num_samples"));
  v->add(int_value("elbo_samples", "Number of Monte Carlo draws for estimate of ELBO.", 100,
                   positive, "0 < num_samples"));
  v->add(real_value("eta", "Stepsize scaling parameter.", 1.0, positive, "0 < eta"));
  auto* adapt = v->add(category("adapt", "Eta Adaptation for Variational Inference"));
  adapt->add(bool_value("engaged", "Boolean flag for eta adaptation.", true));
  adapt->add(int_value("iter", "Number of iterations for eta adaptation.", 50, positive,
                       "0 < iter"));
  v->add(real_value("tol_rel_obj", "Relative tolerance parameter for convergence.", 0.01,
                    positive, "0 < tol_rel_obj"));
  v->add(int_value("eval_elbo", "Number of iterations between ELBO evaluations", 100, positive,
                   "0 < eval_elbo"));
  v->add(int_value("output_samples", "Number of approximate posterior output draws to save.",
                   1000, positive, "0 < output_samples"));
  return v;
}

/** method=pathfinder: the L-BFGS settings, then Pathfinder's own (CmdStan's order). */
inline std::unique_ptr<arg> pathfinder_tree() {
  auto p = optimizer_settings("lbfgs", true);
  p->name = "pathfinder";
  p->description = "Pathfinder algorithm";
  auto pos = [&p](const char* n, const char* d, long long def) {
    p->add(int_value(n, d, def, positive, std::string("0 < ") + n));
  };
  pos("num_psis_draws", "Number of draws from PSIS sample", 1000);
  pos("num_paths", "Number of single pathfinders", 4);
  p->add(bool_value("save_single_paths", "Output single-path pathfinder draws as CSV", false));
  p->add(bool_value("psis_resample",
                    "If true, perform psis resampling on samples returned from individual "
                    "pathfinders. If false, returns num_paths * num_draws samples",
                    true));
  p->add(bool_value("calculate_lp",
                    "If true, individual pathfinders lp calculations are calculated and "
                    "returned with the output. If false, each pathfinder will only  calculate "
                    "the lp values needed for the elbo calculation. If false, psis resampling "
                    "cannot be performed and the algorithm returns num_paths * num_draws "
                    "samples. The output will still contain any lp values used when "
                    "calculating ELBO scores within LBFGS iterations.",
                    true));
  pos("max_lbfgs_iters", "Maximum number of LBFGS iterations", 1000);
  pos("num_draws", "Number of approximate posterior draws", 1000);
  pos("num_elbo_draws", "Number of Monte Carlo draws to evaluate ELBO", 25);
  return p;
}

/** Builds the whole tree; the top level is an unnamed category. */
inline std::unique_ptr<arg> cmdstan_tree() {
  auto root = category("", "");
  auto* method = root->add(list("method", "Analysis method (Note that method= is optional)", "sample"));
  method->add(sample_tree());
  method->add(optimize_tree());
  method->add(variational_tree());
  method->add(category("diagnose", "Model diagnostics (not available in this build)"));
  auto* gq = method->add(category("generate_quantities", "Generate quantities of interest"));
  gq->add(string_value("fitted_params", "Input file of sample of fitted parameter values for model conditioned on data", ""));
  method->add(pathfinder_tree());
  auto* log_prob = method->add(category("log_prob", "Return the log density up to a constant and its gradients, given supplied parameters"));
  log_prob->add(string_value("unconstrained_params", "Input file (JSON or R dump) of parameter values on unconstrained scale", ""));
  log_prob->add(string_value("constrained_params", "Input file (JSON or R dump) of parameter values on constrained scale", ""));
  log_prob->add(bool_value("jacobian", "Include change-of-variables adjustment for constraining parameter transforms", true));
  auto* laplace = method->add(category("laplace", "Sample from a Laplace approximation"));
  laplace->add(string_value("mode", "A specification of a mode on the constrained scale for all model parameters, as a JSON or CSV file", ""));
  laplace->add(bool_value("jacobian", "When true, include change-of-variables adjustment for constraining parameter transforms", true));
  laplace->add(int_value("draws", "Number of draws from the laplace approximation", 1000,
                         non_negative, "0 <= draws"));

  root->add(int_value("id", "Unique process identifier", 1, non_negative, "id >= 0"));
  auto* data = root->add(category("data", "Input data options"));
  data->add(string_value("file", "Input data file", ""));
  root->add(string_value("init", "Initialization method: \"x\" initialize randomly between [-x, x], \"0\" initialize to 0, anything else identifies a file of values", "2"));
  auto* random = root->add(category("random", "Random number configuration"));
  random->add(int_value("seed", "Random number generator seed", -1,
                        [](double x) { return x >= -1; }, "non-negative integer < 4294967296  or -1 to generate seed"));
  random->child("seed")->wide = true;
  auto* output = root->add(category("output", "File output options"));
  output->add(string_value("file", "Output file", "output.csv"));
  output->add(string_value("diagnostic_file", "Auxiliary output file for diagnostic information", ""));
  output->add(int_value("refresh", "Number of iterations between screen updates", 100,
                        non_negative, "0 <= refresh"));
  output->add(int_value("sig_figs", "The number of significant figures used for the output CSV files.",
                        -1, [](double x) { return x >= -1 && x <= 18; },
                        "0 <= integer <= 18 or -1 to use the default number of significant figures"));
  output->add(string_value("profile_file", "File to store profiling information", "profile.csv"));
  output->add(bool_value("save_cmdstan_config", "Save cmdstan config as JSON?", false));
  root->add(int_value("num_threads", "Number of threads available to the program.", 1,
                      [](double x) { return x > 0 || x == -1; },
                      "num_threads > 0 || num_threads == -1"));
  return root;
}

/* ---------------------------------------------------------------------------
 * Printing: the `key = value (Default)` layout, one line per call of `out`.
 * ------------------------------------------------------------------------- */
inline void print_tree(const arg& a, const std::string& indent,
                       const std::function<void(const std::string&)>& out) {
  if (a.type == kind::category) {
    if (a.children.empty())  // a bare choice such as `diag_e` prints no line
      return;
    out(indent + a.name);
    for (auto& c : a.children)
      print_tree(*c, indent + "  ", out);
  } else if (a.type == kind::list) {
    out(indent + a.name + " = " + a.value + (a.is_default() ? " (Default)" : ""));
    if (arg* s = a.selected())
      print_tree(*s, indent + "  ", out);
  } else {
    out(indent + a.name + " = " + a.value + (a.is_default() ? " (Default)" : ""));
  }
}

/** Prints the top-level arguments (the root itself has no name). */
inline void print_arguments(const arg& root, const std::function<void(const std::string&)>& out) {
  for (auto& c : root.children)
    print_tree(*c, "", out);
}

/** Prints the help text for a node and (if `all`) its whole sub-tree. */
inline void print_help(const arg& a, const std::string& indent, bool all, std::ostream& o) {
  for (auto& c : a.children) {
    if (c->type == kind::category) {
      o << indent << c->name << "\n" << indent << "  " << c->description << "\n";
      if (a.type == kind::list)
        o << indent << "  (" << a.name << "=" << c->name << ")\n";
      o << "\n";
      if (all)
        print_help(*c, indent + "  ", all, o);
    } else if (c->type == kind::list) {
      o << indent << c->name << "=<list element>\n" << indent << "  " << c->description
        << "\n" << indent << "  Valid values:";
      for (auto& v : c->children)
        o << " " << v->name;
      o << "\n" << indent << "  Defaults to " << c->default_value << "\n\n";
      if (all)
        print_help(*c, indent + "  ", all, o);
    } else {
      o << indent << c->name << "=<" << (c->type == kind::string ? "string" : c->type == kind::real ? "double" : c->type == kind::boolean ? "boolean" : "int")
        << ">\n" << indent << "  " << c->description << "\n" << indent << "  Valid values:"
        << c->valid_text << "\n" << indent << "  Defaults to " << c->default_value << "\n\n";
    }
  }
}

/* ---------------------------------------------------------------------------
 * Parsing.
 * ------------------------------------------------------------------------- */
struct parse_result {
  bool help_printed = false;
};

/**
 * Applies the command-line tokens to the tree.
 * @return whether help was printed (then the program should stop with success)
 * @throws usage_error naming the offending token
 */
inline parse_result parse_arguments(arg& root, const std::vector<std::string>& tokens,
                                    std::ostream& help_out) {
  parse_result result;
  std::vector<arg*> stack{&root};
  for (const auto& token : tokens) {
    // help requests print the help of the innermost open context
    if (token == "help" || token == "help-all") {
      help_out << "\n";
      print_help(*stack.back(), "  ", token == "help-all", help_out);
      result.help_printed = true;
      return result;
    }
    auto eq = token.find('=');
    std::string key = eq == std::string::npos ? token : token.substr(0, eq);
    std::string text = eq == std::string::npos ? "" : token.substr(eq + 1);
    bool has_value = eq != std::string::npos;

    bool matched = false;
    while (!matched && !stack.empty()) {
      arg* ctx = stack.back();
      // a list's choices are matched as children of the list's own sub-tree
      for (auto& c : ctx->children) {
        if (c->type == kind::category && !has_value && c->name == key) {
          stack.push_back(c.get());
          matched = true;
        } else if (c->type == kind::list && has_value && c->name == key) {
          arg* choice = c->child(text);
          if (choice == nullptr) {
            std::ostringstream msg;
            msg << text << " is not a valid value for \"" << key << "\"\n  Valid values:";
            for (auto& v : c->children)
              msg << " " << v->name;
            throw usage_error(msg.str());
          }
          c->value = text;
          c->set_by_user = true;
          stack.push_back(choice);
          matched = true;
        } else if (c->type == kind::list && !has_value && c->child(key) != nullptr
                   && ctx == &root) {
          // `model sample ...` is short for `model method=sample ...`
          c->value = key;
          c->set_by_user = true;
          stack.push_back(c->child(key));
          matched = true;
        } else if (c->is_value() && has_value && c->name == key) {
          c->value = canonical_value(*c, text);
          c->set_by_user = true;
          matched = true;
        }
        if (matched)
          break;
      }
      if (!matched)
        stack.pop_back();
    }
    if (!matched)
      throw usage_error(token + " is either mistyped or misplaced.");
  }
  return result;
}

/* ---------------------------------------------------------------------------
 * Typed access by path, e.g. get(root, {"method", "sample", "num_samples"}).
 * A list in the path is followed by the name of its selected choice.
 * ------------------------------------------------------------------------- */
inline arg& find(const arg& root, const std::vector<std::string>& path) {
  const arg* a = &root;
  for (const auto& p : path) {
    arg* next = a->child(p);
    if (next == nullptr)
      throw std::logic_error("internal: no argument " + p);
    a = next;
  }
  return const_cast<arg&>(*a);
}
inline std::string get_string(const arg& root, const std::vector<std::string>& path) {
  return find(root, path).value;
}
inline long long get_int(const arg& root, const std::vector<std::string>& path) {
  return std::stoll(find(root, path).value);
}
inline double get_real(const arg& root, const std::vector<std::string>& path) {
  return std::stod(find(root, path).value);
}
inline bool get_bool(const arg& root, const std::vector<std::string>& path) {
  return find(root, path).value == "true";
}

}  // namespace mlmpipe
#endif
