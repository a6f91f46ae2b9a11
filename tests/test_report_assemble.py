"""Assembling fragments into the report: includes, cross-references, callouts, math,
footers, offline HTML checked in a real browser, and the PDF's text."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import pytest
from browser import chromium_path, inspect_page
from mlmpipe.report import ReportError, assemble, execute_section
from mlmpipe.report.html import external_resources

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FOOTER = {"commit": "0123456789abcdef0123", "dirty": True, "date": "2026-01-31"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def png(path: Path, colour: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3, 2), dpi=80)
    ax.plot([0, 1, 2], [0, 1, 4], color=colour)
    fig.savefig(path)
    plt.close(fig)


def need(tool: str) -> str:
    """Return the path of ``tool``; skip without it, but fail in CI (``CI`` set)."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (apt-get install {tool})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def pdf_text(pdf: Path) -> str:
    done = subprocess.run([need("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout


@pytest.fixture
def report(tmp_path):
    """A main document including an index fragment that includes two model fragments
    (each in its own folder, with its own figure file of the same name) and a callout."""
    png(tmp_path / "results" / "m1" / "fig.png", "tab:blue")
    png(tmp_path / "results" / "m2" / "fig.png", "tab:red")
    write(tmp_path / "results" / "m1" / "section.md", """
        ## Model one {#sec-m1}

        ![Posterior of model one](fig.png){#fig-m1}

        | term | estimate |
        |:-----|---------:|
        | a    | 1.5      |

        : Estimates of model one {#tbl-m1}

        As @fig-m2 shows later, and @tbl-m2 too.
        """)
    write(tmp_path / "results" / "m2" / "section.md", """
        ## Model two

        ![Posterior of model two](fig.png){#fig-m2}

        | term | estimate |
        |:-----|---------:|
        | b    | 2.5      |

        : Estimates of model two {#tbl-m2}
        """)
    write(tmp_path / "results" / "models" / "section.md", """
        # Models

        Compare @fig-m1 with @fig-m2 (see @sec-m1 and table -@tbl-m1).

        {{< include ../m1/section.md >}}

        {{< include ../m2/section.md >}}
        """)
    main = write(tmp_path / "reports" / "report.qmd", """
        ---
        title: "Multilevel models"
        subtitle: "Course report"
        author: "The team"
        date: today
        toc: true
        ---

        # Introduction

        The likelihood is $y_i \\sim \\mathcal{N}(\\mu_i, \\sigma^2)$, and

        $$
        \\mu_i = \\alpha_{j[i]} + \\beta x_i .
        $$

        ::: {.callout-warning}
        ## Check the diagnostics
        Divergent transitions make estimates unreliable.
        :::

        ::: {.callout-tip title="Reading the figures"}
        Darker is denser.
        :::

        {{< include ../results/models/section.md >}}
        """)
    return main


def build(main: Path, **kwargs) -> tuple[Path, Path]:
    out = main.parent.parent / "out"
    return assemble(main, html=out / "report.html", pdf=out / "report.pdf", footer=FOOTER,
                    renderer="python", **kwargs)


def test_html_numbers_references_across_fragments(report):
    html, _ = build(report)
    text = html.read_text()
    assert text.index("Figure\u00a01:</strong> Posterior of model one") < text.index(
        "Figure\u00a02:</strong> Posterior of model two")
    assert "Table\u00a01:</strong> Estimates of model one" in text
    assert "Table\u00a02:</strong> Estimates of model two" in text
    assert 'href="#fig-m1" class="quarto-xref">Figure\u00a01</a>' in text
    assert 'href="#fig-m2" class="quarto-xref">Figure\u00a02</a>' in text
    assert 'href="#tbl-m2" class="quarto-xref">Table\u00a02</a>' in text
    assert 'href="#sec-m1" class="quarto-xref">Section\u00a02.1</a>' in text
    assert 'href="#tbl-m1" class="quarto-xref">1</a>' in text  # -@tbl-m1: the number alone
    assert "@fig" not in text and "@tbl" not in text


def test_html_is_one_offline_file(report):
    html, _ = build(report)
    text = html.read_text()
    assert external_resources(text) == []
    assert text.count('src="data:image/png;base64,') == 2
    assert "http://" not in text.replace('xmlns="http://www.w3.org/1999/xhtml"', "").replace(
        'xmlns="http://www.w3.org/1998/Math/MathML"', "")
    assert "https://" not in text


def test_external_resources_are_found():
    page = ('<img src="data:image/png;base64,AAAA"><a href="https://example.org">x</a>'
            '<script src="https://cdn.example.org/m.js"></script>'
            '<link rel="stylesheet" href="//fonts.example.org/f.css">'
            '<div style="background: url(img/local.png)"></div>'
            '<style>@import "https://x.example.org/a.css";</style>')
    assert external_resources(page) == ["https://cdn.example.org/m.js",
                                        "//fonts.example.org/f.css", "img/local.png",
                                        "https://x.example.org/a.css"]


def test_html_math_callouts_toc_title_footer(report):
    html, _ = build(report)
    text = html.read_text()
    assert text.count("<math") >= 2 and 'display="block"' in text
    assert '<div class="callout callout-warning">' in text
    assert '<div class="callout-title">\nCheck the diagnostics\n</div>' in text
    assert "Reading the figures" in text and "callout-tip" in text
    assert '<nav id="TOC"' in text
    assert '<h1 class="title">Multilevel models</h1>' in text
    assert '<p class="date">2026-01-31</p>' in text
    assert "Rendered by mlmpipe renderer 0.1.0 (pandoc " in text
    assert "from commit 0123456789ab (with uncommitted changes) on 2026-01-31." in text


def test_pdf_has_titles_captions_and_footer(report):
    _, pdf = build(report)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = " ".join(pdf_text(pdf).split())
    for expected in ("Multilevel models", "1 Introduction", "2 Models", "2.1 Model one",
                     "Figure 1: Posterior of model one", "Figure 2: Posterior of model two",
                     "Table 1: Estimates of model one", "Table 2: Estimates of model two",
                     "Check the diagnostics", "Reading the figures",
                     "Compare Figure 1 with Figure 2 (see Section 2.1 and table 1)",
                     "from commit 0123456789ab"):
        assert expected in text, expected


def test_pdf_shows_the_figures(report):
    _, pdf = build(report)
    done = subprocess.run([need("pdfimages"), "-list", str(pdf)], capture_output=True,
                          text=True, check=True)
    rows = [line for line in done.stdout.splitlines()[2:] if line.strip()]
    assert len([r for r in rows if r.split()[2] == "image"]) == 2


def test_code_fold_in_details(tmp_path):
    write(tmp_path / "frag" / "section.md", """
        ```{.python .cell-code code-fold="true"}
        folded = 1
        ```

        ```{.python .cell-code code-fold="show"}
        shown_open = 2
        ```

        ```{.python .cell-code}
        not_folded = 3
        ```
        """)
    main = write(tmp_path / "main" / "doc.qmd", """
        ---
        title: Folding
        ---
        {{< include ../frag/section.md >}}
        """)
    html, _ = build(main)
    text = html.read_text()
    assert text.count('<details class="code-fold"><summary>Code</summary>') == 1
    assert text.count('<details class="code-fold" open><summary>Code</summary>') == 1
    first = text.index('<details class="code-fold"><summary>Code</summary>')
    assert ">folded <" in text[first:text.index("</details>", first)]
    assert "not_folded" in text[text.rindex("</details>"):]


def test_a_collapsed_callout_is_closed_details_in_html_and_open_in_the_pdf(tmp_path):
    write(tmp_path / "frag" / "section.md", """
        ::: {.callout-note collapse="true" title="The Stan program"}
        hidden_until_clicked
        :::

        ::: {.callout-note title="Always shown"}
        shown_text
        :::
        """)
    main = write(tmp_path / "main" / "doc.qmd", """
        ---
        title: Collapsing
        ---
        {{< include ../frag/section.md >}}
        """)
    html, pdf = build(main)
    text = html.read_text()
    opening = '<details class="callout callout-note"><summary class="callout-title">'
    assert text.count(opening) == 1 and " open" not in text[text.index(opening) - 5:][:60]
    closed = text[text.index(opening):text.index("</details>")]
    assert "The Stan program</summary>" in closed and "hidden_until_clicked" in closed
    assert "shown_text" in text[text.index("</details>"):]
    words = " ".join(pdf_text(pdf).split())
    assert "hidden_until_clicked" in words and "The Stan program" in words


def test_unknown_reference_fails_and_leaves_nothing(report, tmp_path):
    section = report.parent.parent / "results" / "m2" / "section.md"
    section.write_text(section.read_text() + "\nSee @fig-nowhere.\n")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (out / "report.html").write_text("earlier")
    with pytest.raises(ReportError, match=r"unknown cross-reference @fig-nowhere \(in "
                                          r".*results/m2/section\.md\)"):
        build(report)
    assert list(out.iterdir()) == []


def test_duplicate_label_fails(tmp_path):
    write(tmp_path / "frag" / "section.md", """
        | a |
        |---|
        | 1 |

        : One {#tbl-same}

        | b |
        |---|
        | 2 |

        : Two {#tbl-same}
        """)
    main = write(tmp_path / "m" / "doc.qmd", "{{< include ../frag/section.md >}}\n")
    with pytest.raises(ReportError, match="label 'tbl-same' is defined twice"):
        build(main)


def test_missing_fragment_names_the_path(tmp_path):
    main = write(tmp_path / "m" / "doc.qmd", "Intro.\n\n{{< include ../frag/none.md >}}\n")
    with pytest.raises(ReportError, match=r"doc\.qmd:3: included file ../frag/none\.md"):
        build(main)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_failed_pdf_leaves_neither_output(report, monkeypatch):
    assemble_module = importlib.import_module("mlmpipe.report.assemble")

    def broken(*args, **kwargs):
        raise ReportError("typst could not compile the PDF: simulated")

    monkeypatch.setattr(assemble_module, "write_pdf", broken)
    out = report.parent.parent / "out"
    with pytest.raises(ReportError, match="simulated"):
        build(report)
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_prints_one_line_and_exits_1(report):
    section = report.parent.parent / "results" / "m1" / "section.md"
    section.write_text(section.read_text() + "\nSee @tbl-gone.\n")
    out = report.parent.parent / "out"
    done = subprocess.run(
        [sys.executable, "-m", "mlmpipe.report", "assemble", str(report), "--html",
         str(out / "r.html"), "--pdf", str(out / "r.pdf"), "--renderer", "python"],
        capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(
        "error: unknown cross-reference @tbl-gone")
    assert "Traceback" not in done.stderr


def test_executed_section_assembles(tmp_path):
    """The two phases together: a real kernel's figure and DataFrame, numbered."""
    source = write(tmp_path / "reports" / "fit.qmd", """
        ---
        title: "The fit"
        code-fold: true
        ---

        @fig-draws shows the draws; @tbl-summary sums them up.

        ```{python}
        #| label: fig-draws
        #| fig-cap: "Draws"
        import matplotlib.pyplot as plt
        plt.figure(figsize=(3, 2))
        plt.hist([1, 2, 2, 3, 3, 3])
        plt.show()
        ```

        ```{python}
        #| label: tbl-summary
        #| tbl-cap: "Summary"
        import pandas as pd
        pd.DataFrame({"mean": [2.33]}, index=pd.Index(["mu"], name="parameter"))
        ```
        """)
    execute_section(source, tmp_path / "results" / "fit", renderer="python")
    main = write(tmp_path / "reports" / "report.qmd", """
        ---
        title: Report
        ---
        {{< include ../results/fit/section.md >}}
        """)
    html, pdf = build(main)
    text = html.read_text()
    assert 'href="#fig-draws" class="quarto-xref">Figure\u00a01</a> shows the draws' in text
    assert "Table\u00a01:</strong> Summary" in text and ">parameter</th>" in text
    assert text.count('<details class="code-fold"><summary>Code</summary>') == 2
    assert "Figure 1: Draws" in " ".join(pdf_text(pdf).split())


def need_chromium() -> None:
    """Skip without Chromium, but fail in CI (``CI`` set)."""
    if chromium_path() is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_html_in_a_browser(report):
    """Chromium loads the page with no network request, every image decoded, the MathML
    laid out, no console error; the full-page screenshot is kept beside the HTML."""
    need_chromium()
    html, _ = build(report)
    shot = html.with_suffix(".png")
    page = inspect_page(html, screenshot=shot)
    assert page.external_requests == []
    assert len(page.images) == 2 and page.broken_images == []
    assert len(page.math) >= 2 and all(m["width"] > 0 and m["height"] > 0 for m in page.math)
    assert page.console_errors == []
    assert page.title.startswith("Multilevel models")
    assert "Figure\u00a02: Posterior of model two" in page.text
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_browser_check_catches_a_broken_page(tmp_path):
    """The browser check itself: a missing image, a remote script and a script error."""
    need_chromium()
    page_file = tmp_path / "broken.html"
    page_file.write_text('<!DOCTYPE html><html><head><title>b</title>'
                         '<script src="http://127.0.0.1:9/absent.js"></script></head><body>'
                         '<img src="missing.png"><script>undefinedFunction();</script>'
                         '</body></html>')
    page = inspect_page(page_file)
    assert "http://127.0.0.1:9/absent.js" in page.external_requests
    assert len(page.broken_images) == 1
    assert any("undefinedFunction" in error for error in page.console_errors)
