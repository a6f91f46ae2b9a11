"""The draws stage's Snakemake rules, run for real on synthetic posteriors of m1 to m4.

Snakemake runs the rules of workflow/rules/draws.smk (and only those: the fits are given)
in a scratch working directory holding the config, the processed data and one
``posterior.nc`` per model; every table of the contract and its provenance record must
appear, with the columns the figures read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from mlm_data import MLM_CSV as DATA_CSV
from mlm_data import needs_mlm
from test_tables import CONFIG, REPO, SPECS, synthetic_posterior

DRAWS_RULES = [
    "draws_spread_heads",
    "draws_people_epred",
    "draws_person_means",
    "draws_pooling_means",
    "draws_selected",
    "draws_new_people",
    "draws_trajectories",
]
SUMMARY = [".lower", ".upper", ".width", ".point", ".interval"]
DRAW_COLUMNS = [".row", ".chain", ".iteration", ".draw"]
#: The table contract: file -> columns.
CONTRACT = {
    "results/draws/m1_epred_people.parquet": ["id", *DRAW_COLUMNS, ".epred"],
    "results/draws/m2_epred_people.parquet": ["id", *DRAW_COLUMNS, ".epred"],
    "results/draws/m2_person_means.parquet": [
        "id",
        "term",
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "r_id",
        "p_mean",
    ],  # fmt: skip
    "results/tables/m2_person_means.csv": [
        "id",
        "p_mean",
        *SUMMARY,
        "raw_mean",
        "n_obs",
        "no_pooling",
    ],  # fmt: skip
    "results/tables/pooling_means.csv": ["id", "model", ".epred", *SUMMARY],
    "results/draws/m2_epred_selected.parquet": ["id", *DRAW_COLUMNS, ".epred"],
    "results/draws/m2_predicted_selected.parquet": ["id", *DRAW_COLUMNS, ".prediction"],
    "results/tables/m2_epred_selected.csv": ["id", ".row", ".epred", *SUMMARY],
    "results/tables/m2_predicted_selected.csv": ["id", ".row", ".prediction", *SUMMARY],
    "results/draws/m2_epred_new_people.parquet": ["id", *DRAW_COLUMNS, ".epred"],
    "results/tables/m2_epred_new_people.csv": ["id", ".row", ".epred", *SUMMARY],
    "results/tables/m2_spread_draws_head.csv": [
        ".chain",
        ".iteration",
        ".draw",
        "b_Intercept",
        "sigma",
        "sd_id__Intercept",
    ],  # fmt: skip
    "results/tables/m2_r_id_head.csv": ["id", "term", "r_id", ".chain", ".iteration", ".draw"],
    "results/tables/m3_epred_trajectories.csv": ["id", "week", ".row", ".epred", *SUMMARY],
    "results/tables/m4_epred_trajectories.csv": [
        "id",
        "group",
        "week",
        ".row",
        ".epred",
        *SUMMARY,
    ],  # fmt: skip
}

pytestmark = needs_mlm


def test_draws_rules_write_every_contract_table_with_its_provenance(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text((REPO / "config" / "config.yaml").read_text())
    data = pd.read_csv(DATA_CSV)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    data.to_parquet(tmp_path / "data" / "processed" / "mlm.parquet", index=False)
    for name in ("m1", "m2", "m3", "m4"):
        assert name in SPECS
        synthetic_posterior(name, data, tmp_path / "results", n_draws=25)

    command = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(tmp_path),
        "--cores", "1",
        "--allowed-rules", *DRAWS_RULES,
        "--", *CONTRACT,
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]

    for path, columns in CONTRACT.items():
        target = tmp_path / path
        table = pd.read_parquet(target) if target.suffix == ".parquet" else pd.read_csv(target)
        assert list(table.columns) == columns, path
        assert Path(f"{target}.prov.json").exists(), path
    selected = pd.read_csv(tmp_path / "results/tables/m2_epred_selected.csv")
    assert sorted(selected["id"]) == sorted(CONFIG["highlight"]["predictions"])
    new = pd.read_csv(tmp_path / "results/tables/m2_epred_new_people.csv")
    assert new["id"].tolist() == [230, 231, 232]
