"""Cross-reference labels of a parameterized section, made unique per parameter value.

One ``.qmd`` section executed once per model defines the same labels each time
(``#fig-x``, ``#tbl-x``, ``#sec-x``). Before its fragment joins the others, every label it
defines, and every reference to one of them inside it, gets a suffix (``tbl-priors`` becomes
``tbl-priors-m3``), so the assembled document has each label once and a section's own
references still point at its own figures and tables.
"""

from __future__ import annotations

import re

_DEFINED = re.compile(r"\{#((?:fig|tbl|sec)-[A-Za-z0-9_-]+)")


def suffix_labels(markdown: str, suffix: str) -> str:
    """Return ``markdown`` with every label it defines, and its references to them, suffixed.

    Labels are the ``{#fig-…}``, ``{#tbl-…}`` and ``{#sec-…}`` attributes; references are
    ``@label`` (not part of an e-mail address or a longer name). References to labels defined
    elsewhere are left alone.
    """
    labels = sorted(set(_DEFINED.findall(markdown)), key=len, reverse=True)
    if not labels:
        return markdown
    alternatives = "|".join(re.escape(label) for label in labels)
    markdown = re.sub(r"\{#(" + alternatives + r")(?![A-Za-z0-9_-])", rf"{{#\1-{suffix}", markdown)
    return re.sub(
        r"(?<![\w.@])@(" + alternatives + r")(?![A-Za-z0-9_-])", rf"@\1-{suffix}", markdown
    )
