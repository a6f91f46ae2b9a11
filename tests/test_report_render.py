"""Executing report sections into fragments: cell options, parameters, includes, failures."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from mlmpipe.report import ReportError, execute_section
from mlmpipe.report.params import parse_param_args
from mlmpipe.report.quarto import assemble_commands, execute_command
from mlmpipe.report.renderer import choose_renderer

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    """Names of hidden temporary folders/files the renderer may have left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


OPTIONS_QMD = '''
---
title: "Options at work"
code-fold: true
---

Text before, with math $\\alpha + \\beta$.

```{python}
#| label: hidden-code
#| echo: false
print("shown-output-of-hidden-code")
```

```{python}
#| label: hidden-output
#| output: false
print("never-shown-output")
shown_code_marker = 1
```

```{python}
#| label: not-run
#| eval: false
raise RuntimeError("not-run-code")
```

```{python}
#| label: invisible
#| include: false
print("invisible-output")
invisible_code_marker = 2
```

```{python}
#| label: fig-curve
#| fig-cap: "A rising curve"
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 4])
plt.show()
```

```{python}
#| label: tbl-small
#| tbl-cap: "A small table"
import pandas as pd
pd.DataFrame({"name": ["a", "b"], "value": [1.5, 2.25]})
```

```{python}
#| label: noisy
#| warning: false
import sys, warnings
warnings.warn("hidden-warning")
print("noisy-stdout")
```

```{python}
#| label: loud
import warnings
warnings.warn("shown-warning")
```

```{python}
#| label: raw
#| output: asis
#| code-fold: false
print("**asis-bold** text")
```

```{python}
#| label: fenced
#| echo: fenced
#| code-fold: show
1 + 1
```

```{python}
#| label: strange
#| fig-width: 3
where = __import__("os").getcwd()
print(where)
```
'''


@pytest.fixture(scope="module")
def options_fragment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("options")
    source = write(tmp / "src" / "options.qmd", OPTIONS_QMD)
    (tmp / "work").mkdir()
    md = execute_section(source, tmp / "out" / "options", cwd=tmp / "work", timeout=60,
                         renderer="python")
    return tmp, md, md.read_text()


def test_fragment_layout(options_fragment):
    tmp, md, text = options_fragment
    assert md == tmp / "out" / "options" / "section.md"
    names = sorted(p.name for p in md.parent.iterdir())
    assert names == ["fig-curve.png", "fragment.json", "section.md"]
    assert (md.parent / "fig-curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads((md.parent / "fragment.json").read_text())
    assert record["renderer"].startswith("mlmpipe renderer ")
    assert leftovers(tmp / "out") == []


def test_title_becomes_heading(options_fragment):
    _, _, text = options_fragment
    assert text.startswith("# Options at work\n")
    assert "Text before, with math $\\alpha + \\beta$." in text


def test_echo_false_hides_code_keeps_output(options_fragment):
    _, _, text = options_fragment
    assert "shown-output-of-hidden-code" in text
    assert 'print("shown-output-of-hidden-code")' not in text


def test_output_false_hides_output_keeps_code(options_fragment):
    _, _, text = options_fragment
    assert "shown_code_marker = 1" in text
    assert text.count("never-shown-output") == 1  # in the code, not as output


def test_eval_false_shows_code_without_running(options_fragment):
    _, _, text = options_fragment
    assert 'raise RuntimeError("not-run-code")' in text


def test_include_false_runs_but_shows_nothing(options_fragment):
    _, _, text = options_fragment
    assert "invisible" not in text


def test_figure_with_caption_and_label(options_fragment):
    _, _, text = options_fragment
    assert "![A rising curve](fig-curve.png){#fig-curve}" in text


def test_table_with_caption_and_label(options_fragment):
    _, _, text = options_fragment
    assert "| name   |   value |" in text
    assert ": A small table {#tbl-small}" in text


def test_code_fold_from_front_matter_and_cell(options_fragment):
    _, _, text = options_fragment
    assert '```{.python .cell-code code-fold="true"}\nimport matplotlib' in text
    assert '```{.python .cell-code}\nprint("**asis-bold** text")' in text
    assert 'code-fold="show"' in text


def test_warning_false_hides_stderr(options_fragment):
    _, _, text = options_fragment
    assert "noisy-stdout" in text
    assert "hidden-warning\")\n```" not in text
    assert "UserWarning: hidden-warning" not in text
    assert "{.cell-output-stderr}" in text and "UserWarning: shown-warning" in text


def test_output_asis_is_raw_markdown(options_fragment):
    _, _, text = options_fragment
    assert "\n**asis-bold** text\n" in text


def test_echo_fenced_shows_the_cell_with_its_options(options_fragment):
    _, _, text = options_fragment
    assert "```{python}\n#| label: fenced\n#| echo: fenced\n#| code-fold: show\n1 + 1\n```" in text
    assert "```\n2\n```" in text


def test_cells_run_in_cwd(options_fragment):
    tmp, _, text = options_fragment
    assert f"```\n{tmp / 'work'}\n```" in text


def test_unknown_option_is_logged(tmp_path, caplog):
    source = write(tmp_path / "s.qmd", """
        ```{python}
        #| label: odd
        #| fig-width: 3
        x = 1
        ```
        """)
    with caplog.at_level(logging.WARNING, logger="mlmpipe.report"):
        execute_section(source, tmp_path / "out", renderer="python", timeout=60)
    assert "cell 'odd'" in caplog.text and "'fig-width'" in caplog.text


PARAMS_QMD = '''
```{python}
#| tags: [parameters]
model = "m1"
draws = 100
fast = False
```

```{python}
print(f"model={model!r} draws={draws!r} fast={fast!r}")
```
'''


def test_parameter_defaults(tmp_path):
    source = write(tmp_path / "p.qmd", PARAMS_QMD)
    text = execute_section(source, tmp_path / "out", renderer="python").read_text()
    assert "model='m1' draws=100 fast=False" in text


def test_parameters_injected_as_yaml_scalars(tmp_path):
    source = write(tmp_path / "p.qmd", PARAMS_QMD)
    params = parse_param_args(["model:m3", "draws:400", "fast:true"])
    text = execute_section(source, tmp_path / "out", params, renderer="python").read_text()
    assert "model='m3' draws=400 fast=True" in text
    assert "model = 'm3'" not in text  # the injected cell is not shown


def test_unknown_parameter_names_it_and_the_known_ones(tmp_path):
    source = write(tmp_path / "p.qmd", PARAMS_QMD)
    with pytest.raises(ReportError, match=r"unknown parameter 'modle'.*model, draws, fast"):
        execute_section(source, tmp_path / "out", {"modle": "m2"}, renderer="python")
    assert list(tmp_path.iterdir()) == [source]


def test_includes_nested_and_relative(tmp_path):
    write(tmp_path / "parts" / "deeper" / "leaf.qmd", """
        ---
        title: dropped front matter
        ---
        Leaf text, with ![a static picture](pic.png).
        """)
    (tmp_path / "parts" / "deeper" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write(tmp_path / "parts" / "middle.qmd", """
        Middle text.

        {{< include deeper/leaf.qmd >}}

        ```{python}
        print("from-middle", value)
        ```
        """)
    source = write(tmp_path / "main.qmd", """
        ```{python}
        value = 41 + 1
        ```

        {{< include parts/middle.qmd >}}
        """)
    md = execute_section(source, tmp_path / "results" / "frag", renderer="python")
    text = md.read_text()
    assert "Middle text." in text and "Leaf text" in text and "dropped" not in text
    assert "from-middle 42" in text
    assert "](../../parts/deeper/pic.png)" in text
    assert (md.parent / "../../parts/deeper/pic.png").resolve().is_file()


def test_missing_include_names_the_path(tmp_path):
    source = write(tmp_path / "main.qmd", """
        Text.

        {{< include parts/nowhere.qmd >}}
        """)
    with pytest.raises(ReportError, match=r"main\.qmd:3: included file parts/nowhere\.qmd "
                                          r"not found"):
        execute_section(source, tmp_path / "out", renderer="python")
    assert not (tmp_path / "out").exists()


def test_failing_cell_names_file_label_and_traceback(tmp_path):
    source = write(tmp_path / "bad.qmd", """
        ```{python}
        #| label: fit-summary
        def helper():
            raise ValueError("no draws here")
        helper()
        ```
        """)
    out = tmp_path / "out"
    out.mkdir()
    (out / "section.md").write_text("from an earlier run")
    done = subprocess.run(
        [sys.executable, "-m", "mlmpipe.report", "execute", str(source), "--out", str(out),
         "--renderer", "python"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert f"error: {source}: cell 'fit-summary' raised ValueError: no draws here" in (
        done.stderr)
    assert "----> 3 helper()" in done.stderr and 'raise ValueError("no draws here")' in done.stderr
    assert "\x1b[" not in done.stderr
    assert "mlmpipe/report" not in done.stderr  # no traceback of the renderer itself
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.qmd"]


def test_unlabelled_failing_cell_named_by_number_and_first_line(tmp_path):
    source = write(tmp_path / "bad.qmd", """
        ```{python}
        x = 1
        ```

        ```{python}
        y = undefined_name
        ```
        """)
    with pytest.raises(ReportError, match=r"cell 2 \(line 5: 'y = undefined_name'\) raised "
                                          r"NameError") as info:
        execute_section(source, tmp_path / "out", renderer="python")
    assert "NameError" in info.value.detail


def test_timeout_kills_the_cell(tmp_path):
    source = write(tmp_path / "slow.qmd", """
        ```{python}
        #| label: long-wait
        import time
        time.sleep(60)
        ```
        """)
    with pytest.raises(ReportError, match=r"slow\.qmd: cell 'long-wait' was still running "
                                          r"after the 1 s timeout; the kernel was killed"):
        execute_section(source, tmp_path / "out", timeout=1, renderer="python")
    assert list(tmp_path.iterdir()) == [source]


def test_label_without_caption_fails(tmp_path):
    source = write(tmp_path / "s.qmd", """
        ```{python}
        #| label: fig-nocap
        x = 1
        ```
        """)
    with pytest.raises(ReportError, match="label 'fig-nocap' needs a 'fig-cap' option"):
        execute_section(source, tmp_path / "out", renderer="python")


def test_kernel_is_this_interpreter(tmp_path):
    source = write(tmp_path / "s.qmd", """
        ```{python}
        import sys
        print(sys.executable)
        ```
        """)
    text = execute_section(source, tmp_path / "out", renderer="python").read_text()
    assert f"```\n{sys.executable}\n```" in text


def test_renderer_selection(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert choose_renderer("auto") == "python"
    assert choose_renderer("python") == "python"
    with pytest.raises(ReportError, match="quarto is not on PATH"):
        choose_renderer("quarto")
    with pytest.raises(ReportError, match="unknown renderer 'knitr'"):
        choose_renderer("knitr")
    quarto = tmp_path / "quarto"
    quarto.write_text("#!/bin/sh\nexit 1\n")
    quarto.chmod(0o755)
    assert choose_renderer("auto") == "quarto"
    assert choose_renderer("python") == "python"


def test_quarto_command_lines(tmp_path):
    command = execute_command("quarto", tmp_path / "section.qmd", tmp_path,
                              {"model": "m3", "fast": True})
    assert command == ["quarto", "render", str(tmp_path / "section.qmd"), "--to", "html",
                       "--execute", "--execute-dir", str(tmp_path), "-M", "keep-md:true",
                       "-P", "model:m3", "-P", "fast:true"]
    html, pdf = assemble_commands("quarto", tmp_path / "main.qmd", tmp_path / "r.html",
                                  tmp_path / "r.pdf", tmp_path / "f.html", tmp_path / "f.typ")
    assert html[:3] == ["quarto", "render", str(tmp_path / "main.qmd")]
    assert html[html.index("--to") + 1] == "html" and "embed-resources:true" in html
    assert pdf[pdf.index("--to") + 1] == "typst" and pdf[pdf.index("--output") + 1] == "r.pdf"
