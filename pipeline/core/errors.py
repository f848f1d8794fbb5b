"""Errors in the user's input: one readable line, exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

EXIT_INPUT_ERROR = 2


def _short(value: object, limit: int = 60) -> str:
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InputError(Exception):
    """A problem with a file the user gave us (export, study file, questionnaire).

    The message names the file and, where they apply, the row, column, key and value,
    so that the user can open the file and find the cell.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.value = value
        self.key = key
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.key:
            where.append(f"key '{self.key}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{_short(self.column)}'")
        if self.value is not None:
            where.append(f"value '{_short(self.value)}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.hint:
            text += f" ({self.hint})"
        return text


class CannotCompute(ValueError):
    """A table or figure that these data cannot give (no respondent answers both items, no
    variance, too few respondents, a model that does not converge): the stage records the reason
    and goes on. Any other exception — a wrong argument, a bug — is a fault and stops the stage.
    A subclass of ValueError, so callers of the statistics API that catch ValueError still do."""
