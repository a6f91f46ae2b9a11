"""``python -m mlmpipe stancode``: a formula (or a config model) in, its Stan program out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from formula_cases import TINY_CSV
from mlmpipe.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_stancode_prints_the_program_with_the_priors_given(capsys):
    status = main(
        [
            "stancode",
            "y ~ 1 + x + (1 | k)",
            "--data",
            str(TINY_CSV),
            "--prior",
            "b=normal(0, 1)",
            "--prior",
            "sd=exponential(1)",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "  lprior += normal_lpdf(b | prior_b_mu, prior_b_sigma);\n" in out
    assert "  lprior += exponential_lpdf(sd_1 | prior_sd_rate);\n" in out


def test_stancode_takes_a_family_and_the_non_linear_form(capsys):
    assert main(["stancode", "cnt ~ 1 + x", "--data", str(TINY_CSV), "--family", "poisson"]) == 0
    assert "poisson_log_glm_lpmf(Y | Xc, Intercept, b)" in capsys.readouterr().out
    assert main(["stancode", "y ~ 0 + a", "a ~ 0 + g", "--data", str(TINY_CSV)]) == 0
    assert "mu[n] = 0 + nlp_a[n];" in capsys.readouterr().out


def test_a_bad_formula_is_one_line_on_stderr_and_status_1(capsys):
    assert main(["stancode", "y ~ 1 + (1 | )", "--data", str(TINY_CSV)]) == 1
    err = capsys.readouterr().err
    assert err == (
        'mlmpipe stancode: formula "y ~ 1 + (1 | )": at position 12: '
        "expected a grouping factor after '|'\n"
    )


def test_a_bad_prior_option_says_how_to_write_it(capsys):
    assert main(["stancode", "y ~ 1", "--data", str(TINY_CSV), "--prior", "normal(0, 1)"]) == 1
    assert "expected CLASS=PRIOR" in capsys.readouterr().err


def test_the_command_runs_as_a_module():
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    out = subprocess.run(
        [sys.executable, "-m", "mlmpipe", "stancode", "y ~ 1", "--data", str(TINY_CSV)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert out.startswith(
        "// generated with mlmpipe.formula in the layout of brms 2.18.0\nfunctions {\n"
    )
