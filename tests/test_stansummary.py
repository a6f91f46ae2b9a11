"""The CmdStan 2.35 helper programs built from workflow/mlmpipe/toolchain/src:
``stansummary`` (what cmdstanpy's ``fit.summary()`` runs) and ``diagnose``
(``fit.diagnose()``).

Both programs are compiled once per session (g++ against the Stan headers of
the httpstan wheel) and run on synthetic sampler CSV files written in CmdStan
2.35's layout.  Their numbers are checked against independent computations:
numpy for means, standard deviations and the Boost tail-quantile rule CmdStan
uses; arviz's classic (not split, not rank-normalised) multi-chain ESS, which
is what CmdStan 2.35's stansummary reports as N_Eff; arviz's classic split
R-hat for R_hat.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
from arviz.stats.diagnostics import _ess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stan_csv_synth import make_chain, read_draws, write_sampler_csv, write_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "workflow" / "mlmpipe" / "toolchain" / "src"
CMDSTAN = ROOT / ".cmdstan" / "cmdstan-2.35.0"

SAMPLER_ROWS = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
]
MODEL_ROWS = [
    "mu",
    "sigma",
    "theta[1]",
    "theta[2]",
    "theta[3]",
    # the CSV holds Sigma column-major; stansummary lists it row-major
    "Sigma[1,1]",
    "Sigma[1,2]",
    "Sigma[2,1]",
    "Sigma[2,2]",
]
SUMMARY_COLUMNS = ["Mean", "MCSE", "StdDev", "5%", "50%", "95%", "N_Eff", "N_Eff/s", "R_hat"]


# ---------------------------------------------------------------------------
# building the programs and the data
# ---------------------------------------------------------------------------


def _httpstan_dir() -> Path:
    spec = importlib.util.find_spec("httpstan")
    assert spec is not None and spec.origin, "httpstan (the Stan headers) is not installed"
    return Path(spec.origin).parent


@pytest.fixture(scope="session")
def helpers(tmp_path_factory) -> dict[str, Path]:
    """Compile stansummary and diagnose (one after the other: the machine is
    shared) with the documented command; fail, not skip, when that breaks."""
    gxx = shutil.which("g++")
    assert gxx, "g++ is needed to build the CmdStan helper programs"
    h = _httpstan_dir()
    outdir = tmp_path_factory.mktemp("helpers")
    built = {}
    for name in ("stansummary", "diagnose"):
        exe = outdir / name
        cmd = [
            gxx,
            "-std=c++17",
            "-O2",
            "-DBOOST_DISABLE_ASSERTS",
            "-D_REENTRANT",
            f"-I{h / 'include'}",
            str(SRC / f"{name}.cpp"),
            "-o",
            str(exe),
            f"-L{h / 'lib'}",
            "-ltbb",
            f"-Wl,-rpath,{h / 'lib'}",
        ]
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.monotonic() - start
        assert proc.returncode == 0, f"compiling {name} failed:\n{proc.stderr[-5000:]}"
        assert not proc.stderr.strip(), f"compiler warnings for {name}:\n{proc.stderr[-3000:]}"
        print(f"compiled {name} in {seconds:.1f} s")
        built[name] = exe
    return built


@pytest.fixture(scope="session")
def csvs(tmp_path_factory) -> dict[str, list[Path]]:
    d = tmp_path_factory.mktemp("csv")
    return {
        "good": write_scenario(d, "good"),
        "one": write_scenario(d, "one", chains=1, seed=7),
        "divergent": write_scenario(d, "divergent", seed=11, n_divergent=7),
        "bad": write_scenario(
            d,
            "bad",
            seed=5,
            shift=3.0,
            n_divergent=25,
            n_max_treedepth=40,
            sticky_energy=True,
            stuck_param=True,
        ),
        "depth8": write_scenario(d, "depth8", chains=2, seed=3, max_depth=8, n_max_treedepth=3),
    }


def run(exe: Path, *args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def summary_csv(helpers, files, tmp_path, *extra) -> pd.DataFrame:
    """Run stansummary exactly as cmdstanpy 1.3.2 does and read its CSV the same way."""
    out = tmp_path / "summary.csv"
    proc = run(
        helpers["stansummary"],
        "--percentiles= 5,50,95",
        "--sig_figs=6",
        f"--csv_filename={out}",
        *extra,
        *files,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # cmdstanpy also passes float_precision="high", which pandas 3 deprecates
    return pd.read_csv(out, delimiter=",", header=0, index_col=0, comment="#")


def tail_quantile(x: np.ndarray, p: float) -> float:
    """Boost.Accumulators' tail_quantile as stan::mcmc::chains uses it: the
    ceil(n p)-th smallest draw for p < 0.5, else the ceil(n (1-p))-th largest."""
    s = np.sort(x)
    n = len(s)
    if p < 0.5:
        return s[math.ceil(n * p) - 1]
    return s[n - math.ceil(n * (1.0 - p))]


def ebfmi(energy: np.ndarray) -> float:
    """E-BFMI as CmdStan 2.35's diagnose computes it: all chains laid end to end."""
    e = energy.reshape(-1)
    return np.mean(np.diff(e) ** 2) / np.var(e, ddof=1)


# ---------------------------------------------------------------------------
# stansummary: the CSV cmdstanpy reads
# ---------------------------------------------------------------------------


def test_csv_has_cmdstan_235_columns_and_rows(helpers, csvs, tmp_path):
    df = summary_csv(helpers, csvs["good"], tmp_path)
    assert list(df.columns) == SUMMARY_COLUMNS
    assert list(df.index) == SAMPLER_ROWS + MODEL_ROWS
    text = (tmp_path / "summary.csv").read_text().splitlines()
    assert text[0] == "name," + ",".join(SUMMARY_COLUMNS)
    assert text[1].startswith('"lp__",')
    comments = [ln for ln in text if ln.startswith("#")]
    assert comments[0] == "# Inference for Stan model: good_model"
    assert comments[-4:] == [
        "# Samples were drawn using hmc with nuts.",
        "# For each parameter, N_Eff is a crude measure of effective sample size,",
        "# and R_hat is the potential scale reduction factor on split chains (at ",
        "# convergence, R_hat=1).",
    ]


def test_means_sds_and_percentiles_match_numpy(helpers, csvs, tmp_path):
    df = summary_csv(helpers, csvs["good"], tmp_path)
    draws = read_draws(csvs["good"])
    for name in SAMPLER_ROWS + MODEL_ROWS:
        x = draws[name].reshape(-1)
        row = df.loc[name]
        scale = max(abs(x).max(), 1.0)
        assert row["Mean"] == pytest.approx(x.mean(), rel=2e-5, abs=1e-9 * scale), name
        assert row["StdDev"] == pytest.approx(x.std(ddof=1), rel=2e-5, abs=1e-9 * scale), name
        for label, p in (("5%", 0.05), ("50%", 0.5), ("95%", 0.95)):
            assert row[label] == pytest.approx(tail_quantile(x, p), rel=1e-5, abs=1e-12), (
                name,
                label,
            )
        # and plausibly close to numpy's interpolated percentiles
        assert row["50%"] == pytest.approx(np.percentile(x, 50), abs=0.05 * x.std() + 1e-12)


def test_percentiles_option(helpers, csvs, tmp_path):
    out = tmp_path / "p.csv"
    proc = run(
        helpers["stansummary"], "-p", "1, 25,75 ,99", "-c", out, "--sig_figs", "4", *csvs["good"]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    df = pd.read_csv(out, index_col=0, comment="#")
    assert list(df.columns) == ["Mean", "MCSE", "StdDev", "1%", "25%", "75%", "99%",
                                "N_Eff", "N_Eff/s", "R_hat"]  # fmt: skip
    x = read_draws(csvs["good"])["mu"].reshape(-1)
    for label, p in (("1%", 0.01), ("25%", 0.25), ("75%", 0.75), ("99%", 0.99)):
        assert df.loc["mu", label] == pytest.approx(tail_quantile(x, p), rel=1e-3)
    # --sig_figs=4 is the CSV precision too: at most 4 significant digits
    first = out.read_text().splitlines()[1].split(",")
    digits = [v.split("e")[0].lstrip("-").replace(".", "").lstrip("0") for v in first[1:]]
    assert all(len(d) <= 4 for d in digits if d != "nan"), first


def test_ess_is_classic_multichain_ess(helpers, csvs, tmp_path):
    """N_Eff is stan::mcmc::chains::effective_sample_size: Geyer's initial
    monotone sequence over all chains, no splitting, no rank normalisation --
    arviz's ``_ess`` on the unsplit chains."""
    df = summary_csv(helpers, csvs["good"], tmp_path)
    draws = read_draws(csvs["good"])
    for name in ["lp__", "accept_stat__", "energy__"] + MODEL_ROWS:
        expected = _ess(draws[name])
        assert df.loc[name, "N_Eff"] == pytest.approx(expected, rel=1e-4), name
    # not the rank-normalised bulk ESS that CmdStan 2.36 reports
    bulk = az.ess(draws["mu"], method="bulk")
    assert df.loc["mu", "N_Eff"] != pytest.approx(bulk, rel=1e-6)
    # AR(1) with phi = 0.3: ESS ~ N (1 - phi) / (1 + phi) ~ 2150
    assert 1500 < df.loc["mu", "N_Eff"] < 2900
    # iid-ish draws: close to the number of draws
    assert 3000 < df.loc["theta[1]", "N_Eff"] < 5000
    # constant columns have no ESS
    assert np.isnan(df.loc["stepsize__", "N_Eff"])
    assert np.isnan(df.loc["divergent__", "N_Eff"])


def test_mcse_and_ess_per_second(helpers, csvs, tmp_path):
    df = summary_csv(helpers, csvs["good"], tmp_path)
    total_sampling = sum(0.052 + 0.003 * k for k in range(4))
    for name in MODEL_ROWS:
        row = df.loc[name]
        assert row["MCSE"] == pytest.approx(row["StdDev"] / math.sqrt(row["N_Eff"]), rel=1e-5)
        assert row["N_Eff/s"] == pytest.approx(row["N_Eff"] / total_sampling, rel=1e-5)


def test_rhat_is_classic_split_rhat(helpers, csvs, tmp_path):
    good = summary_csv(helpers, csvs["good"], tmp_path)
    draws = read_draws(csvs["good"])
    for name in MODEL_ROWS:
        assert good.loc[name, "R_hat"] == pytest.approx(
            az.rhat(draws[name], method="split"), rel=1e-5
        ), name
        assert good.loc[name, "R_hat"] < 1.01, name

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = summary_csv(helpers, csvs["bad"], bad_dir)
    bad_draws = read_draws(csvs["bad"])
    # chain means 1, 4, 7, 10 with sd 2: far from converged
    assert bad.loc["mu", "R_hat"] > 1.5
    assert bad.loc["mu", "R_hat"] == pytest.approx(
        az.rhat(bad_draws["mu"], method="split"), rel=1e-5
    )
    assert bad.loc["theta[1]", "R_hat"] < 1.05


def test_cmdstanpy_style_call_leaves_stdout_table(helpers, csvs, tmp_path):
    """cmdstanpy checks only the exit status; the console table is printed too."""
    out = tmp_path / "s.csv"
    proc = run(
        helpers["stansummary"],
        "--percentiles= 5,50,95",
        "--sig_figs=6",
        f"--csv_filename={out}",
        *csvs["good"],
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("Inference for Stan model: good_model\n")
    assert out.exists()


# ---------------------------------------------------------------------------
# stansummary: console output
# ---------------------------------------------------------------------------


def _table(stdout: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = stdout.splitlines()
    header = lines[6].split()
    rows = {}
    for ln in lines[8:]:
        parts = ln.split()
        if parts and (parts[0] in SAMPLER_ROWS or parts[0] in MODEL_ROWS or parts[0] == "stuck"):
            rows[parts[0]] = parts[1:]
    return header, rows


def test_console_header_table_and_footer(helpers, csvs, tmp_path):
    proc = run(helpers["stansummary"], *csvs["good"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Inference for Stan model: good_model"
    assert lines[1] == (
        "4 chains: each with iter=(1000,1000,1000,1000); warmup=(0,0,0,0); "
        "thin=(1,1,1,1); 4000 iterations saved."
    )
    assert lines[2] == ""
    assert lines[3] == "Warmup took (0.031, 0.033, 0.035, 0.037) seconds, 0.14 seconds total"
    assert lines[4] == "Sampling took (0.052, 0.055, 0.058, 0.061) seconds, 0.23 seconds total"
    assert lines[5] == ""
    assert lines[7] == ""
    header, rows = _table(proc.stdout)
    assert header == SUMMARY_COLUMNS
    assert list(rows) == SAMPLER_ROWS + MODEL_ROWS
    # the column labels are right-aligned over the values
    label_ends = [lines[6].index(h) + len(h) for h in SUMMARY_COLUMNS]
    for ln in lines[8:15] + lines[16:25]:
        assert all(ln[end - 1] != " " for end in label_ends), ln
    assert lines[15] == ""
    assert lines[-5] == ""
    assert lines[-4:] == [
        "Samples were drawn using hmc with nuts.",
        "For each parameter, N_Eff is a crude measure of effective sample size,",
        "and R_hat is the potential scale reduction factor on split chains (at ",
        "convergence, R_hat=1).",
    ]

    # 2 significant digits of the same numbers as the CSV
    df = summary_csv(helpers, csvs["good"], tmp_path)
    for name in MODEL_ROWS + ["lp__", "accept_stat__"]:
        for col, shown in zip(SUMMARY_COLUMNS, rows[name], strict=True):
            value = df.loc[name, col]
            assert float(shown) == pytest.approx(value, rel=0.06, abs=1e-12), (name, col, shown)


def test_console_fixed_and_scientific_layout(helpers, csvs):
    """CmdStan's layout rules: 2 significant digits by default, a column in
    fixed notation if every value fits in 6 characters, else scientific."""
    proc = run(helpers["stansummary"], *csvs["good"])
    _, rows = _table(proc.stdout)
    assert rows["divergent__"][:3] == ["0.00", "nan", "0.0e+00"]
    assert rows["stepsize__"][6:] == ["nan", "nan", "nan"]
    assert rows["theta[1]"][-1] in {"1.00", "1.0"}
    proc4 = run(helpers["stansummary"], "--sig_figs=4", *csvs["good"])
    _, rows4 = _table(proc4.stdout)
    mantissa = rows4["mu"][0].split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    assert len(mantissa) == 4, rows4["mu"]


def test_single_chain_timing_line(helpers, csvs):
    proc = run(helpers["stansummary"], *csvs["one"])
    lines = proc.stdout.splitlines()
    assert lines[1] == (
        "1 chains: each with iter=(1000); warmup=(0); thin=(1); 1000 iterations saved."
    )
    assert lines[3] == "Warmup took 0.031 seconds"
    assert lines[4] == "Sampling took 0.052 seconds"


def test_save_warmup_files_are_read_as_cmdstan_235_reads_them(helpers, tmp_path):
    """With save_warmup the warmup draws precede the adaptation block.  Stan
    2.35's CSV reader then warns about the adaptation block and, as 2.35 writes
    the flag as "true" which it does not parse, keeps every row as a draw;
    stansummary (and cmdstanpy's summary()) therefore include the warmup."""
    rng = np.random.default_rng(2)
    files = []
    for k in (1, 2):
        warm = make_chain(rng, 200)
        draws = make_chain(rng, 1000)
        files.append(
            write_sampler_csv(tmp_path / f"sw_{k}.csv", draws, warmup=warm, chain_id=k, model="sw")
        )
    proc = run(helpers["stansummary"], *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["Warning: non-fatal error reading adaptation data"] * 2
    assert lines[3] == (
        "2 chains: each with iter=(1200,1200); warmup=(0,0); thin=(1,1); 2400 iterations saved."
    )
    df = summary_csv(helpers, files, tmp_path)
    mu = read_draws(files)["mu"]
    assert mu.shape == (2, 1200)
    assert df.loc["mu", "Mean"] == pytest.approx(mu.mean(), rel=2e-5)


def test_autocorr_option(helpers, csvs):
    proc = run(helpers["stansummary"], "--autocorr=2", *csvs["good"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tail = proc.stdout.split("Displaying the autocorrelations for chain 2:\n\n", 1)[1]
    lines = tail.splitlines()
    assert lines[0].split() == ["Lag"] + SAMPLER_ROWS + [
        "mu", "sigma", "theta[1]", "theta[2]", "theta[3]",
        "Sigma[1,1]", "Sigma[2,1]", "Sigma[1,2]", "Sigma[2,2]",
    ]  # fmt: skip
    lag0 = lines[1].split()
    assert lag0[0] == "0" and float(lag0[8]) == pytest.approx(1.0)
    mu = read_draws(csvs["good"])["mu"][1]
    mu = mu - mu.mean()
    rho1 = np.dot(mu[:-1], mu[1:]) / np.dot(mu, mu)
    assert float(lines[2].split()[8]) == pytest.approx(rho1, abs=0.01)
    assert len(lines) >= 1000


def test_model_param_subset(helpers, csvs, tmp_path):
    df = summary_csv(helpers, csvs["good"], tmp_path, "--model_param", "Sigma.2.1", "mu", "--")
    assert list(df.index) == SAMPLER_ROWS + ["mu", "Sigma[2,1]"]
    # like CLI11's take_all, --model_param swallows the arguments that follow
    proc = run(helpers["stansummary"], "--model_param=nope", *csvs["good"])
    assert proc.returncode == 106
    assert "input_files is required" in proc.stderr
    proc = run(helpers["stansummary"], "--model_param=nope", "--", *csvs["good"])
    assert proc.returncode == 1
    assert "--model_param: Unrecognized parameter(s): 'nope' " in proc.stdout


def test_help(helpers):
    proc = run(helpers["stansummary"], "--help")
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout and "--percentiles" in proc.stdout
    assert "--sig_figs" in proc.stdout and "--csv_filename" in proc.stdout


# ---------------------------------------------------------------------------
# stansummary: errors
# ---------------------------------------------------------------------------


def test_missing_file_is_an_error(helpers, csvs, tmp_path):
    missing = tmp_path / "no_such_file.csv"
    proc = run(helpers["stansummary"], csvs["good"][0], missing)
    assert proc.returncode != 0
    assert f"input_files: File does not exist: {missing}" in proc.stderr
    assert "Run with --help for more information." in proc.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--sig_figs=0"], 105, "--sig_figs: Value 0 not in range 1 to 18"),
        (["--sig_figs", "19"], 105, "--sig_figs: Value 19 not in range 1 to 18"),
        (["--autocorr", "0"], 105, "--autocorr: Number less or equal to 0"),
        (["--autocorr=9"], 1, "Option --autocorr: 9 not a valid chain id."),
        (["--percentiles=2,30,5"], 1, "Option --percentiles 2,30,5: values must be in range"),
        (["--percentiles=0,50"], 1, "values must be in range (1,99), inclusive"),
        (["--percentiles=5,100"], 1, "values must be in range (1,99), inclusive"),
        (["--bogus"], 109, "The following argument was not expected: --bogus"),
    ],
)
def test_bad_arguments(helpers, csvs, args, status, message):
    proc = run(helpers["stansummary"], *args, *csvs["good"])
    assert proc.returncode == status, proc.stdout + proc.stderr
    assert message in proc.stdout + proc.stderr


def test_existing_csv_filename_is_refused(helpers, csvs, tmp_path):
    out = tmp_path / "exists.csv"
    out.write_text("keep me")
    proc = run(helpers["stansummary"], f"--csv_filename={out}", *csvs["good"])
    assert proc.returncode == 105
    assert f"--csv_filename: Path already exists: {out}" in proc.stderr
    assert out.read_text() == "keep me"


def test_no_arguments_or_no_files(helpers):
    proc = run(helpers["stansummary"])
    assert proc.returncode == 1
    assert proc.stdout.startswith("Usage: stansummary [OPTIONS] stan_csv_file(s)\n")
    proc = run(helpers["stansummary"], "--sig_figs=3")
    assert proc.returncode == 106
    assert "input_files is required" in proc.stderr
    proc = run(helpers["stansummary"], "--sig_figs")
    assert proc.returncode == 114
    assert proc.stderr.startswith("--sig_figs: ")


def test_non_sampler_csv_and_header_mismatch(helpers, csvs, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("# nothing here\n")
    proc = run(helpers["stansummary"], junk)
    assert proc.returncode == 1
    assert "Error during processing." in proc.stdout
    # chains with different columns cannot be combined
    proc = run(helpers["stansummary"], csvs["good"][0], csvs["bad"][0])
    assert proc.returncode == 1
    assert "Error during processing." in proc.stdout
    assert "does not match chain's header" in proc.stdout or "number of columns" in proc.stdout


# ---------------------------------------------------------------------------
# diagnose
# ---------------------------------------------------------------------------


def _diagnose(helpers, files) -> str:
    proc = run(helpers["diagnose"], *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_diagnose_no_problems(helpers, csvs):
    files = csvs["good"]
    assert _diagnose(helpers, files) == (
        "Processing csv files: " + ", ".join(map(str, files)) + "\n"
        "\n"
        "Checking sampler transitions treedepth.\n"
        "Treedepth satisfactory for all transitions.\n"
        "\n"
        "Checking sampler transitions for divergences.\n"
        "No divergent transitions found.\n"
        "\n"
        "Checking E-BFMI - sampler transitions HMC potential energy.\n"
        "E-BFMI satisfactory.\n"
        "\n"
        "Effective sample size satisfactory.\n"
        "\n"
        "Split R-hat values satisfactory all parameters.\n"
        "\n"
        "Processing complete, no problems detected.\n"
    )


def test_diagnose_divergences_only(helpers, csvs):
    text = _diagnose(helpers, csvs["divergent"])
    n = int(read_draws(csvs["divergent"])["divergent__"].sum())
    assert n == 28
    body = text.split("\n\n", 1)[1]
    assert body == (
        "Checking sampler transitions treedepth.\n"
        "Treedepth satisfactory for all transitions.\n"
        "\n"
        "Checking sampler transitions for divergences.\n"
        f"{n} of 4000 ({format(100 * n / 4000, '.2g')}%) transitions ended with a divergence.\n"
        "These divergent transitions indicate that HMC is not fully able to explore the "
        "posterior distribution.\n"
        "Try increasing adapt delta closer to 1.\n"
        "If this doesn't remove all divergences, try to reparameterize the model.\n"
        "\n"
        "Checking E-BFMI - sampler transitions HMC potential energy.\n"
        "E-BFMI satisfactory.\n"
        "\n"
        "Effective sample size satisfactory.\n"
        "\n"
        "Split R-hat values satisfactory all parameters.\n"
        "\n"
        "Processing complete.\n"
    )


def test_diagnose_all_problems(helpers, csvs):
    text = _diagnose(helpers, csvs["bad"])
    draws = read_draws(csvs["bad"])
    n_depth = int((draws["treedepth__"] >= 10).sum())
    n_div = int(draws["divergent__"].sum())
    assert (n_depth, n_div) == (160, 100)
    e_bfmi = ebfmi(draws["energy__"])
    assert e_bfmi < 0.3
    body = text.split("\n\n", 1)[1]
    # after the first problem message std::setprecision(2) sticks to stdout:
    # the E-BFMI and the 1.05 limit are then printed with 2 significant digits
    assert body == (
        "Checking sampler transitions treedepth.\n"
        f"{n_depth} of 4000 (4%) transitions hit the maximum treedepth limit of 10, "
        "or 2^10 leapfrog steps.\n"
        "Trajectories that are prematurely terminated due to this limit will result in "
        "slow exploration.\n"
        "For optimal performance, increase this limit.\n"
        "\n"
        "Checking sampler transitions for divergences.\n"
        f"{n_div} of 4000 (2.5%) transitions ended with a divergence.\n"
        "These divergent transitions indicate that HMC is not fully able to explore the "
        "posterior distribution.\n"
        "Try increasing adapt delta closer to 1.\n"
        "If this doesn't remove all divergences, try to reparameterize the model.\n"
        "\n"
        "Checking E-BFMI - sampler transitions HMC potential energy.\n"
        f"The E-BFMI, {format(e_bfmi, '.2g')}, is below the nominal threshold of 0.3 which "
        "suggests that HMC may have trouble exploring the target distribution.\n"
        "If possible, try to reparameterize the model.\n"
        "\n"
        "The following parameters had fewer than 0.001 effective draws per transition:\n"
        "  mu, stuck\n"
        "Such low values indicate that the effective sample size estimators may be biased "
        "high and actual performance may be substantially lower than quoted.\n"
        "\n"
        "The following parameters had split R-hat greater than 1.1:\n"
        "  mu, stuck\n"
        "Such high values indicate incomplete mixing and biased estimation.\n"
        "You should consider regularizating your model with additional prior information "
        "or a more effective parameterization.\n"
        "\n"
        "Processing complete.\n"
    )
    # the flagged parameters really are the ones with ESS/N < 0.001 and R-hat > 1.05
    for name in ("mu", "stuck"):
        assert _ess(draws[name]) / 4000 < 0.001
        assert az.rhat(draws[name], method="split") > 1.05
    for name in ("sigma", "theta[1]", "Sigma[2,2]"):
        assert _ess(draws[name]) / 4000 > 0.001
        assert az.rhat(draws[name], method="split") < 1.05


def test_diagnose_max_depth_from_header(helpers, csvs):
    text = _diagnose(helpers, csvs["depth8"])
    assert (
        "6 of 2000 (0.3%) transitions hit the maximum treedepth limit of 8, "
        "or 2^8 leapfrog steps.\n" in text
    )


def test_diagnose_ebfmi_default_precision(helpers, tmp_path):
    """Without earlier problem messages the E-BFMI is printed with 6 digits."""
    files = write_scenario(tmp_path, "sticky", chains=2, seed=9, sticky_energy=True)
    text = _diagnose(helpers, files)
    e_bfmi = ebfmi(read_draws(files)["energy__"])
    assert f"The E-BFMI, {format(e_bfmi, '.6g')}, is below the nominal threshold of 0.3" in text
    assert "E-BFMI satisfactory" not in text


def test_diagnose_missing_files(helpers, csvs, tmp_path):
    missing = tmp_path / "gone.csv"
    proc = run(helpers["diagnose"], missing, *csvs["good"])
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"File {missing} not found\nProcessing csv files: ")
    proc = run(helpers["diagnose"], missing)
    assert proc.returncode == 1
    assert proc.stdout == f"File {missing} not found\nNo valid input files, exiting.\n"
    proc = run(helpers["diagnose"])
    assert proc.returncode == 0
    assert proc.stdout.startswith("USAGE:  diagnose <filename 1>")


# ---------------------------------------------------------------------------
# end to end through cmdstanpy 1.3.2
# ---------------------------------------------------------------------------


def _cmdstanpy_fit(csv_files, outdir: Path):
    """Copy the chains under cmdstanpy's file names and load them as a fit."""
    import cmdstanpy

    outdir.mkdir()
    for k, src in enumerate(csv_files, start=1):
        (outdir / f"good-20261126063011_{k}.csv").write_text(src.read_text())
    return cmdstanpy.from_csv(str(outdir))


def _check_cmdstanpy_results(fit, draws):
    summary = fit.summary()
    assert list(summary.columns) == SUMMARY_COLUMNS
    # cmdstanpy drops the sampler diagnostics but keeps lp__
    assert list(summary.index) == ["lp__"] + MODEL_ROWS
    for name in MODEL_ROWS:
        x = draws[name].reshape(-1)
        assert summary.loc[name, "Mean"] == pytest.approx(x.mean(), rel=1e-5, abs=1e-8)
        assert summary.loc[name, "N_Eff"] == pytest.approx(_ess(draws[name]), rel=1e-4)
    narrow = fit.summary(percentiles=(10, 90), sig_figs=3)
    assert list(narrow.columns) == ["Mean", "MCSE", "StdDev", "10%", "90%",
                                    "N_Eff", "N_Eff/s", "R_hat"]  # fmt: skip
    text = fit.diagnose()
    assert text.startswith("Processing csv files: ")
    assert text.endswith("Processing complete, no problems detected.\n")


def test_cmdstanpy_summary_and_diagnose(helpers, csvs, tmp_path, monkeypatch):
    """cmdstanpy's fit.summary()/fit.diagnose() with our two programs in an
    otherwise empty CmdStan tree (cmdstanpy needs only the makefile's version
    line and bin/)."""
    home = tmp_path / "cmdstan-2.35.0"
    (home / "bin").mkdir(parents=True)
    (home / "makefile").write_text("CMDSTAN_VERSION := 2.35.0\n")
    for name, exe in helpers.items():
        shutil.copy2(exe, home / "bin" / name)
    monkeypatch.setenv("CMDSTAN", str(home))
    fit = _cmdstanpy_fit(csvs["good"], tmp_path / "fit")
    _check_cmdstanpy_results(fit, read_draws(csvs["good"]))


@pytest.mark.skipif(
    not ((CMDSTAN / "bin" / "stansummary").exists() and (CMDSTAN / "bin" / "diagnose").exists()),
    reason="the toolchain has not built CmdStan in .cmdstan yet",
)
def test_toolchain_cmdstan_summary_and_diagnose(csvs, tmp_path, monkeypatch):
    """The same through the CmdStan tree the toolchain builds from these sources."""
    monkeypatch.setenv("CMDSTAN", str(CMDSTAN))
    fit = _cmdstanpy_fit(csvs["good"], tmp_path / "fit")
    _check_cmdstanpy_results(fit, read_draws(csvs["good"]))
