"""What the report's cells read and show: mlmpipe.artifacts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from mlmpipe import artifacts

# get_variables(m1) as the lecture prints it: its last two lines
LECTURE_M1_TAIL = """\
 [93] "lprior"        "lp__"          "accept_stat__" "stepsize__"
 [97] "treedepth__"   "n_leapfrog__"  "divergent__"   "energy__"     """


def test_r_print_lays_out_a_character_vector_as_r_does():
    ids = [6, 29, 34, 36, 37, 48, 53, 54, 58, 61, 66, 67, 69, 71, 74, 75, 76, 78, 79, 80, 81,
           82, 85, 86, 87, 89, 91, 92, 93, 94, 96, 97, 98, 99, 101, 102, 103, 104, 105, 106,
           110, 112, 114, 115, 116, 120, 122, 125, 127, 129, 135, 136, 137, 140, 141, 142, 143,
           144, 146, 149, 150, 152, 153, 155, 156, 159, 160, 162, 163, 165, 167, 169, 171, 174,
           182, 187, 189, 190, 193, 194, 201, 204, 205, 208, 209, 211, 214, 219, 222, 223, 229]
    names = [f"b_a_id.f{i}" for i in ids] + ["sigma", "lprior", "lp__", "accept_stat__",
             "stepsize__", "treedepth__", "n_leapfrog__", "divergent__", "energy__"]  # fmt: skip
    printed = artifacts.r_print(names).splitlines()
    assert len(names) == 100
    assert printed[0] == '  [1] "b_a_id.f6"     "b_a_id.f29"    "b_a_id.f34"    "b_a_id.f36"'
    assert printed[-2:] == [line.rstrip() for line in LECTURE_M1_TAIL.splitlines()]
    assert artifacts.r_print([]) == "character(0)"


def test_priors_table_reads_like_brms_prior_summary():
    spec = SimpleNamespace(priors={"Intercept": "normal(0.5, 0.25)", "sd": "exponential(1)"})
    frame = {"priors": [
        {"prior": "", "class": "b", "coef": "", "group": "", "nlpar": "", "source": "default"},
        {"prior": "", "class": "b", "coef": "week", "group": "", "nlpar": "", "source": "default"},
        {"prior": "normal(0.5, 0.25)", "class": "Intercept", "coef": "", "group": "",
         "nlpar": "", "source": "user"},
        {"prior": "exponential(1)", "class": "sd", "coef": "", "group": "", "nlpar": "",
         "source": "user"},
        {"prior": "", "class": "sd", "coef": "", "group": "id", "nlpar": "", "source": "default"},
        {"prior": "", "class": "sd", "coef": "x", "group": "id", "nlpar": "", "source": "default"},
    ]}  # fmt: skip
    table = artifacts.priors_table(spec, frame)
    assert table[["prior", "class", "coef", "group", "source"]].values.tolist() == [
        ["(flat)", "b", "", "", "default"],
        ["(flat)", "b", "week", "", "default"],
        ["normal(0.5, 0.25)", "Intercept", "", "", "user"],
        ["exponential(1)", "sd", "", "", "user"],
        ["exponential(1)", "sd", "", "id", "(vectorized)"],
        ["exponential(1)", "sd", "x", "id", "(vectorized)"],
    ]
    # a long table leaves out the coefficients that only inherit their class's prior
    assert artifacts.priors_table(spec, frame, max_rows=4)["coef"].tolist() == [
        "", "week", "", "", "",
    ]  # fmt: skip
    # without a record, the config's priors
    assert artifacts.priors_table(spec).to_dict("records") == [
        {"class": "Intercept", "prior": "normal(0.5, 0.25)"},
        {"class": "sd", "prior": "exponential(1)"},
    ]


def test_code_block_fence_outgrows_a_fence_inside():
    block = artifacts.code_block("a\n```\nb", "r")
    assert block.startswith("````r\n") and block.endswith("\n````\n")


def test_a_missing_output_names_the_command_that_makes_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(artifacts.ArtifactError) as caught:
        artifacts.text("summary", model="m3")
    assert str(caught.value) == (
        "results/m3/summary.txt does not exist; the pipeline makes it: "
        "`workflow/bootstrap snakemake --cores 4 results/m3/summary.txt`"
    )


def test_provenance_line_names_rule_commit_data_and_command(tmp_path):
    output = tmp_path / "t.csv"
    output.write_text("x\n1\n")
    record = {
        "rule": "draws_selected",
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "command": "snakemake --cores 1 --force t.csv",
        "inputs": [{"path": "results/m2/posterior.nc", "upstream": {"inputs": [
            {"path": "data/raw/mlm.csv", "sha256": "c426280122e5d2ba4795bbe035b18f7e"}]}}],
        "config": {"sections": {"draws": {}, "highlight.predictions": []}},
    }  # fmt: skip
    (tmp_path / "t.csv.prov.json").write_text(json.dumps(record))
    line = artifacts.provenance_line(output)
    assert "rule `draws_selected`" in line and "commit `0123456789`" in line
    assert "data sha256 `c426280122e5…`" in line
    assert "`snakemake --cores 1 --force t.csv`" in line
    row = artifacts.provenance_rows([output]).iloc[0]
    assert row["config"] == "draws, highlight.predictions"
    assert row["data sha256"] == "c426280122e5d2ba"
