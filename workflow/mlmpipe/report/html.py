"""The HTML output: one self-contained file written by pandoc, with our stylesheet."""

from __future__ import annotations

import json
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pypandoc

from .blocks import html_blocks
from .crossref import Node
from .errors import ReportError
from .footer import footer_html

STYLE = Path(__file__).with_name("style.css")
CSS_URL_RE = re.compile(r"""url\(\s*['"]?([^'")]+)""")


def write_html(doc: Node, out: Path, footer: str) -> Path:
    """Write ``doc`` (pandoc JSON AST, cross-references resolved) as HTML to ``out``.

    The file is standalone with every resource embedded, math as MathML, a table of
    contents, numbered sections, our stylesheet and the ``footer`` sentence. Returns
    ``out``. Raises :class:`ReportError` if pandoc fails or the result would load anything
    from outside the file.
    """
    doc = html_blocks(json.loads(json.dumps(doc)))
    with tempfile.TemporaryDirectory() as tmp:
        footer_file = Path(tmp) / "footer.html"
        footer_file.write_text(footer_html(footer), encoding="utf-8")
        args = ["--standalone", "--embed-resources", "--mathml", "--toc", "--toc-depth=2",
                "--wrap=none", "--number-sections", f"--css={STYLE}",
                f"--include-after-body={footer_file}", "--metadata=toc-title:Contents",
                "--metadata=lang:en"]
        try:
            pypandoc.convert_text(json.dumps(doc), "html5", format="json", extra_args=args,
                                  outputfile=str(out))
        except RuntimeError as exc:
            raise ReportError(f"pandoc could not write the HTML: {exc}") from None
    external = external_resources(out.read_text(encoding="utf-8"))
    if external:
        raise ReportError(f"the HTML would load external resources: {', '.join(external)}")
    return out


class ResourceFinder(HTMLParser):
    """Collects the URLs an HTML page loads by itself (not the links a reader follows)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "srcset", "poster", "data"):
            if values.get(name):
                self.urls.append(values[name])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])
        if values.get("style"):
            self.urls.extend(CSS_URL_RE.findall(values["style"]))

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.urls.extend(CSS_URL_RE.findall(data))
            self.urls.extend(re.findall(r"@import\s+['\"]([^'\"]+)", data))


def external_resources(text: str) -> list[str]:
    """Return the resource URLs in HTML ``text`` that point outside the file itself.

    Embedded ``data:`` URLs and in-page ``#anchors`` are inside; anything with a scheme
    or a ``//`` host, and any relative path (a file beside the page), is outside.
    """
    finder = ResourceFinder()
    finder.feed(text)
    outside = []
    for url in finder.urls:
        url = url.strip()
        if url.startswith(("data:", "#")):
            continue
        outside.append(url[:80])
    return outside
