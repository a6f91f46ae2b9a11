"""The CmdStan toolchain assembled from the httpstan wheel, driven by cmdstanpy unchanged.

One small model is compiled per session and reused; a second program (transformed data
that rejects) and a syntax error cover the compile- and data-time failures.  The
STAN_THREADS test builds the threaded driver once (then cached in the project-local dir).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import cmdstanpy
import numpy as np
import pytest
from mlmpipe import cmdstan, toolchain
from stan_programs import BERNOULLI, DATA, compile_program

# Whether the session runs against an external CmdStan (read before cmdstanpy sets CMDSTAN).
EXTERNAL = bool(os.environ.get("CMDSTAN"))


# The comment header of an official CmdStan 2.35 sampler CSV for a default run
# (observed); <...> marks values that depend on the run.
REFERENCE_HEADER = """\
# stan_version_major = 2
# stan_version_minor = 35
# stan_version_patch = 0
# model = <model>
# start_datetime = <datetime>
# method = sample (Default)
#   sample
#     num_samples = 1000 (Default)
#     num_warmup = 1000 (Default)
#     save_warmup = false (Default)
#     thin = 1 (Default)
#     adapt
#       engaged = true (Default)
#       gamma = 0.05 (Default)
#       delta = 0.8 (Default)
#       kappa = 0.75 (Default)
#       t0 = 10 (Default)
#       init_buffer = 75 (Default)
#       term_buffer = 50 (Default)
#       window = 25 (Default)
#       save_metric = false (Default)
#     algorithm = hmc (Default)
#       hmc
#         engine = nuts (Default)
#           nuts
#             max_depth = 10 (Default)
#         metric = diag_e (Default)
#         metric_file =  (Default)
#         stepsize = 1 (Default)
#         stepsize_jitter = 0 (Default)
#     num_chains = 1 (Default)
# id = 1 (Default)
# data
#   file = <data>
# init = 2 (Default)
# random
#   seed = 1
# output
#   file = <output>
#   diagnostic_file =  (Default)
#   refresh = 100 (Default)
#   sig_figs = -1 (Default)
#   profile_file = profile.csv (Default)
#   save_cmdstan_config = false (Default)
# num_threads = 1 (Default)
# stanc_version = stanc3 v2.35.0
# stancflags = --filename-in-msg=bernoulli.stan
"""


def _draw_lines(csv_file: str | Path) -> list[str]:
    """The non-comment lines of a Stan CSV (column names and draws)."""
    return [ln for ln in Path(csv_file).read_text().splitlines() if not ln.startswith("#")]




@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("toolchain_models")


@pytest.fixture(scope="module")
def bernoulli(cmdstan_dir, model_dir) -> cmdstanpy.CmdStanModel:
    """The session's one good model, compiled once."""
    return compile_program(model_dir / "plain", "bernoulli", BERNOULLI)


@pytest.fixture(scope="module")
def data_file(model_dir) -> Path:
    path = model_dir / "bernoulli.data.json"
    path.write_text(json.dumps(DATA))
    return path


@pytest.fixture(scope="module")
def fit4(bernoulli, data_file, model_dir) -> cmdstanpy.CmdStanMCMC:
    """Four chains, one process each, in parallel."""
    return bernoulli.sample(
        data=str(data_file),
        chains=4,
        parallel_chains=4,
        seed=1,
        output_dir=model_dir / "fit4",
        show_progress=False,
    )


# ---------------------------------------------------------------------------
# Which CmdStan is used, and the assembled directory.
# ---------------------------------------------------------------------------
def test_cmdstan_path_prefers_the_cmdstan_variable(tmp_path, monkeypatch):
    official = tmp_path / "cmdstan-2.35.0"
    official.mkdir()
    (official / "makefile").write_text("CMDSTAN_VERSION := 2.35.0\n")
    monkeypatch.setenv("CMDSTAN", str(official))
    assert cmdstan.cmdstan_path() == official.resolve()


def test_cmdstan_variable_naming_no_cmdstan_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CMDSTAN", str(tmp_path))
    with pytest.raises(cmdstan.CmdStanError, match="not a CmdStan directory"):
        cmdstan.cmdstan_path()


def test_project_local_home_and_its_override(tmp_path, monkeypatch):
    monkeypatch.delenv("CMDSTAN", raising=False)
    monkeypatch.delenv("MLMPIPE_CMDSTAN_HOME", raising=False)
    repo = Path(toolchain.__file__).resolve().parents[3]
    assert cmdstan.cmdstan_path() == repo / ".cmdstan" / "cmdstan-2.35.0"
    monkeypatch.setenv("MLMPIPE_CMDSTAN_HOME", str(tmp_path / "cs"))
    assert cmdstan.cmdstan_path() == (tmp_path / "cs").resolve()


def test_rebuild_is_a_fast_no_op(cmdstan_dir):
    if EXTERNAL:
        pytest.skip("CMDSTAN names an external installation")
    started = time.monotonic()
    assert toolchain.build_toolchain(cmdstan_dir) == cmdstan_dir
    assert time.monotonic() - started < 5
    assert toolchain.is_built(cmdstan_dir)


def test_layout_cmdstanpy_accepts(cmdstan_dir):
    assert cmdstanpy.cmdstan_version() == (2, 35)
    assert "CMDSTAN_VERSION := 2.35.0" in (cmdstan_dir / "makefile").read_text()
    stanc = str(cmdstan_dir / "bin" / "stanc")
    assert (
        "stanc3 v2.35.0"
        in subprocess.run([stanc, "--version"], capture_output=True, text=True, check=True).stdout
    )
    assert (
        "--info"
        in subprocess.run([stanc, "--help"], capture_output=True, text=True, check=True).stdout
    )


def test_description_record(cmdstan_dir, tmp_path):
    record = toolchain.write_description(tmp_path / "cmdstan.json")
    assert json.loads((tmp_path / "cmdstan.json").read_text()) == record
    assert record["path"] == str(cmdstan_dir)
    assert record["version"] == "2.35.0"
    assert record["stanc_version"].startswith("stanc3 v2.35.0")
    assert record["source"] == ("CMDSTAN" if EXTERNAL else "project-local")


# ---------------------------------------------------------------------------
# Compiling.
# ---------------------------------------------------------------------------
def test_compile_leaves_only_the_executable(bernoulli):
    exe = Path(bernoulli.exe_file)
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert sorted(p.name for p in exe.parent.iterdir()) == ["bernoulli", "bernoulli.stan"]
    info = bernoulli.exe_info()
    assert info["stan_version_minor"] == "35"
    assert info["STAN_THREADS"] == "false"
    assert bernoulli.src_info()["parameters"]["theta"]["type"] == "real"


def test_make_rebuilds_only_when_source_or_flags_change(bernoulli, cmdstan_dir):
    if EXTERNAL:
        pytest.skip("make behaviour of our makefile")
    exe = Path(bernoulli.exe_file)
    same = ["make", "-n", "STANCFLAGS+=--filename-in-msg=bernoulli.stan", str(exe)]
    out = subprocess.run(same, cwd=cmdstan_dir, capture_output=True, text=True, check=True)
    assert "is up to date" in out.stdout and "stanc" not in out.stdout
    changed = ["make", "-n", "STANCFLAGS+=--O1", str(exe)]
    out = subprocess.run(changed, cwd=cmdstan_dir, capture_output=True, text=True, check=True)
    assert "bin/stanc --O1" in out.stdout
    # the stamp now records --O1: the original flags rebuild again
    out = subprocess.run(same, cwd=cmdstan_dir, capture_output=True, text=True, check=True)
    assert "bin/stanc --filename-in-msg=bernoulli.stan" in out.stdout


def test_syntax_error_shows_stancs_message(cmdstan_dir, model_dir):
    with pytest.raises(ValueError) as err:
        compile_program(model_dir / "syntax", "broken", "parameters { real x } model { }")
    assert '";" expected after variable declaration.' in str(err.value)
    assert "broken.stan" in str(err.value)
    # make passes stanc's message through unchanged and fails
    proc = subprocess.run(
        ["make", "STANCFLAGS+=--filename-in-msg=broken.stan", str(model_dir / "syntax" / "broken")],
        cwd=cmdstan_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "Syntax error in 'broken.stan', line 1, column 20 to column 21" in proc.stderr
    assert '";" expected after variable declaration.' in proc.stderr
    assert not (model_dir / "syntax" / "broken").exists()


# ---------------------------------------------------------------------------
# Sampling.
# ---------------------------------------------------------------------------
def test_sample_four_parallel_chains(fit4):
    assert fit4.draws().shape == (1000, 4, 10)
    assert fit4.column_names == (
        "lp__",
        "accept_stat__",
        "stepsize__",
        "treedepth__",
        "n_leapfrog__",
        "divergent__",
        "energy__",
        "theta",
        "y_rep",
        "log_lik",
    )
    assert [Path(f).name[-6:] for f in fit4.runset.csv_files] == [
        "_1.csv",
        "_2.csv",
        "_3.csv",
        "_4.csv",
    ]
    assert 0.15 < fit4.stan_variable("theta").mean() < 0.35
    assert fit4.step_size.shape == (4,) and fit4.metric_type == "diag_e"


def test_adaptation_matches_official_cmdstan(fit4):
    """Chain 1, seed 1: the step size and metric an official CmdStan 2.35 reports for this
    model and data (observed; generated quantities draw no random numbers in warm-up)."""
    text = Path(fit4.runset.csv_files[0]).read_text()
    assert (
        "# Step size = 0.895517\n# Diagonal elements of inverse mass matrix:\n# 0.554772\n" in text
    )


def test_csv_header_is_cmdstan_235s(fit4):
    text = Path(fit4.runset.csv_files[0]).read_text()
    header = "".join(ln + "\n" for ln in text.splitlines() if ln.startswith("#"))
    header = header[: header.index("# Adaptation terminated")]
    header = re.sub(r"(# model = ).*", r"\1<model>", header)
    header = re.sub(r"(# start_datetime = ).*", r"\1<datetime>", header)
    header = re.sub(r"(#   file = ).*json", r"\1<data>", header)
    header = re.sub(r"(#   file = ).*csv", r"\1<output>", header)
    assert header == REFERENCE_HEADER
    # then the column names, the adaptation block, the draws and the timing footer
    lines = text.splitlines()
    names = next(i for i, ln in enumerate(lines) if ln.startswith("lp__"))
    assert lines[names + 1 : names + 5][:3] == [
        "# Adaptation terminated",
        lines[names + 2],
        "# Diagonal elements of inverse mass matrix:",
    ]
    assert re.fullmatch(r"# Step size = [\d.]+", lines[names + 2])
    assert re.fullmatch(r"#  Elapsed Time: [\d.e-]+ seconds \(Warm-up\)", lines[-4])
    assert lines[-1] == "# "


def test_progress_lines_on_stdout(fit4):
    console = Path(fit4.runset.stdout_files[0]).read_text()
    assert "Iteration:  100 / 2000 [  5%]  (Warmup)" in console
    assert "Iteration: 2000 / 2000 [100%]  (Sampling)" in console


def test_same_seed_gives_byte_identical_draws(bernoulli, data_file, fit4, tmp_path):
    again = bernoulli.sample(
        data=str(data_file),
        chains=4,
        parallel_chains=4,
        seed=1,
        output_dir=tmp_path,
        show_progress=False,
    )
    for first, second in zip(fit4.runset.csv_files, again.runset.csv_files, strict=True):
        assert _draw_lines(first) == _draw_lines(second)


def test_chain_id_selects_the_rng_stream(bernoulli, data_file, fit4, tmp_path):
    """A single chain with id=3 reproduces chain 3 of the four-chain run."""
    one = bernoulli.sample(
        data=str(data_file), chains=1, chain_ids=3, seed=1, output_dir=tmp_path, show_progress=False
    )
    assert _draw_lines(one.runset.csv_files[0]) == _draw_lines(fit4.runset.csv_files[2])


def test_threaded_chains_in_one_process_match_separate_processes(
    cmdstan_dir, model_dir, data_file, fit4
):
    threaded = compile_program(
        model_dir / "threads", "bernoulli", BERNOULLI, cpp_options={"STAN_THREADS": True}
    )
    assert threaded.exe_info()["STAN_THREADS"] == "true"
    fit = threaded.sample(
        data=str(data_file),
        chains=4,
        parallel_chains=4,
        seed=1,
        output_dir=model_dir / "fit_threads",
        show_progress=False,
    )
    assert fit.runset.num_procs == 1
    assert "num_chains = 4" in Path(fit.runset.csv_files[0]).read_text()
    for mine, separate in zip(fit.runset.csv_files, fit4.runset.csv_files, strict=True):
        assert _draw_lines(mine) == _draw_lines(separate)


def test_summary_and_diagnose(fit4):
    summary = fit4.summary()
    assert list(summary.index) == ["lp__", "theta", "y_rep", "log_lik"]
    assert {"Mean", "MCSE", "StdDev", "R_hat"} <= set(summary.columns)
    assert 0.15 < summary.loc["theta", "Mean"] < 0.35
    assert "Processing complete" in fit4.diagnose()


def test_fixed_param(bernoulli, data_file, tmp_path):
    fit = bernoulli.sample(
        data=str(data_file),
        chains=1,
        seed=2,
        fixed_param=True,
        inits={"theta": 0.4},
        iter_sampling=20,
        output_dir=tmp_path,
        show_progress=False,
    )
    assert np.all(fit.stan_variable("theta") == 0.4)


# ---------------------------------------------------------------------------
# The other methods.
# ---------------------------------------------------------------------------
def test_generate_quantities(bernoulli, data_file, fit4):
    gq = bernoulli.generate_quantities(data=str(data_file), previous_fit=fit4, seed=3)
    # CmdStan 2.35 writes the generated quantities only; cmdstanpy joins the sample
    assert gq.column_names == ("y_rep", "log_lik")
    assert {"theta", "y_rep", "log_lik"} <= set(gq.draws_pd(inc_sample=True).columns)
    y_rep = gq.stan_variable("y_rep")
    assert y_rep.shape == (4000,)
    assert set(np.unique(y_rep)) <= {0, 1}
    # log_lik recomputed from the same theta equals the sampler's
    assert np.allclose(gq.stan_variable("log_lik"), fit4.stan_variable("log_lik"), rtol=1e-5)


def test_optimize_lbfgs_finds_the_mode(bernoulli, data_file):
    mle = bernoulli.optimize(data=str(data_file), seed=1)
    assert mle.optimized_params_dict["theta"] == pytest.approx(0.2, abs=1e-4)
    bfgs = bernoulli.optimize(data=str(data_file), seed=1, algorithm="bfgs", jacobian=True)
    # with the Jacobian the mode moves to (2 + 1) / (10 + 2)
    assert bfgs.optimized_params_dict["theta"] == pytest.approx(0.25, abs=1e-4)


def test_laplace_sample(bernoulli, data_file):
    fit = bernoulli.laplace_sample(data=str(data_file), seed=1, draws=200)
    assert fit.draws().shape == (200, 5)
    assert fit.column_names[:2] == ("log_p__", "log_q__")
    assert 0.1 < fit.stan_variable("theta").mean() < 0.45


def test_log_prob(bernoulli, data_file):
    lp = bernoulli.log_prob({"theta": 0.3}, data=str(data_file))
    theta = 0.3
    expected = 2 * math.log(theta) + 8 * math.log(1 - theta) + math.log(theta * (1 - theta))
    assert lp["lp__"].iloc[0] == pytest.approx(expected, rel=1e-5)
    # d/du of the same on the unconstrained (logit) scale
    assert lp.iloc[0, 1] == pytest.approx(2 - 10 * theta + 1 - 2 * theta, rel=1e-5)


# ---------------------------------------------------------------------------
# Errors reach the user with Stan's own message.
# ---------------------------------------------------------------------------
def test_missing_data_variable_is_named(bernoulli):
    with pytest.raises(RuntimeError) as err:
        bernoulli.sample(data={"y": DATA["y"]}, chains=1, seed=1, show_progress=False)
    assert "variable does not exist" in str(err.value)
    assert "variable name=N" in str(err.value)


def test_wrong_data_size(bernoulli):
    with pytest.raises(RuntimeError) as err:
        bernoulli.sample(data={"N": 3, "y": [0, 1]}, chains=1, seed=1, show_progress=False)
    assert "mismatch in dimension declared and found in context" in str(err.value)
    assert "variable name=y" in str(err.value)


def test_failing_init(bernoulli, data_file):
    with pytest.raises(RuntimeError) as err:
        bernoulli.sample(
            data=str(data_file), inits={"theta": 2}, chains=1, seed=1, show_progress=False
        )
    assert "Bounded variable is 2, but must be in the interval [0, 1]" in str(err.value)


def test_transformed_data_that_throws(cmdstan_dir, model_dir, data_file):
    code = BERNOULLI.replace(
        "parameters {",
        'transformed data {\n  if (N > 5) reject("N is ", N, ", too many");\n}\nparameters {',
    )
    model = compile_program(model_dir / "reject", "rejecting", code)
    with pytest.raises(RuntimeError) as err:
        model.sample(data=str(data_file), chains=1, seed=1, show_progress=False)
    assert "N is 10, too many" in str(err.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["method=diagnose"], "method=diagnose is not available"),
        (["method=sample", "num_samplez=10"], "num_samplez=10 is either mistyped or misplaced"),
        (["method=sample", "num_samples=-1"], '-1 is not a valid value for "num_samples"'),
        (["output", "save_cmdstan_config=1"], "save_cmdstan_config=1 is not available"),
        (
            ["method=sample", "algorithm=hmc", "metric=diag"],
            'diag is not a valid value for "metric"',
        ),
    ],
)
def test_bad_arguments_are_named(bernoulli, args, message):
    proc = subprocess.run([bernoulli.exe_file, *args], capture_output=True, text=True)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr


def test_help_lists_methods(bernoulli):
    proc = subprocess.run([bernoulli.exe_file, "help-all"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "sample" in proc.stdout and "log_prob" in proc.stdout


def test_exe_runs_from_any_directory(bernoulli, data_file, tmp_path):
    """The executable finds TBB through its rpath, whatever the working directory."""
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    exe = moved / "bernoulli"
    shutil.copy(bernoulli.exe_file, exe)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    proc = subprocess.run([str(exe), "info"], cwd="/", env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and "stan_version_major = 2" in proc.stdout
