"""Variational inference (ADVI) and Pathfinder in the CmdStan toolchain, driven by cmdstanpy.

Two small programs are compiled once per session: a normal posterior with known means and
standard deviations (two independent components, plus a generated quantity) and the
Bernoulli model with generated quantities.  Every argument of both methods is passed
through cmdstanpy (or, where cmdstanpy checks it first, straight to the executable) and
checked in the CSV header and in what it changes; results are compared with the known
posterior; argument errors must carry CmdStan 2.35's wording.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import cmdstanpy
import numpy as np
import pytest
from stan_programs import BERNOULLI, DATA, compile_program

pytestmark = pytest.mark.slow

# Posterior: mu[1] ~ N(1, 0.5), mu[2] ~ N(-2, 2), independent; s = mu[1] + mu[2].  The
# constant 50 leaves the posterior alone but moves the ELBO away from 0, where ADVI's
# relative-tolerance test could never be met.
NORMAL = """
parameters {
  vector[2] mu;
}
model {
  mu[1] ~ normal(1, 0.5);
  mu[2] ~ normal(-2, 2);
  target += 50;
}
generated quantities {
  real s = mu[1] + mu[2];
}
"""
MEANS = np.array([1.0, -2.0])
SDS = np.array([0.5, 2.0])



def _log_density(mu: np.ndarray) -> np.ndarray:
    """log p(mu) of NORMAL for rows of draws, normalising constants and the 50 included."""
    z = (mu - MEANS) / SDS
    return -0.5 * (z**2).sum(axis=1) - np.log(SDS).sum() - math.log(2 * math.pi) + 50




def _comments(csv_file: str | Path) -> list[str]:
    return [ln for ln in Path(csv_file).read_text().splitlines() if ln.startswith("#")]


def _draw_lines(csv_file: str | Path) -> list[str]:
    return [ln for ln in Path(csv_file).read_text().splitlines() if not ln.startswith("#")]


def _table(csv_file: str | Path) -> tuple[list[str], np.ndarray]:
    """Column names and all numeric rows of a Stan CSV (cells may be padded with spaces)."""
    lines = _draw_lines(csv_file)
    names = lines[0].split(",")
    rows = [[float(cell) for cell in line.split(",")] for line in lines[1:] if line.strip()]
    return names, np.array(rows)


def _method_block(csv_file: str | Path, method: str) -> list[str]:
    """The header lines from `method = ...` up to (not including) `id = ...`."""
    lines = _comments(csv_file)
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"# method = {method}"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("# id = "))
    return lines[start:end]


def _files(fit) -> cmdstanpy.stanfit.RunSet:
    """The run's files (cmdstanpy 1.3 keeps a Pathfinder fit's RunSet private)."""
    return fit.runset if isinstance(fit, cmdstanpy.CmdStanVB) else fit._runset


def _run(exe: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("toolchain_methods")


@pytest.fixture(scope="module")
def normal(cmdstan_dir, model_dir) -> cmdstanpy.CmdStanModel:
    return compile_program(model_dir / "normal", "normal2", NORMAL)


@pytest.fixture(scope="module")
def bernoulli(cmdstan_dir, model_dir) -> cmdstanpy.CmdStanModel:
    return compile_program(model_dir / "bernoulli", "bernoulli", BERNOULLI)


@pytest.fixture(scope="module")
def data_file(model_dir) -> Path:
    path = model_dir / "bernoulli.data.json"
    path.write_text(json.dumps(DATA))
    return path


@pytest.fixture(scope="module")
def vb(normal, model_dir) -> cmdstanpy.CmdStanVB:
    """Mean-field ADVI with the defaults (and a seed)."""
    return normal.variational(seed=11, output_dir=model_dir / "vb", show_console=False)


@pytest.fixture(scope="module")
def pf(normal, model_dir) -> cmdstanpy.CmdStanPathfinder:
    """Multi-path Pathfinder with the defaults (4 paths, PSIS resampling)."""
    return normal.pathfinder(seed=12, output_dir=model_dir / "pf")


# ---------------------------------------------------------------------------
# variational
# ---------------------------------------------------------------------------
VARIATIONAL_DEFAULT_BLOCK = """\
# method = variational
#   variational
#     algorithm = meanfield (Default)
#     iter = 10000 (Default)
#     grad_samples = 1 (Default)
#     elbo_samples = 100 (Default)
#     eta = 1 (Default)
#     adapt
#       engaged = true (Default)
#       iter = 50 (Default)
#     tol_rel_obj = 0.01 (Default)
#     eval_elbo = 100 (Default)
#     output_samples = 1000 (Default)"""


def test_variational_csv_layout(vb):
    csv = vb.runset.csv_files[0]
    assert "\n".join(_method_block(csv, "variational")) == VARIATIONAL_DEFAULT_BLOCK
    names, rows = _table(csv)
    assert names == ["lp__", "log_p__", "log_g__", "mu.1", "mu.2", "s"]
    # the mean of the approximation first, then output_samples draws
    assert rows.shape == (1001, 6)
    assert list(rows[0, :3]) == [0, 0, 0]
    assert np.all(rows[:, 0] == 0)  # ADVI writes lp__ = 0 throughout
    # log_p__ is the model's log density at the draw (constants included), log_g__ the
    # approximation's
    assert np.allclose(rows[1:, 1], _log_density(rows[1:, 3:5]), atol=1e-4)
    assert np.all(rows[1:, 2] <= 0) and np.all(np.isfinite(rows[1:, 2]))
    # eta adaptation is reported between the column names and the mean row
    text = Path(csv).read_text()
    assert re.search(
        r"^lp__,.*\n# Stepsize adaptation complete.\n# eta = [\d.]+\n0,0,0,", text, re.M
    )
    # the generated quantity is computed from each draw
    assert np.allclose(rows[:, 5], rows[:, 3] + rows[:, 4], rtol=1e-5, atol=1e-5)


def test_variational_meanfield_recovers_the_normal(vb):
    assert vb.column_names == ("lp__", "log_p__", "log_g__", "mu[1]", "mu[2]", "s")
    assert vb.variational_sample.shape == (1000, 6)
    mu = vb.stan_variable("mu", mean=False)
    assert mu.shape == (1000, 2)
    # ADVI's stochastic optimum is within a quarter of a standard deviation here
    assert np.all(np.abs(mu.mean(axis=0) - MEANS) < 0.25 * SDS)
    assert np.allclose(mu.std(axis=0), SDS, rtol=0.3)
    assert np.all(np.abs(vb.stan_variable("mu", mean=True) - MEANS) < 0.25 * SDS)
    assert vb.eta in (100, 10, 1, 0.1, 0.01)  # adaptation picks one of these


def test_variational_console(vb):
    console = Path(vb.runset.stdout_files[0]).read_text()
    assert "EXPERIMENTAL ALGORITHM" in console
    assert "Begin eta adaptation." in console
    assert "Drawing a sample of size 1000 from the approximate posterior... " in console
    assert "COMPLETED." in console


def test_variational_fullrank_and_every_argument(normal, tmp_path):
    fit = normal.variational(
        seed=3,
        algorithm="fullrank",
        iter=5000,
        grad_samples=2,
        elbo_samples=50,
        eta=0.5,
        adapt_iter=30,
        tol_rel_obj=0.005,
        eval_elbo=50,
        draws=300,
        output_dir=tmp_path,
        save_diagnostics=True,
        require_converged=False,
    )
    csv = fit.runset.csv_files[0]
    assert _method_block(csv, "variational") == [
        "# method = variational",
        "#   variational",
        "#     algorithm = fullrank",
        "#     iter = 5000",
        "#     grad_samples = 2",
        "#     elbo_samples = 50",
        "#     eta = 0.5",
        "#     adapt",
        "#       engaged = true (Default)",  # given, but equal to the default
        "#       iter = 30",
        "#     tol_rel_obj = 0.005",
        "#     eval_elbo = 50",
        "#     output_samples = 300",
    ]
    assert fit.variational_sample.shape == (300, 6)
    assert np.all(np.abs(fit.stan_variable("mu", mean=True) - MEANS) < 0.25 * SDS)
    console = Path(fit.runset.stdout_files[0]).read_text()
    assert "Iteration:  30 / 150 [ 20%]  (Adaptation)" in console  # adapt iter=30, 5 etas
    # the ELBO is evaluated every eval_elbo iterations, on the console and in the
    # diagnostic file (its column names are a comment, as Stan writes them)
    table = [int(m) for m in re.findall(r"^\s+(\d+)\s+-?[\d.]+\s+[\d.]+\s+[\d.]+", console, re.M)]
    assert table[:3] == [50, 100, 150] and all(i % 50 == 0 for i in table)
    diagnostic = Path(fit.runset.diagnostic_files[0])
    assert "# iter,time_in_seconds,ELBO" in _comments(diagnostic)
    rows = _draw_lines(diagnostic)
    assert [int(r.split(",")[0]) for r in rows] == table
    elbo = np.array([float(r.split(",")[2]) for r in rows])
    # a (noisy) lower bound of the log normalising constant, 50, which it reaches
    assert elbo.max() == pytest.approx(50, abs=0.5)
    assert np.median(elbo) < 50.5


def test_variational_without_adaptation(normal, tmp_path):
    """Without eta adaptation Stan writes no adaptation comments, so cmdstanpy 1.3 (which
    reads eta from them) cannot load the result; the CSV itself is complete."""
    with pytest.raises(ValueError, match="An error occurred when parsing Stan csv") as err:
        normal.variational(
            seed=4,
            adapt_engaged=False,
            eta=0.2,
            tol_rel_obj=0.0005,
            output_dir=tmp_path,
            require_converged=False,
        )
    assert "Unable to parse eta from Stan CSV" in str(err.value.__cause__)
    (csv,) = [p for p in tmp_path.glob("*.csv") if "stdout" not in p.name]
    assert "#       engaged = false" in _comments(csv)
    assert "#     eta = 0.2" in _comments(csv)
    text = Path(csv).read_text()
    assert "Stepsize adaptation complete." not in text
    assert re.search(r"^lp__,log_p__,log_g__,mu.1,mu.2,s\n0,0,0,", text, re.M)
    _, rows = _table(csv)
    assert rows.shape == (1001, 6)
    assert np.all(np.abs(rows[1:, 3:5].mean(axis=0) - MEANS) < 0.25 * SDS)


def test_variational_same_seed_same_draws(vb, normal, tmp_path):
    again = normal.variational(seed=11, output_dir=tmp_path)
    assert _draw_lines(again.runset.csv_files[0]) == _draw_lines(vb.runset.csv_files[0])
    other = normal.variational(seed=12, output_dir=tmp_path / "other")
    assert _draw_lines(other.runset.csv_files[0]) != _draw_lines(vb.runset.csv_files[0])


def test_variational_bernoulli_and_generated_quantities(bernoulli, data_file, tmp_path):
    fit = bernoulli.variational(data=str(data_file), seed=5, output_dir=tmp_path / "vb")
    theta = fit.stan_variable("theta", mean=False)
    assert fit.variational_sample.shape == (1000, 6)
    assert 0.1 < theta.mean() < 0.4
    gq = bernoulli.generate_quantities(
        data=str(data_file), previous_fit=fit, seed=6, gq_output_dir=str(tmp_path / "gq")
    )
    # CmdStan 2.35 generates for every row of the fitted CSV, the mean row included;
    # cmdstanpy drops that first row again
    names, rows = _table(gq.runset.csv_files[0])
    assert names == ["y_rep", "log_lik"]
    assert rows.shape == (1001, 2)
    _, fitted = _table(fit.runset.csv_files[0])
    t = fitted[:, 3]
    assert np.allclose(rows[:, 1], 2 * np.log(t) + 8 * np.log1p(-t), rtol=1e-5)
    assert gq.stan_variable("log_lik").shape == (1000,)
    assert np.allclose(
        gq.stan_variable("log_lik"), 2 * np.log(theta) + 8 * np.log1p(-theta), rtol=1e-5
    )
    assert set(np.unique(gq.stan_variable("y_rep"))) <= {0, 1}


# ---------------------------------------------------------------------------
# pathfinder
# ---------------------------------------------------------------------------
PATHFINDER_DEFAULT_BLOCK = """\
# method = pathfinder
#   pathfinder
#     init_alpha = 0.001 (Default)
#     tol_obj = 1e-12 (Default)
#     tol_rel_obj = 10000 (Default)
#     tol_grad = 1e-08 (Default)
#     tol_rel_grad = 1e+07 (Default)
#     tol_param = 1e-08 (Default)
#     history_size = 5 (Default)
#     num_psis_draws = 1000 (Default)
#     num_paths = 4 (Default)
#     save_single_paths = false (Default)
#     psis_resample = true (Default)
#     calculate_lp = true (Default)
#     max_lbfgs_iters = 1000 (Default)
#     num_draws = 1000 (Default)
#     num_elbo_draws = 25 (Default)"""


def test_pathfinder_csv_layout(pf):
    csv = _files(pf).csv_files[0]
    assert "\n".join(_method_block(csv, "pathfinder")) == PATHFINDER_DEFAULT_BLOCK
    names, rows = _table(csv)
    assert names == ["lp_approx__", "lp__", "mu.1", "mu.2", "s"]
    assert rows.shape == (1000, 5)  # num_psis_draws
    assert np.all(np.isfinite(rows))
    # lp__ is the model's log density at the draw, normalising constants included
    assert np.allclose(rows[:, 1], _log_density(rows[:, 2:4]), atol=1e-6)
    assert np.allclose(rows[:, 4], rows[:, 2:4].sum(axis=1), rtol=1e-5, atol=1e-5)
    comments = _comments(csv)
    assert re.fullmatch(r"# Elapsed Time: [\d.]+ seconds \(Pathfinders\)", comments[-4])
    assert re.fullmatch(r"#\s+[\d.]+ seconds \(PSIS\)", comments[-3])
    assert re.fullmatch(r"#\s+[\d.]+ seconds \(Total\)", comments[-2])


def test_pathfinder_recovers_the_normal(pf):
    assert pf.column_names == ("lp_approx__", "lp__", "mu[1]", "mu[2]", "s")
    assert pf.draws().shape == (1000, 5)
    mu = pf.stan_variable("mu")
    assert np.allclose(mu.mean(axis=0), MEANS, atol=0.2)
    assert np.allclose(mu.std(axis=0), SDS, rtol=0.2)
    assert pf.is_resampled


def test_pathfinder_console(pf):
    console = Path(_files(pf).stdout_files[0]).read_text()
    for path in (1, 2, 3, 4):
        assert f"Path [{path}] :Initial log joint density = " in console
        assert re.search(rf"Path \[{path}\] :Best Iter: \[\d+\] ELBO \(", console)
    assert "Total log probability function evaluations:" in console


def test_pathfinder_best_elbo_column_is_stan_235s(normal, tmp_path):
    """Stan 2.35 prints the current ELBO in the progress table's "Best ELBO" column (and
    repeats the table header before every line); the "Best Iter" line is right."""
    fit = normal.pathfinder(seed=3, num_paths=1, refresh=1, draws=100, output_dir=tmp_path)
    console = Path(_files(fit).stdout_files[0]).read_text()
    header = "Path [1] : Iter      log prob        ||dx||      ||grad||     alpha      alpha0"
    rows = re.findall(
        r"^\s+(\d+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\S+)\s+(\S+)\s*$", console, re.M
    )
    assert len(rows) >= 5
    assert console.count(header) == len(rows)
    assert all(elbo == best for _, elbo, best in rows)
    best_column = [float(best) for _, _, best in rows]
    assert best_column != sorted(best_column)  # not a running maximum
    best_iter, best_elbo = re.search(
        r"Path \[1\] :Best Iter: \[(\d+)\] ELBO \((\S+)\)", console
    ).groups()
    elbo_at = {int(i): float(e) for i, e, _ in rows}
    assert elbo_at[int(best_iter)] == pytest.approx(float(best_elbo), rel=1e-3)
    assert float(best_elbo) == pytest.approx(max(elbo_at.values()), rel=1e-3)


def test_pathfinder_single_path(normal, tmp_path):
    fit = normal.pathfinder(seed=7, num_paths=1, draws=400, output_dir=tmp_path)
    csv = _files(fit).csv_files[0]
    block = _method_block(csv, "pathfinder")
    assert "#     num_paths = 1" in block and "#     num_draws = 400" in block
    names, rows = _table(csv)
    assert names == ["lp_approx__", "lp__", "mu.1", "mu.2", "s"]
    assert rows.shape == (400, 5)
    assert not fit.is_resampled
    assert np.allclose(rows[:, 2:4].mean(axis=0), MEANS, atol=0.3)
    assert re.fullmatch(r"# Elapsed Time: [\d.]+ seconds \(Pathfinder\)", _comments(csv)[-2])
    # no single-path files unless asked for
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []


def test_pathfinder_without_resampling_returns_every_draw(normal, tmp_path):
    fit = normal.pathfinder(
        seed=8, num_paths=3, num_single_draws=200, psis_resample=False, output_dir=tmp_path
    )
    csv = _files(fit).csv_files[0]
    assert "#     psis_resample = false" in _comments(csv)
    _, rows = _table(csv)
    assert rows.shape == (600, 5)  # num_paths * num_draws
    assert re.fullmatch(r"# Elapsed Time: [\d.]+ seconds \(Total\)", _comments(csv)[-2])
    assert not fit.is_resampled


def test_pathfinder_calculate_lp_false(normal, tmp_path):
    fit = normal.pathfinder(
        seed=9, num_paths=2, num_single_draws=300, calculate_lp=False, output_dir=tmp_path
    )
    csv = _files(fit).csv_files[0]
    assert "#     calculate_lp = false" in _comments(csv)
    _, rows = _table(csv)
    # no PSIS without lp: all num_paths * num_draws draws; only the draws that served
    # for the ELBO keep their lp__, the others have NaN
    assert rows.shape == (600, 5)
    lp = rows[:, 1]
    assert np.isnan(lp).sum() > 0 and np.isfinite(lp).sum() > 0
    assert np.all(np.isfinite(rows[:, 2:]))


def test_pathfinder_every_lbfgs_argument(normal, tmp_path):
    fit = normal.pathfinder(
        seed=10,
        init_alpha=0.01,
        tol_obj=1e-10,
        tol_rel_obj=1000,
        tol_grad=1e-7,
        tol_rel_grad=1e6,
        tol_param=1e-9,
        history_size=4,
        draws=500,
        num_paths=2,
        max_lbfgs_iters=200,
        num_single_draws=300,
        num_elbo_draws=30,
        output_dir=tmp_path,
    )
    block = _method_block(_files(fit).csv_files[0], "pathfinder")
    for line in (
        "init_alpha = 0.01",
        "tol_obj = 1e-10",
        "tol_rel_obj = 1000",
        "tol_grad = 1e-07",
        "tol_rel_grad = 1e+06",
        "tol_param = 1e-09",
        "history_size = 4",
        "num_psis_draws = 500",
        "num_paths = 2",
        "max_lbfgs_iters = 200",
        "num_draws = 300",
        "num_elbo_draws = 30",
    ):
        assert f"#     {line}" in block
    assert fit.draws().shape == (500, 5)


def test_pathfinder_max_lbfgs_iters_limits_the_path(normal, tmp_path):
    """With one L-BFGS iteration the optimiser stops early and Stan says so."""
    fit = normal.pathfinder(
        seed=10, num_paths=1, max_lbfgs_iters=1, draws=100, output_dir=tmp_path, inits=5
    )
    console = Path(_files(fit).stdout_files[0]).read_text()
    assert "Path [1] :Best Iter: [1]" in console
    assert fit.draws().shape == (100, 5)


def test_pathfinder_save_single_paths(normal, tmp_path):
    exe = normal.exe_file
    proc = _run(
        exe,
        "method=pathfinder",
        "num_paths=2",
        "num_draws=100",
        "num_psis_draws=150",
        "save_single_paths=1",
        "random",
        "seed=13",
        "output",
        f"file={tmp_path / 'out.csv'}",
    )
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        "out.csv",
        "out_path_1.csv",
        "out_path_1.json",
        "out_path_2.csv",
        "out_path_2.json",
    ]
    for i in (1, 2):
        names, rows = _table(tmp_path / f"out_path_{i}.csv")
        assert names == ["lp_approx__", "lp__", "mu.1", "mu.2", "s"]
        assert rows.shape == (100, 5)
        assert "#     save_single_paths = true" in _comments(tmp_path / f"out_path_{i}.csv")
        trace = json.loads((tmp_path / f"out_path_{i}.json").read_text())
        assert trace["0"]["iter"] == 0 and len(trace["0"]["unconstrained_parameters"]) == 2
        assert any(rec.get("pathfinder_success") for rec in trace.values())
    _, rows = _table(tmp_path / "out.csv")
    assert rows.shape == (150, 5)
    # the resampled draws are draws of the single paths
    singles = np.vstack([_table(tmp_path / f"out_path_{i}.csv")[1] for i in (1, 2)])
    assert all((np.abs(singles - row).max(axis=1) < 1e-5).any() for row in rows[:20])


def test_pathfinder_single_path_diagnostic_json(normal, tmp_path):
    """One path: the trace goes to the diagnostic file (as JSON) when one is given."""
    proc = _run(
        normal.exe_file,
        "method=pathfinder",
        "num_paths=1",
        "num_draws=50",
        "random",
        "seed=14",
        "output",
        f"file={tmp_path / 'one.csv'}",
        f"diagnostic_file={tmp_path / 'trace.csv'}",
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.csv", "trace.json"]
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert "0" in trace and "1" in trace


def test_pathfinder_same_seed_same_draws(pf, normal, tmp_path):
    again = normal.pathfinder(seed=12, output_dir=tmp_path)
    assert _draw_lines(_files(again).csv_files[0]) == _draw_lines(_files(pf).csv_files[0])
    other = normal.pathfinder(seed=13, output_dir=tmp_path / "other")
    assert _draw_lines(_files(other).csv_files[0]) != _draw_lines(_files(pf).csv_files[0])


def test_pathfinder_threads_give_the_same_draws(cmdstan_dir, model_dir, pf, monkeypatch):
    threaded = compile_program(
        model_dir / "normal_threads", "normal2", NORMAL, cpp_options={"STAN_THREADS": True}
    )
    assert threaded.exe_info()["STAN_THREADS"] == "true"
    monkeypatch.delenv("STAN_NUM_THREADS", raising=False)
    fit = threaded.pathfinder(seed=12, num_threads=2, output_dir=model_dir / "pf_threads")
    csv = _files(fit).csv_files[0]
    assert "# num_threads = 2" in _comments(csv)
    # the paths are independent streams, so running them on two threads changes nothing
    assert _draw_lines(csv) == _draw_lines(_files(pf).csv_files[0])
    proc = _run(
        threaded.exe_file,
        "method=pathfinder",
        "random",
        "seed=12",
        "output",
        f"file={model_dir / 'pf_threads' / 'direct.csv'}",
        "num_threads=2",
    )
    assert proc.returncode == 0, proc.stderr
    assert _draw_lines(model_dir / "pf_threads" / "direct.csv") == _draw_lines(csv)


def test_pathfinder_bernoulli_and_generated_quantities(bernoulli, data_file, tmp_path):
    fit = bernoulli.pathfinder(data=str(data_file), seed=15, output_dir=tmp_path / "pf")
    theta = fit.stan_variable("theta")
    assert 0.1 < theta.mean() < 0.4
    # cmdstanpy 1.3 takes only sampler, optimizer and ADVI fits for generate_quantities,
    # so the executable is run as cmdstanpy would
    out = tmp_path / "gq.csv"
    proc = _run(
        bernoulli.exe_file,
        "method=generate_quantities",
        f"fitted_params={_files(fit).csv_files[0]}",
        "data",
        f"file={data_file}",
        "random",
        "seed=16",
        "output",
        f"file={out}",
    )
    assert proc.returncode == 0, proc.stderr
    names, rows = _table(out)
    assert names == ["y_rep", "log_lik"]
    assert rows.shape == (1000, 2)
    assert np.allclose(rows[:, 1], 2 * np.log(theta) + 8 * np.log1p(-theta), rtol=1e-5)
    assert set(np.unique(rows[:, 0])) <= {0, 1}


# ---------------------------------------------------------------------------
# Argument errors: CmdStan's wording.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["method=pathfinder", "num_paths=0"], '0 is not a valid value for "num_paths"'),
        (["method=pathfinder", "num_paths=0"], "Valid values: 0 < num_paths"),
        (
            ["method=pathfinder", "num_psis_draws=-5"],
            '-5 is not a valid value for "num_psis_draws"',
        ),
        (["method=pathfinder", "num_draws=0"], "Valid values: 0 < num_draws"),
        (["method=pathfinder", "num_elbo_draws=0"], "Valid values: 0 < num_elbo_draws"),
        (["method=pathfinder", "max_lbfgs_iters=0"], "Valid values: 0 < max_lbfgs_iters"),
        (["method=pathfinder", "history_size=0"], "Valid values: 0 < history_size"),
        (["method=pathfinder", "init_alpha=0"], "Valid values: 0 < init_alpha"),
        (["method=pathfinder", "tol_obj=-1"], "Valid values: 0 <= tol_obj"),
        (["method=pathfinder", "psis_resample=maybe"], "Valid values: [0, 1, false, true]"),
        (["method=pathfinder", "num_samples=10"], "num_samples=10 is either mistyped or misplaced"),
        (
            ["method=variational", "algorithm=halfrank"],
            'halfrank is not a valid value for "algorithm"',
        ),
        (["method=variational", "algorithm=halfrank"], "Valid values: meanfield fullrank"),
        (["method=variational", "iter=0"], "Valid values: 0 < iter"),
        (["method=variational", "grad_samples=0"], "Valid values: 0 < num_samples"),
        (["method=variational", "elbo_samples=0"], '0 is not a valid value for "elbo_samples"'),
        (["method=variational", "eta=0"], "Valid values: 0 < eta"),
        (["method=variational", "adapt", "iter=0"], "Valid values: 0 < iter"),
        (["method=variational", "tol_rel_obj=-0.1"], "Valid values: 0 < tol_rel_obj"),
        (["method=variational", "eval_elbo=0"], "Valid values: 0 < eval_elbo"),
        (["method=variational", "output_samples=0"], "Valid values: 0 < output_samples"),
        (["method=variational", "draws=10"], "draws=10 is either mistyped or misplaced"),
    ],
)
def test_bad_arguments_are_named(normal, args, message):
    proc = _run(normal.exe_file, *args)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert "Failed to parse arguments" in proc.stdout + proc.stderr


def test_help_lists_the_new_arguments(normal):
    proc = _run(normal.exe_file, "method=pathfinder", "help")
    assert proc.returncode == 0
    assert "num_paths=<int>" in proc.stdout and "psis_resample=<boolean>" in proc.stdout
    proc = _run(normal.exe_file, "method=variational", "help-all")
    assert "algorithm=<list element>" in proc.stdout and "fullrank" in proc.stdout


def test_model_without_parameters_is_refused(cmdstan_dir, model_dir, tmp_path):
    model = compile_program(
        model_dir / "noparams", "noparams", "generated quantities { real x = normal_rng(0, 1); }"
    )
    proc = _run(model.exe_file, "method=pathfinder", "output", f"file={tmp_path / 'p.csv'}")
    assert proc.returncode != 0
    assert "Model has 0 parameters, cannot run Pathfinder." in proc.stderr


def test_psis_draws_beyond_the_draws_warns(normal, tmp_path):
    fit = normal.pathfinder(
        seed=1, num_paths=2, num_single_draws=100, draws=500, output_dir=tmp_path
    )
    console = Path(_files(fit).stdout_files[0]).read_text()
    assert (
        "Warning: Number of PSIS draws is larger than the total number of draws returned by "
        "the single Pathfinders." in console
    )
    assert fit.draws().shape == (500, 5)


# ---------------------------------------------------------------------------
# stansummary and diagnose on their output.
# ---------------------------------------------------------------------------
def _stansummary(cmdstan_dir: Path, csv: str, out: Path) -> tuple[str, dict[str, dict]]:
    proc = subprocess.run(
        [str(cmdstan_dir / "bin" / "stansummary"), "--sig_figs=6", f"--csv_filename={out}", csv],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in out.read_text().splitlines() if not ln.startswith("#")]
    header = [h.strip('"') for h in lines[0].split(",")]
    table = {}
    for line in lines[1:]:
        cells = line.split(",")
        table[cells[0].strip('"')] = dict(
            zip(header[1:], (float(c) for c in cells[1:]), strict=True)
        )
    return proc.stdout, table


def test_stansummary_and_diagnose_on_variational_output(vb, cmdstan_dir, tmp_path):
    csv = vb.runset.csv_files[0]
    text, table = _stansummary(cmdstan_dir, csv, tmp_path / "summary.csv")
    # CmdStan 2.35's stansummary reads every row, the ADVI mean row included
    _, rows = _table(csv)
    assert list(table) == ["lp__", "log_p__", "log_g__", "mu[1]", "mu[2]", "s"]
    assert table["mu[1]"]["Mean"] == pytest.approx(rows[:, 3].mean(), rel=1e-4)
    assert table["mu[2]"]["StdDev"] == pytest.approx(rows[:, 4].std(ddof=1), rel=1e-4)
    assert "1 chains: each with iter=(1001); warmup=(0); thin=(0); 1001 iterations saved." in text
    assert "Samples were drawn using meanfield with ." in text
    proc = subprocess.run(
        [str(cmdstan_dir / "bin" / "diagnose"), csv], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "Processing complete" in proc.stdout
    # no sampler columns: only the effective sample size and R-hat checks run
    assert "treedepth" not in proc.stdout and "divergences" not in proc.stdout
    assert "Effective sample size satisfactory." in proc.stdout


def test_stansummary_and_diagnose_on_pathfinder_output(pf, cmdstan_dir, tmp_path):
    csv = _files(pf).csv_files[0]
    _, table = _stansummary(cmdstan_dir, csv, tmp_path / "summary.csv")
    _, rows = _table(csv)
    assert list(table) == ["lp_approx__", "lp__", "mu[1]", "mu[2]", "s"]
    assert table["mu[1]"]["Mean"] == pytest.approx(rows[:, 2].mean(), rel=1e-4)
    assert table["s"]["Mean"] == pytest.approx(rows[:, 4].mean(), rel=1e-4, abs=1e-4)
    proc = subprocess.run(
        [str(cmdstan_dir / "bin" / "diagnose"), csv], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "Processing complete" in proc.stdout


def test_outputs_do_not_depend_on_the_working_directory(normal, tmp_path):
    """Relative output names are relative to the working directory, as in CmdStan."""
    proc = _run(
        normal.exe_file,
        "method=pathfinder",
        "num_paths=2",
        "num_draws=50",
        "num_psis_draws=50",
        "save_single_paths=1",
        "output",
        "file=rel.csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert {"rel.csv", "rel_path_1.csv", "rel_path_2.json"} <= {p.name for p in tmp_path.iterdir()}
    assert os.path.getsize(tmp_path / "rel.csv") > 0
    assert math.isfinite(_table(tmp_path / "rel.csv")[1].sum())
