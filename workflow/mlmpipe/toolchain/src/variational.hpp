// method=variational: mean-field or full-rank ADVI through Stan's
// experimental services, as CmdStan 2.35 runs them.
//
// The CSV (written by Stan's ADVI) has the columns lp__, log_p__, log_g__ and
// the model's quantities; with eta adaptation, the comments "Stepsize
// adaptation complete." and "eta = ..." follow the column names; the first
// row is the mean of the approximation (lp__, log_p__ and log_g__ all 0),
// then come `output_samples` draws (lp__ is always 0).  With
// output diagnostic_file=..., the ELBO trace (iter,time_in_seconds,ELBO)
// goes there.
#ifndef MLMPIPE_VARIATIONAL_HPP
#define MLMPIPE_VARIATIONAL_HPP

#include "run_context.hpp"

#include <stan/services/experimental/advi/fullrank.hpp>
#include <stan/services/experimental/advi/meanfield.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace mlmpipe {

inline int run_variational(run_context& rc) {
  const arg& root = rc.root;
  auto at = [](std::initializer_list<std::string> rest) {
    std::vector<std::string> p{"method", "variational"};
    p.insert(p.end(), rest);
    return p;
  };
  std::string algorithm = get_string(root, at({"algorithm"}));
  int iter = static_cast<int>(get_int(root, at({"iter"})));
  int grad_samples = static_cast<int>(get_int(root, at({"grad_samples"})));
  int elbo_samples = static_cast<int>(get_int(root, at({"elbo_samples"})));
  double eta = get_real(root, at({"eta"}));
  bool adapt_engaged = get_bool(root, at({"adapt", "engaged"}));
  int adapt_iter = static_cast<int>(get_int(root, at({"adapt", "iter"})));
  double tol_rel_obj = get_real(root, at({"tol_rel_obj"}));
  int eval_elbo = static_cast<int>(get_int(root, at({"eval_elbo"})));
  int output_samples = static_cast<int>(get_int(root, at({"output_samples"})));

  // Stan's ADVI indexes the first parameter unconditionally; a model without
  // parameters is refused here instead of reaching that.
  if (rc.model.num_params_r() == 0)
    throw std::invalid_argument("Model " + rc.model.model_name()
                                + " has no parameters, nothing to estimate.");

  init_spec init = parse_init(get_string(root, {"init"}));
  context_ptr init_context = read_var_context(init.file);
  auto out = open_chain_csvs(rc, get_string(root, {"output", "file"}), 1);
  std::vector<csv_writer> diagnostics;
  std::string diagnostic_file = get_string(root, {"output", "diagnostic_file"});
  if (diagnostic_file.empty())
    diagnostics.emplace_back(nullptr, "# ");
  else
    diagnostics = open_chain_csvs(rc, diagnostic_file, 1);
  stan::callbacks::writer init_writer;

  namespace advi = stan::services::experimental::advi;
  if (algorithm == "fullrank")
    return advi::fullrank(rc.model, *init_context, rc.seed, rc.id, init.radius, grad_samples,
                          elbo_samples, iter, tol_rel_obj, eta, adapt_engaged, adapt_iter,
                          eval_elbo, output_samples, rc.interrupt, rc.logger, init_writer,
                          out[0], diagnostics[0]);
  return advi::meanfield(rc.model, *init_context, rc.seed, rc.id, init.radius, grad_samples,
                         elbo_samples, iter, tol_rel_obj, eta, adapt_engaged, adapt_iter,
                         eval_elbo, output_samples, rc.interrupt, rc.logger, init_writer,
                         out[0], diagnostics[0]);
}

}  // namespace mlmpipe
#endif
