"""Every argument the pipeline or cmdstanpy can pass to the CmdStan driver, against CmdStan
2.35's documented behaviour, and every error message the driver can print.

The pipeline samples with `chains`, `seed`, `iter_warmup`, `iter_sampling`, `adapt_delta`
and `max_treedepth` (config `sampling` and the models' `iter`/`warmup`); cmdstanpy 1.3 can
also pass `thin`, `save_warmup`, `inits`, the other adaptation settings, the metric and step
size, `refresh`, `sig_figs` and the diagnostic and profile files (cmdstan_args.py,
`SamplerArgs.compose` and `CmdStanArgs.compose_command`). Each test passes one of them
through cmdstanpy to a small model, then checks what CmdStan 2.35 documents: the value in the
CSV header (the layout of shared/reference/cmdstan-2.35-sampler-csv-header.txt) and what the
setting changes in the draws, the console or the files. gamma, kappa, t0 and stepsize_jitter,
which cmdstanpy cannot pass, are given to the executable directly, as CmdStan's own manual
does.

Each error message of the driver (workflow/mlmpipe/toolchain/src: arguments.hpp, main.cpp,
run_context.hpp, io_helpers.hpp, variational.hpp) is quoted here once, with the exit status
CmdStan uses (64, EX_USAGE, for bad arguments; 70, EX_SOFTWARE, for a failed run). Those
covered by test_toolchain.py and test_toolchain_methods.py (method=diagnose,
save_cmdstan_config, num_samplez, metric=diag, Pathfinder without parameters and the
variational and Pathfinder ranges) are not repeated.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import cmdstanpy
import numpy as np
import pandas as pd
import pytest
from stan_programs import compile_program

pytestmark = pytest.mark.slow

# Two profiled blocks (for profile_file) and a generated quantity.
NORMAL = """
data {
  int<lower=0> N;
  vector[N] y;
}
parameters {
  real mu;
  real<lower=0> sigma;
}
model {
  profile("priors") {
    mu ~ normal(0, 10);
    sigma ~ exponential(1);
  }
  profile("likelihood") {
    y ~ normal(mu, sigma);
  }
}
generated quantities {
  real y_rep = normal_rng(mu, sigma);
}
"""
Y = [round(1.5 + 0.8 * math.sin(3.0 * i), 4) for i in range(20)]

# A program without parameters: only generated quantities.
NO_PARAMETERS = """
generated quantities {
  real z = normal_rng(0, 1);
}
"""

USAGE, SOFTWARE = 64, 70  # stan::services::error_codes, as CmdStan exits


def header(csv_file: str | Path) -> dict[str, str]:
    """The `# key = value` arguments of a Stan CSV header by their dotted path in the
    argument tree (`method.sample.adapt.delta`), with " (Default)" kept in the value."""
    values: dict[str, str] = {}
    stack: list[str] = []
    for line in Path(csv_file).read_text().splitlines():
        if not line.startswith("#"):  # the column names: the arguments are above them
            break
        body = line[2:]
        depth = (len(body) - len(body.lstrip(" "))) // 2
        key, _, value = body.strip().partition(" = ")
        del stack[depth:]
        if value or " = " in body:
            values[".".join([*stack, key])] = value
        stack.append(key)
    return values


def adaptation(csv_file: str | Path) -> list[str]:
    """The comment lines CmdStan writes after adaptation (between the column names and the
    first draw)."""
    lines = Path(csv_file).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("#"):
            break
        block.append(line)
    return block


def step_size(csv_file: str | Path) -> float:
    return float(next(ln for ln in adaptation(csv_file) if ln.startswith("# Step size = "))[14:])


def console(fit) -> str:
    return "".join(Path(f).read_text() for f in fit.runset.stdout_files)


def run(exe: str, *args: str, cwd: Path | None = None, env=None) -> subprocess.CompletedProcess:
    """Run the executable, by default in its own folder (a profiled model writes
    profile.csv to the working directory)."""
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=300,
                          cwd=cwd or Path(exe).parent)  # fmt: skip


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("arguments")


@pytest.fixture(scope="module")
def normal(cmdstan_dir, model_dir) -> cmdstanpy.CmdStanModel:
    return compile_program(model_dir / "normal", "normal", NORMAL)


@pytest.fixture(scope="module")
def no_parameters(cmdstan_dir, model_dir) -> cmdstanpy.CmdStanModel:
    return compile_program(model_dir / "empty", "empty", NO_PARAMETERS)


@pytest.fixture(scope="module")
def data_file(model_dir) -> Path:
    path = model_dir / "normal.data.json"
    path.write_text(json.dumps({"N": len(Y), "y": Y}))
    return path


@pytest.fixture(scope="module")
def sample(normal, data_file, tmp_path_factory):
    """cmdstanpy's `sample` on the normal model with the given arguments (seed 5, two chains
    of 200 + 200 unless given), into a fresh directory."""

    def run_sample(**kwargs):
        # save_profile: the profile file goes to the output folder, not the working directory
        settings = {"chains": 2, "seed": 5, "iter_warmup": 200, "iter_sampling": 200,
                    "show_progress": False, "save_profile": True,
                    "output_dir": tmp_path_factory.mktemp("fit")}  # fmt: skip
        return normal.sample(data=str(data_file), **(settings | kwargs))

    return run_sample


@pytest.fixture(scope="module")
def default_fit(sample):
    return sample()


# ------------------------------------------------------------------- the pipeline's settings


def test_the_pipelines_settings_are_in_every_chains_header(sample):
    """What the pipeline passes for every model: chains, seed, warmup, draws, adapt_delta
    and max_treedepth, each recorded as given (not "(Default)") in each chain's CSV."""
    fit = sample(chains=3, seed=9, iter_warmup=150, iter_sampling=120, adapt_delta=0.9,
                 max_treedepth=8)  # fmt: skip
    for chain, csv in enumerate(fit.runset.csv_files, start=1):
        h = header(csv)
        assert h["method.sample.num_samples"] == "120"
        assert h["method.sample.num_warmup"] == "150"
        assert h["method.sample.adapt.delta"] == "0.9"
        assert h["method.sample.algorithm.hmc.engine.nuts.max_depth"] == "8"
        assert h["random.seed"] == "9"
        # CmdStan marks a value equal to the default "(Default)", given or not (id=1)
        assert h["id"] == str(chain) + (" (Default)" if chain == 1 else "")
        assert h["method.sample.thin"] == "1 (Default)"
    assert fit.draws().shape[:2] == (120, 3)


def test_adapt_delta_targets_a_higher_acceptance_with_a_smaller_step(sample, default_fit):
    """Stan's dual averaging adapts the step size so that the mean acceptance statistic
    reaches delta: a higher delta gives a smaller step and a higher acceptance."""
    strict = sample(adapt_delta=0.99)
    for csv in strict.runset.csv_files:
        assert header(csv)["method.sample.adapt.delta"] == "0.99"
    for csv in default_fit.runset.csv_files:
        assert header(csv)["method.sample.adapt.delta"] == "0.8 (Default)"
    for loose, tight in zip(default_fit.runset.csv_files, strict.runset.csv_files, strict=True):
        assert step_size(tight) < step_size(loose)
    accept = strict.draws_pd()["accept_stat__"].mean()
    assert accept > default_fit.draws_pd()["accept_stat__"].mean()
    assert accept > 0.95


def test_max_treedepth_caps_every_trajectory(sample, default_fit):
    """No transition goes deeper than max_depth, and a tree of depth d takes at most
    2^d - 1 leapfrog steps; cmdstanpy counts the transitions that hit the cap."""
    assert default_fit.draws_pd()["treedepth__"].max() >= 2  # the cap below binds
    capped = sample(max_treedepth=1)
    draws = capped.draws_pd()
    assert header(capped.runset.csv_files[0])[
        "method.sample.algorithm.hmc.engine.nuts.max_depth"] == "1"  # fmt: skip
    assert draws["treedepth__"].max() == 1
    assert draws["n_leapfrog__"].max() <= 2**1 - 1
    assert capped.max_treedepths is not None and capped.max_treedepths.sum() > 0


def test_warmup_and_save_warmup_write_the_warmup_draws(sample):
    fit = sample(iter_warmup=60, iter_sampling=40, save_warmup=True, chains=1)
    h = header(fit.runset.csv_files[0])
    assert (h["method.sample.num_warmup"], h["method.sample.save_warmup"]) == ("60", "true")
    assert fit.draws(inc_warmup=True).shape[0] == 100
    assert fit.draws().shape[0] == 40
    # the step size moves during warmup and is fixed afterwards
    steps = fit.draws_pd(inc_warmup=True)["stepsize__"].to_numpy()
    assert len(set(steps[:60])) > 1 and len(set(steps[60:])) == 1


def test_thin_keeps_every_nth_iteration_rounding_up(sample):
    """CmdStan saves iterations 0, thin, 2 thin, ...: ceil(n / thin) draws of each phase."""
    fit = sample(iter_warmup=20, iter_sampling=31, thin=3, save_warmup=True, chains=1)
    assert header(fit.runset.csv_files[0])["method.sample.thin"] == "3"
    assert fit.draws().shape[0] == math.ceil(31 / 3) == 11
    assert fit.draws(inc_warmup=True).shape[0] == math.ceil(20 / 3) + 11


def test_adaptation_windows_are_used_as_given(sample):
    """init_buffer + window + term_buffer must fit in the warmup; otherwise Stan shrinks them
    to 15%/75%/10% and says so. With windows that fit, no such message."""
    default = sample(iter_warmup=50, chains=1)
    assert "There aren't enough warmup iterations to fit the" in console(default)
    assert "Reducing each adaptation stage to 15%/75%/10%" in console(default)
    fitted = sample(iter_warmup=50, chains=1, adapt_init_phase=10, adapt_metric_window=20,
                    adapt_step_size=10)  # fmt: skip
    h = header(fitted.runset.csv_files[0])
    assert (h["method.sample.adapt.init_buffer"], h["method.sample.adapt.window"],
            h["method.sample.adapt.term_buffer"]) == ("10", "20", "10")  # fmt: skip
    assert "There aren't enough warmup iterations" not in console(fitted)


def test_without_adaptation_the_given_step_size_is_kept(sample):
    fit = sample(adapt_engaged=False, step_size=0.25, iter_warmup=10, chains=1)
    h = header(fit.runset.csv_files[0])
    assert h["method.sample.adapt.engaged"] == "false"
    assert h["method.sample.algorithm.hmc.stepsize"] == "0.25"
    assert set(fit.draws_pd()["stepsize__"]) == {0.25}
    # Stan's non-adaptive samplers still write the (unchanged) step size after warmup
    assert "# Step size = 0.25" in adaptation(fit.runset.csv_files[0])


def test_zero_warmup_without_adaptation(sample):
    """num_warmup=0 is allowed when adaptation is off (and refused otherwise, below)."""
    fit = sample(iter_warmup=0, adapt_engaged=False, chains=1)
    assert header(fit.runset.csv_files[0])["method.sample.num_warmup"] == "0"
    assert fit.draws().shape[0] == 200


@pytest.mark.parametrize(
    ("metric", "block"),
    [
        ("diag_e", "# Diagonal elements of inverse mass matrix:"),
        ("dense_e", "# Elements of inverse mass matrix:"),
        ("unit_e", "# No free parameters for unit metric"),
    ],
)
def test_the_metric_and_its_adaptation_block(sample, metric, block):
    fit = sample(metric=metric, chains=1)
    csv = fit.runset.csv_files[0]
    assert header(csv)["method.sample.algorithm.hmc.metric"].split()[0] == metric
    lines = adaptation(csv)
    assert lines[0] == "# Adaptation terminated"
    assert block in lines
    if metric == "dense_e":  # a 2 x 2 matrix, one row per line
        rows = lines[lines.index(block) + 1 :]
        assert [len(r[2:].split(", ")) for r in rows[:2]] == [2, 2]


def test_a_metric_file_is_read_and_recorded(sample, tmp_path):
    """A given inverse metric with adaptation off is used as it is: the same seed with
    another metric gives other draws."""
    fits = []
    for scale in (1.0, 25.0):
        metric = tmp_path / f"metric-{scale:g}.json"
        metric.write_text(json.dumps({"inv_metric": [scale, scale]}))
        fit = sample(metric=str(metric), adapt_engaged=False, step_size=0.1, iter_warmup=0,
                     chains=1)  # fmt: skip
        h = header(fit.runset.csv_files[0])
        assert h["method.sample.algorithm.hmc.metric_file"] == str(metric)
        assert h["method.sample.algorithm.hmc.metric"].startswith("diag_e")
        fits.append(fit)
    assert not np.array_equal(fits[0].draws_pd()["mu"], fits[1].draws_pd()["mu"])


# ----------------------------------------------------------------------------- initial values


@pytest.fixture(scope="module")
def fixed(normal, data_file, tmp_path_factory):
    """The fixed_param sampler keeps the initial values, so its draws show them."""

    def run_fixed(inits, chains=2):
        return normal.sample(data=str(data_file), fixed_param=True, chains=chains, seed=3,
                             iter_sampling=5, inits=inits, show_progress=False,
                             save_profile=True,
                             output_dir=tmp_path_factory.mktemp("init"))  # fmt: skip

    return run_fixed


def test_init_zero_starts_at_zero_on_the_unconstrained_scale(fixed):
    fit = fixed(0)
    assert header(fit.runset.csv_files[0])["init"] == "0"
    draws = fit.draws_pd()
    assert set(draws["mu"]) == {0.0}
    assert set(draws["sigma"]) == {1.0}  # exp(0)


def test_init_radius_draws_uniformly_within_it(fixed):
    """init=x: uniform on (-x, x) on the unconstrained scale, one draw per chain."""
    fit = fixed(0.5)
    assert header(fit.runset.csv_files[0])["init"] == "0.5"
    draws = fit.draws_pd()
    assert draws["mu"].abs().max() < 0.5
    assert draws["sigma"].between(math.exp(-0.5), math.exp(0.5)).all()
    assert draws.groupby("chain__")["mu"].first().nunique() == 2


def test_init_values_from_a_file_and_one_file_per_chain(fixed):
    fit = fixed({"mu": 3.5, "sigma": 2.0})
    assert header(fit.runset.csv_files[0])["init"].endswith(".json")
    assert set(fit.draws_pd()["mu"]) == {3.5} and set(fit.draws_pd()["sigma"]) == {2.0}
    per_chain = fixed([{"mu": -1.0, "sigma": 0.5}, {"mu": 7.0, "sigma": 3.0}])
    firsts = per_chain.draws_pd().groupby("chain__")[["mu", "sigma"]].first()
    assert firsts.values.tolist() == [[-1.0, 0.5], [7.0, 3.0]]


def test_partial_inits_draw_the_rest(fixed):
    fit = fixed({"mu": 3.5})
    draws = fit.draws_pd()
    assert set(draws["mu"]) == {3.5}
    assert draws["sigma"].between(math.exp(-2), math.exp(2)).all()


# ----------------------------------------------------------------------------- output options


def test_refresh_sets_which_iterations_are_reported(sample):
    """Stan reports the first and last iteration of each phase and every refresh-th;
    refresh=0 reports none."""
    fit = sample(iter_warmup=14, iter_sampling=14, refresh=7, chains=1)
    assert header(fit.runset.csv_files[0])["output.refresh"] == "7"
    reported = [int(m) for m in re.findall(r"^Iteration:\s+(\d+) / 28", console(fit), re.M)]
    assert reported == [1, 7, 14, 15, 21, 28]
    assert "Iteration: 14 / 28 [ 50%]  (Warmup)" in console(fit)
    assert "Iteration: 15 / 28 [ 53%]  (Sampling)" in console(fit)



def test_refresh_zero_reports_no_iteration(normal, data_file, tmp_path):
    """cmdstanpy only passes a positive refresh; CmdStan takes 0 for silence."""
    done = run(normal.exe_file, "method=sample", "num_warmup=20", "num_samples=20", "data",
               f"file={data_file}", "output", f"file={tmp_path / 'out.csv'}",
               "refresh=0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert header(tmp_path / "out.csv")["output.refresh"] == "0"
    assert "Iteration:" not in done.stdout


def significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


def test_sig_figs_sets_the_precision_of_every_value(sample, default_fit):
    fit = sample(sig_figs=3, chains=1)
    assert header(fit.runset.csv_files[0])["output.sig_figs"] == "3"
    rows = [ln.split(",") for ln in Path(fit.runset.csv_files[0]).read_text().splitlines()
            if ln and not ln.startswith(("#", "lp__"))]  # fmt: skip
    assert max(significant_digits(v) for row in rows for v in row) == 3
    default_rows = [ln.split(",") for ln in Path(default_fit.runset.csv_files[0]).read_text()
                    .splitlines() if ln and not ln.startswith(("#", "lp__"))]  # fmt: skip
    assert max(significant_digits(v) for row in default_rows for v in row) == 6


def test_diagnostic_file_has_the_unconstrained_values_momenta_and_gradients(sample):
    fit = sample(save_diagnostics=True, chains=1)
    diagnostic = fit.runset.diagnostic_files[0]
    assert header(fit.runset.csv_files[0])["output.diagnostic_file"] == diagnostic
    table = pd.read_csv(diagnostic, comment="#")
    assert list(table.columns) == ["lp__", "accept_stat__", "stepsize__", "treedepth__",
                                   "n_leapfrog__", "divergent__", "energy__", "mu", "sigma",
                                   "p_mu", "p_sigma", "g_mu", "g_sigma"]  # fmt: skip
    assert len(table) == 200
    # sigma on the unconstrained scale: log of the sampler's sigma, draw by draw
    draws = fit.draws_pd()
    np.testing.assert_allclose(np.exp(table["sigma"]), draws["sigma"], rtol=1e-5)


def test_profile_file_times_each_profile_block(sample):
    fit = sample(chains=1)
    profile = fit.runset.profile_files[0]
    assert header(fit.runset.csv_files[0])["output.profile_file"] == profile
    table = pd.read_csv(profile)
    assert list(table.columns) == ["name", "thread_id", "total_time", "forward_time",
                                   "reverse_time", "chain_stack", "no_chain_stack",
                                   "autodiff_calls", "no_autodiff_calls"]  # fmt: skip
    assert sorted(table["name"]) == ["likelihood", "priors"]
    assert (table["autodiff_calls"] > 0).all()


def test_output_file_and_chain_ids(sample):
    fit = sample(chains=2, chain_ids=[7, 8])
    names = [Path(f).name for f in fit.runset.csv_files]
    assert [n.rsplit("_", 1)[1] for n in names] == ["7.csv", "8.csv"]
    for csv, chain in zip(fit.runset.csv_files, (7, 8), strict=True):
        h = header(csv)
        assert h["id"] == str(chain) and h["output.file"] == csv


# --------------------------------------- settings cmdstanpy cannot pass: the executable itself


@pytest.mark.parametrize(("name", "value"), [("gamma", "0.1"), ("kappa", "0.9"), ("t0", "2")])
def test_step_size_adaptation_constants_change_the_adapted_step(normal, data_file, tmp_path,
                                                                name, value):  # fmt: skip
    """Same seed, one constant of the dual averaging changed: recorded, and a different
    adapted step size."""
    base = ["method=sample", "num_warmup=100", "num_samples=10", "adapt"]
    tail = ["data", f"file={data_file}", "random", "seed=4", "output", "refresh=0"]
    run(normal.exe_file, *base, *tail, "file=" + str(tmp_path / "default.csv"))
    done = run(normal.exe_file, *base, f"{name}={value}", *tail,
               "file=" + str(tmp_path / "changed.csv"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert header(tmp_path / "changed.csv")[f"method.sample.adapt.{name}"] == value
    assert header(tmp_path / "default.csv")[f"method.sample.adapt.{name}"].endswith("(Default)")
    assert step_size(tmp_path / "changed.csv") != step_size(tmp_path / "default.csv")


def test_stepsize_jitter_varies_the_step_within_its_range(normal, data_file, tmp_path):
    out = tmp_path / "jitter.csv"
    done = run(normal.exe_file, "method=sample", "num_warmup=0", "num_samples=200", "adapt",
               "engaged=0", "algorithm=hmc", "stepsize=0.5", "stepsize_jitter=0.5", "data",
               f"file={data_file}", "random", "seed=4", "output", f"file={out}",
               "refresh=0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert header(out)["method.sample.algorithm.hmc.stepsize_jitter"] == "0.5"
    steps = pd.read_csv(out, comment="#")["stepsize__"]
    assert steps.between(0.25, 0.75).all() and steps.nunique() > 100


# ------------------------------------------------------------------- every error message


@pytest.fixture(scope="module")
def files(model_dir, data_file, default_fit) -> dict[str, Path]:
    """Input files, good and bad, for the error cases."""
    d = model_dir / "inputs"
    d.mkdir()
    sampled = Path(default_fit.runset.csv_files[0])
    written = {
        "rdump.R": f"N <- {len(Y)}\ny <- c({', '.join(map(str, Y))})\n",
        "short_row.csv": "# method = optimize\nlp__,mu,sigma\n0,1\n",
        "no_header.csv": "# method = optimize\n# nothing else\n",
        "too_few_columns.csv": "lp__,mu\n0,1\n",
        "wrong_order.csv": "lp__,sigma,mu\n0,1,2\n",
        "optimize_header_only.csv": "# method = optimize\nlp__,mu,sigma\n",
        "bad_sigma.csv": "# method = optimize\nlp__,mu,sigma\n0,1,-1\n",
        "bad_sigma.json": '{"mu": 1, "sigma": -1}',
        "mode.txt": "mu 1\n",
        "no_params_r.json": '{"x": [1, 2]}',
        "three_params_r.json": '{"params_r": [1, 2, 3]}',
        "constrained.json": '{"mu": 1, "sigma": 1}',
    }
    for name, text in written.items():
        (d / name).write_text(text)
    paths = {name: d / name for name in written}
    return paths | {"sampled.csv": sampled, "data": data_file}


def error_cases() -> list[tuple[str, list[str], str, int]]:
    """(case, arguments with {placeholders} for the files, message, exit status)."""
    data = ["data", "file={data}"]
    return [
        # arguments.hpp: a value that is not of the argument's kind, or out of its range
        ("boolean", ["method=sample", "save_warmup=maybe"],
         'maybe is not a valid value for "save_warmup"\n  Valid values: [0, 1, false, true]',
         USAGE),
        ("integer", ["method=sample", "num_samples=ten"],
         'ten is not a valid value for "num_samples"\n  Valid values: 0 <= num_samples', USAGE),
        ("int range", ["method=sample", "num_warmup=3000000000"],
         '3000000000 is not a valid value for "num_warmup"\n  Valid values: 0 <= warmup', USAGE),
        ("unsigned", ["method=sample", "adapt", "init_buffer=-1"],
         '-1 is not a valid value for "init_buffer"\n  Valid values: 0 <= init_buffer', USAGE),
        ("real range", ["method=sample", "adapt", "delta=1.5"],
         '1.5 is not a valid value for "delta"\n  Valid values: 0 < delta < 1', USAGE),
        ("real text", ["method=sample", "adapt", "delta=high"],
         'high is not a valid value for "delta"', USAGE),
        ("max_depth", ["method=sample", "algorithm=hmc", "engine=nuts", "max_depth=0"],
         '0 is not a valid value for "max_depth"\n  Valid values: 0 < max_depth', USAGE),
        ("thin", ["method=sample", "thin=0"],
         '0 is not a valid value for "thin"\n  Valid values: 0 < thin', USAGE),
        ("refresh", ["output", "refresh=-1"],
         '-1 is not a valid value for "refresh"\n  Valid values: 0 <= refresh', USAGE),
        ("sig_figs", ["output", "sig_figs=19"],
         '19 is not a valid value for "sig_figs"\n  Valid values: 0 <= integer <= 18 or -1',
         USAGE),
        ("seed", ["random", "seed=4294967296"],
         '4294967296 is not a valid value for "seed"\n  Valid values: non-negative integer '
         "< 4294967296  or -1 to generate seed", USAGE),
        ("jitter", ["method=sample", "algorithm=hmc", "stepsize_jitter=2"],
         '2 is not a valid value for "stepsize_jitter"\n  Valid values: 0 <= stepsize_jitter <= 1',
         USAGE),
        # arguments.hpp: a choice a list does not have; a token that fits nowhere
        ("list", ["method=sample", "algorithm=nuts"],
         'nuts is not a valid value for "algorithm"\n  Valid values: hmc fixed_param', USAGE),
        ("method", ["method=mcmc"],
         'mcmc is not a valid value for "method"\n  Valid values: sample optimize variational '
         "diagnose generate_quantities pathfinder log_prob laplace", USAGE),
        ("misplaced", ["delta=0.9"], "delta=0.9 is either mistyped or misplaced.", USAGE),
        # main.cpp, method=sample
        ("engine", ["method=sample", "algorithm=hmc", "engine=static", *data],
         "Error: engine=static is not available in this build; use engine=nuts", SOFTWARE),
        ("zero warmup", ["method=sample", "num_warmup=0", *data],
         "Error: The number of warmup samples (num_warmup) must be greater than zero if "
         "adaptation is enabled.", SOFTWARE),
        # run_context.hpp and io_helpers.hpp: files and the init radius
        ("init radius", ["method=sample", "init=-1", *data],
         "Error: Invalid value for init: -1 (a radius must be non-negative)", SOFTWARE),
        ("no data file", ["method=sample", "data", "file=/nonexistent/data.json"],
         'Error: Can\'t open specified file, "/nonexistent/data.json"', SOFTWARE),
        ("no output dir", ["method=sample", *data, "output", "file=/nonexistent/dir/out.csv"],
         'Error: Can\'t open output file, "/nonexistent/dir/out.csv"', SOFTWARE),
        ("no profile dir", ["method=sample", "num_warmup=20", "num_samples=5", *data,
                            "output", "file={tmp}/p.csv", "profile_file=/nonexistent/p.csv"],
         'Error: Can\'t open profile file, "/nonexistent/p.csv"', SOFTWARE),
        # main.cpp, method=generate_quantities
        ("gq no file", ["method=generate_quantities", *data],
         "Error: Argument fitted_params file - found empty string, expecting filename.",
         SOFTWARE),
        ("gq missing", ["method=generate_quantities", "fitted_params=/nonexistent.csv", *data],
         'Error: Can\'t open specified file, "/nonexistent.csv"', SOFTWARE),
        ("gq short row", ["method=generate_quantities", "fitted_params={short_row.csv}", *data],
         # a message that starts with "Error" gets no second "Error: " lead
         'Error reading CSV file "{short_row.csv}": a row has 2 values, the header 3',
         SOFTWARE),
        ("gq no header", ["method=generate_quantities", "fitted_params={no_header.csv}", *data],
         'Error: CSV file "{no_header.csv}" has no header row', SOFTWARE),
        ("gq columns", ["method=generate_quantities", "fitted_params={too_few_columns.csv}",
                        *data],
         'Error: Mismatch between model and fitted_parameters csv file "{too_few_columns.csv}"',
         SOFTWARE),
        ("gq order", ["method=generate_quantities", "fitted_params={wrong_order.csv}", *data],
         'Error: Mismatch between model params and StanCSV file "{wrong_order.csv}", '
         'expecting param "mu", found "sigma"', SOFTWARE),
        # main.cpp, method=laplace
        ("laplace no mode", ["method=laplace", *data],
         "Error: Argument mode file - found empty string, expecting filename.", SOFTWARE),
        ("laplace sample csv", ["method=laplace", "mode={sampled.csv}", *data],
         "Error: CSV file is not output from Stan optimization", SOFTWARE),
        ("laplace no values", ["method=laplace", "mode={optimize_header_only.csv}", *data],
         'Error: CSV file "{optimize_header_only.csv}" has no values', SOFTWARE),
        ("laplace format", ["method=laplace", "mode={mode.txt}", *data],
         "Error: Mode file must be CSV or JSON, found {mode.txt}", SOFTWARE),
        ("laplace bad csv", ["method=laplace", "mode={bad_sigma.csv}", *data],
         "Bad or missing parameter values, cannot unconstrain.", SOFTWARE),
        ("laplace bad json", ["method=laplace", "mode={bad_sigma.json}", *data],
         "Bad or missing parameter values, cannot unconstrain.", SOFTWARE),
        # main.cpp, method=log_prob
        ("log_prob neither", ["method=log_prob", *data],
         "Error: log_prob needs exactly one of unconstrained_params and constrained_params",
         SOFTWARE),
        ("log_prob both", ["method=log_prob", "unconstrained_params={three_params_r.json}",
                           "constrained_params={constrained.json}", *data],
         "Error: log_prob needs exactly one of unconstrained_params and constrained_params",
         SOFTWARE),
        ("log_prob no params_r", ["method=log_prob", "unconstrained_params={no_params_r.json}",
                                  *data],
         "Error: Unconstrained parameters file has no variable 'params_r' with unconstrained "
         "parameter values!", SOFTWARE),
        ("log_prob count", ["method=log_prob", "unconstrained_params={three_params_r.json}",
                            *data],
         "Error: Incorrect number of unconstrained parameters provided! Model has 2 "
         "parameters but 3 were found.", SOFTWARE),
    ]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "message", "status"), error_cases(),
                         ids=[case[0] for case in error_cases()])  # fmt: skip
def test_every_error_message_of_the_driver(normal, files, tmp_path, case, args, message, status):
    def fill(text: str) -> str:
        text = text.replace("{tmp}", str(tmp_path)).replace("{data}", str(files["data"]))
        for name, path in files.items():
            text = text.replace("{" + name + "}", str(path))
        return text

    done = run(normal.exe_file, *(fill(a) for a in args), cwd=tmp_path)
    assert done.returncode == status, done.stdout + done.stderr
    assert fill(message) in done.stderr, done.stderr
    assert "Error: Error" not in done.stderr
    if status == USAGE:
        assert done.stderr.rstrip().endswith("Failed to parse arguments, terminating Stan")


def test_an_rdump_data_file_is_read_with_cmdstans_warning(normal, files, tmp_path):
    done = run(normal.exe_file, "method=sample", "num_warmup=20", "num_samples=5", "data",
               f"file={files['rdump.R']}", "output", f"file={tmp_path / 'out.csv'}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (f"Warning: file '{files['rdump.R']}' is being read as an 'RDump' file.\n"
            "\tThis format is deprecated and will not receive new features.\n"
            "\tConsider saving your data in JSON format instead.") in done.stderr  # fmt: skip


def test_metric_file_with_the_unit_metric_is_ignored_with_a_warning(normal, data_file, tmp_path):
    metric = tmp_path / "metric.json"
    metric.write_text('{"inv_metric": [1, 1]}')
    done = run(normal.exe_file, "method=sample", "num_warmup=20", "num_samples=5",
               "algorithm=hmc", "metric=unit_e", f"metric_file={metric}", "data",
               f"file={data_file}", "output", f"file={tmp_path / 'out.csv'}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "metric_file is ignored with metric=unit_e" in done.stdout + done.stderr


def test_a_model_without_parameters(no_parameters, tmp_path):
    """Sampling falls back to fixed_param with Stan's message; estimating is refused."""
    exe = no_parameters.exe_file
    done = run(exe, "method=sample", "output", f"file={tmp_path / 's.csv'}")
    assert done.returncode == 0, done.stderr
    assert ("Model contains no parameters, running fixed_param sampler, no updates to Markov "
            "chain") in done.stdout  # fmt: skip
    assert len(pd.read_csv(tmp_path / "s.csv", comment="#")) == 1000
    refused = "Error: Model empty_model has no parameters, nothing to estimate."
    for method in ("optimize", "variational"):
        done = run(exe, f"method={method}", "output", f"file={tmp_path / (method + '.csv')}")
        assert done.returncode == SOFTWARE and refused in done.stderr, done.stderr
    done = run(exe, "method=generate_quantities", f"fitted_params={tmp_path / 's.csv'}",
               "output", f"file={tmp_path / 'gq.csv'}")  # fmt: skip
    assert done.returncode == SOFTWARE and refused in done.stderr, done.stderr


def test_no_arguments_prints_the_usage(normal):
    done = run(normal.exe_file)
    assert done.returncode == USAGE
    usage = f"Usage: {normal.exe_file} <arg1> <subarg1_1> ... <subarg1_m> ... <arg_n>"
    assert done.stdout.startswith(usage)
    assert "Begin by selecting amongst the following inference methods" in done.stdout


def test_a_bad_stan_num_threads_is_named(cmdstan_dir, model_dir, data_file, tmp_path):
    """Only a threaded executable reads STAN_NUM_THREADS (num_threads= wins over it)."""
    (model_dir / "threaded").mkdir()
    (model_dir / "threaded" / "normal.stan").write_text(NORMAL)
    threaded = cmdstanpy.CmdStanModel(stan_file=model_dir / "threaded" / "normal.stan",
                                      cpp_options={"STAN_THREADS": True})  # fmt: skip
    assert threaded.exe_info()["STAN_THREADS"] == "true"
    args = ["method=sample", "num_warmup=20", "num_samples=5", "data", f"file={data_file}",
            "output", f"file={tmp_path / 'out.csv'}"]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "STAN_NUM_THREADS": "many"}
    done = run(threaded.exe_file, *args, env=env)
    assert done.returncode == SOFTWARE
    assert ("Error: The STAN_NUM_THREADS environment variable is 'many' but should be a "
            "positive integer or -1") in done.stderr  # fmt: skip
    done = run(threaded.exe_file, *args, "num_threads=2", env=env)
    assert done.returncode == 0, done.stderr
    assert header(tmp_path / "out.csv")["num_threads"] == "2"
