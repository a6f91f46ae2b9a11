"""The course report as the pipeline makes it from the lecture's data: both outputs, every
lecture table and figure, a real browser, the PDF's text, and the per-model cache.

Shares the session's fitted tree (``fitted_tree`` in conftest: one pipeline run per session)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from browser import inspect_page
from test_end_to_end import jobs_planned, snakemake
from test_report_assemble import need_chromium, pdf_text

pytestmark = pytest.mark.slow


@pytest.fixture
def run(fitted_tree: Path) -> Path:
    return fitted_tree

FIGURES = [
    "data_trajectories", "pooling_intervals", "pooling_means", "person_means", "shrinkage",
    "expected_vs_predicted", "new_people", "m3_trajectories", "m4_trajectories",
]  # fmt: skip
SECTIONS = [
    "The data", "The models", "No pooling against partial pooling", "Drawing from the posterior",
    "Expected values and predictions", "Adding covariates", "Comparing the models",
    "Appendix: where every figure and table came from",
]  # fmt: skip
FIGURE_CAPTIONS = [
    "Conscientiousness by week for 20 people chosen at random",
    "Each person's expected conscientiousness with its posterior intervals",
    "Posterior means per person under no pooling and partial pooling",
    "Posterior of each highlighted person's mean",
    "Partial-pooling means (coloured) beside the raw means",
    "Expected values and predictions for three people",
    "Expected conscientiousness of three new people",
    "with week as a level-1 covariate",
    "with group as a level-2 covariate",
]


def plain(text: str) -> str:
    """Text without tags, with straight quotes and single spaces (pandoc makes quotes curly)."""
    text = re.sub(r"<[^>]+>", " ", text).replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text)


def html_text(run: Path) -> str:
    return (run / "results/report/course-report.html").read_text(encoding="utf-8")


def test_the_report_is_one_offline_html_file_and_a_pdf(run):
    html = html_text(run)
    assert (run / "results/report/course-report.pdf").read_bytes()[:5] == b"%PDF-"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing loaded from outside
    assert html.count("<img") >= len(FIGURES)
    assert "data:image/png;base64," in html


def test_every_lecture_table_and_number_is_in_the_report(run):
    text = plain(html_text(run))
    for model in ("m1", "m2", "m3", "m4", "m5"):
        assert f"{model}:" in text
    assert "get_variables(m1) lists 100 variables" in text
    assert "get_variables(m2) lists 103 variables" in text
    for row in ("a_id.f6", "sd(Intercept)", "cor(Intercept,week)", "groupCTRL", "elpd_diff"):
        assert row in text, row
    for people in ("48", "137", "146"):
        assert people in text
    assert "b_Intercept" in text and "r_id" in text and ".epred" in text and ".prediction" in text
    for caption in FIGURE_CAPTIONS:
        assert caption in text, caption


def test_m5s_divergences_raise_a_visible_warning(run):
    diagnostics = json.loads((run / "results/m5/diagnostics.json").read_text())
    html = html_text(run)
    warnings = re.findall(r'callout-warning.*?</div>', html, flags=re.S)
    assert ("divergent" in diagnostics["failed"]) == any("m5 fails" in w for w in warnings)
    assert not any(f"m{k} fails" in w for w in warnings for k in (1, 2, 3, 4) if
                   json.loads((run / f"results/m{k}/diagnostics.json").read_text())["ok"])


def test_the_html_in_a_real_browser(run):
    need_chromium()
    shot = run / "course-report.png"  # beside the tree, not among its recorded outputs
    page = inspect_page(run / "results/report/course-report.html", screenshot=shot)
    assert page.external_requests == []
    assert page.broken_images == [] and len(page.images) >= len(FIGURES)
    assert page.math and all(m["width"] > 0 and m["height"] > 0 for m in page.math)
    assert page.console_errors == []
    for title in SECTIONS:
        assert title in page.text, title
    assert shot.stat().st_size > 100_000


def test_the_pdf_has_every_section_and_figure_caption(run):
    text = plain(pdf_text(run / "results/report/course-report.pdf"))
    for title in SECTIONS:
        assert title in text, title
    for caption in FIGURE_CAPTIONS:
        assert caption in text, caption


def test_the_report_has_a_provenance_record_and_audits_clean(run):
    record = json.loads((run / "results/report/course-report.html.prov.json").read_text())
    assert record["rule"] == "report_assemble"
    audit = subprocess.run(
        [__import__("sys").executable, "-m", "mlmpipe", "audit", "results"],
        cwd=run, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-2000:]
    assert "course-report.html" in audit.stdout


def _report_jobs(planned: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {job for job in planned if job[0].startswith("report")}


def test_a_prior_change_in_m3_reexecutes_only_the_sections_that_read_m3(run):
    prior = {"m3": {"priors": {"b": "normal(0, 2)"}}}
    planned = jobs_planned(snakemake(run, "--dry-run", "--config", "models=" + json.dumps(prior)))
    assert ("sample_model", "model=m3") in planned and ("posterior", "model=m3") in planned
    assert not any(rule == "compile_model" for rule, _ in planned)
    assert {w for _, w in planned if w.startswith("model=")} == {"model=m3"}
    assert _report_jobs(planned) == {
        ("report_model_section", "model=m3"),
        ("report_section", "section=covariates"),
        ("report_section", "section=comparisons"),
        ("report_section", "section=provenance"),
        ("report_assemble", ""),
    }


def test_editing_m3s_program_reexecutes_the_same_sections(run):
    program = run / "stan" / "m3.stan"
    original = program.read_text()
    program.write_text(original + "// edited\\n")
    try:
        planned = jobs_planned(snakemake(run, "--dry-run"))
    finally:
        program.write_text(original)
    assert ("compile_model", "model=m3") in planned
    assert ("report_model_section", "model=m3") in planned
    assert not any(w in {"model=m1", "model=m2", "model=m4", "model=m5"} for _, w in planned)
    assert ("report_section", "section=pooling") not in planned
    assert ("report_section", "section=data") not in planned
