"""The one base class of every error the pipeline expects and explains.

Each stage raises its own subclass (``DataError``, ``CmdStanError``, ``DrawsError`` ...), whose
message names the file, column, key or model at fault. Rule scripts turn any of them into a
one-line message and a non-zero exit (:mod:`mlmpipe.rulekit`); anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class MlmpipeError(Exception):
    """An expected failure whose message says what is wrong and, where it can, what to do."""
