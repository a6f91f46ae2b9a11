"""A tiny Snakemake pipeline that records provenance, for the provenance and audit tests.

The pipeline mimics ours in four small steps (toolchain JSON, a "fit" that writes CmdStan-like
CSVs into a directory output, a summary table, a PNG figure), each a `script:` that ends with
`record_snakemake_outputs`. :func:`build` makes it in a folder; the fixtures ``built`` (once per
session) and ``tree`` (a fresh copy for each test that changes a file) are in conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mlmpipe.provenance.audit import audit

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
FIGURE = "results/m1/figures/plot.png"
TABLE = "results/m1/summary.csv"

SNAKEFILE = """\
configfile: "config/config.yaml"


rule all:
    input:
        "{figure}",


rule toolchain:
    output:
        "results/toolchain/cmdstan.json",
    log:
        "logs/toolchain.log",
    script:
        "step.py"


rule fit:
    input:
        data="data/raw/mlm.csv",
        stan="stan/{{model}}.stan",
        toolchain="results/toolchain/cmdstan.json",
    output:
        directory("results/{{model}}/fit"),
    params:
        seed=lambda wildcards: config["sampling"]["seed"],
    log:
        "logs/fit_{{model}}.log",
    script:
        "step.py"


rule summary:
    input:
        fit="results/{{model}}/fit",
    output:
        "results/{{model}}/summary.csv",
    log:
        "logs/summary_{{model}}.log",
    script:
        "step.py"


rule figure:
    input:
        table="results/{{model}}/summary.csv",
        data="data/raw/mlm.csv",
        code=["step.py", "Snakefile"],
    output:
        "results/{{model}}/figures/plot.png",
    log:
        "logs/figure_{{model}}.log",
    script:
        "step.py"


include: "{audit_rules}"
"""

STEP = """\
from pathlib import Path

from PIL import Image, PngImagePlugin

from mlmpipe.provenance import record_snakemake_outputs

rule = snakemake.rule
out = Path(snakemake.output[0])
out.parent.mkdir(parents=True, exist_ok=True)
keys = ()
if rule == "toolchain":
    out.write_text('{"path": "/opt/cmdstan", "version": "2.35.0", '
                   '"stanc_version": "stanc3 v2.35.0", "source": "test"}')
elif rule == "fit":
    out.mkdir(parents=True, exist_ok=True)
    for chain in (1, 2):
        header = [
            "stan_version_major = 2", "stan_version_minor = 35", "stan_version_patch = 0",
            "model = m1_model", "method = sample (Default)", "  sample",
            "    num_samples = 10", "    num_warmup = 10", "    adapt",
            "      delta = 0.8 (Default)", f"id = {chain}", "random",
            f"  seed = {snakemake.params.seed}",
        ]
        text = "".join(f"# {line}\\n" for line in header) + "lp__,b\\n-1.5,0.2\\n-1.4,0.3\\n"
        (out / f"m1-20261126063011_{chain}.csv").write_text(text)
        (out / f"m1-20261126063011_{chain - 1}-stdout.txt").write_text("sampling\\n")
    keys = ("models.{model}", "sampling")
elif rule == "summary":
    out.write_text("variable,mean\\nb,0.25\\n")
    keys = ("models.{model}",)
elif rule == "figure":
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "test")
    Image.new("RGB", (8, 6), (28, 82, 83)).save(out, pnginfo=info)
    keys = ("figures",)
Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
Path(snakemake.log[0]).write_text("done\\n")
record_snakemake_outputs(snakemake, config_keys=keys)
"""

CONFIG = """\
models:
  m1:
    formula: ["con ~ 1"]
    priors:
      b: {family: normal, mu: 0, sigma: 1}
sampling:
  chains: 2
  seed: 9
figures:
  dpi: 50
"""


def run_command(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def run_snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_command([str(SNAKEMAKE), *args], cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def build(root: Path) -> Path:
    """Write the tiny pipeline into ``root``, commit it to git, run it once; return ``root``."""
    rules = REPO / "workflow" / "rules" / "provenance.smk"
    (root / "Snakefile").write_text(SNAKEFILE.format(figure=FIGURE, audit_rules=rules.as_posix()))
    (root / "step.py").write_text(STEP)
    (root / "config").mkdir()
    (root / "config" / "config.yaml").write_text(CONFIG)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "mlm.csv").write_text("id,week,con\n6,0,0.19\n6,1,0.2\n29,0,0.12\n")
    (root / "stan").mkdir()
    (root / "stan" / "m1.stan").write_text("parameters { real b; }\nmodel { b ~ normal(0, 1); }\n")
    (root / ".gitignore").write_text("results/\nlogs/\n.snakemake/\n")
    run_command(["git", "init", "-q"], root, check=True)
    run_command(["git", "add", "."], root, check=True)
    run_command(
        ["git", "-c", "commit.gpgsign=false", "commit", "-qm", "tiny pipeline"], root, check=True
    )
    run_snakemake(root, "--cores", "1")
    return root


def statuses(root: Path, *paths: str) -> dict[str, str]:
    report = audit(list(paths) or ["results"], root=root)
    return {entry.path: entry.status for entry in report.entries}
