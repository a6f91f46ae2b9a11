"""Tokens of a brms formula, each with its position, for the parser and its error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlmpipe.formula.errors import FormulaError

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z.][A-Za-z0-9._]*|`[^`]+`)"
    r"|(?P<op>\|\||[~+\-*:/|(),^])"
)


@dataclass(frozen=True)
class Token:
    """One token: its kind (``name``, ``number``, ``op``, ``end``), text and 0-based span."""

    kind: str
    text: str
    start: int
    end: int


def formula_error(formula: str, position: int, message: str) -> FormulaError:
    """Return the :class:`FormulaError` for ``message`` at ``position`` of ``formula``."""
    return FormulaError(f'formula "{formula}": at position {position}: {message}')


def tokenize(formula: str) -> list[Token]:
    """Return the tokens of ``formula``, ending with an ``end`` token.

    Raises:
        FormulaError: a character that no brms formula token starts with.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(formula):
        match = _TOKEN.match(formula, pos)
        if match is None:
            raise formula_error(formula, pos, f"unexpected character {formula[pos]!r}")
        kind = match.lastgroup or "space"
        if kind != "space":
            text = match.group()
            if kind == "name" and text.startswith("`"):
                text = text[1:-1]
            tokens.append(Token(kind, text, match.start(), match.end()))
        pos = match.end()
    tokens.append(Token("end", "", len(formula), len(formula)))
    return tokens


class TokenStream:
    """A cursor over the tokens of one formula, raising positioned :class:`FormulaError`."""

    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = tokenize(formula)
        self.index = 0

    @property
    def peek(self) -> Token:
        """The next token (not consumed)."""
        return self.tokens[self.index]

    def peek_at(self, offset: int) -> Token:
        """The token ``offset`` places ahead (the ``end`` token past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    @property
    def last_end(self) -> int:
        """Position just after the last consumed token (0 at the start)."""
        return self.tokens[self.index - 1].end if self.index else 0

    def next(self) -> Token:
        """Consume and return the next token."""
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def accept(self, text: str) -> bool:
        """Consume the next token if it is the operator ``text``; return whether it was."""
        if self.peek.kind == "op" and self.peek.text == text:
            self.index += 1
            return True
        return False

    def error(self, message: str, position: int | None = None) -> FormulaError:
        """Return an error at ``position`` (default: just after the last consumed token)."""
        return formula_error(self.formula, self.last_end if position is None else position, message)

    def expect(self, text: str, what: str) -> Token:
        """Consume the operator ``text`` or raise ``expected <what>``."""
        if not self.accept(text):
            raise self.error(f"expected {what}")
        return self.tokens[self.index - 1]
