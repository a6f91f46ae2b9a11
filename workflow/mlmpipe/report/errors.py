"""The one exception type of the report renderer."""

from __future__ import annotations

from mlmpipe.errors import MlmpipeError


class ReportError(MlmpipeError):
    """A report could not be executed or assembled.

    The message names what went wrong and where: the source file, the cell (label, or
    number and first line), the cell option, the parameter or the cross-reference. An
    optional ``detail`` holds a longer text, such as a cell's Python traceback, that the
    command line prints after the one-line message.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        if self.detail:
            return f"{self.message}\n{self.detail}"
        return self.message
