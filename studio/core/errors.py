"""Errors a user can act on. The CLI prints them as one line and exits 2; the window shows
them in a message box. Anything else that escapes is a bug in the studio."""

from __future__ import annotations


class StudioError(Exception):
    """A problem with the user's input or environment, said in one line.

    `where` names the place (a file, file:line, a node or tensor) so the message can
    say what was wrong *and where*."""

    exit_code = 2

    def __init__(self, message: str, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ModelError(StudioError):
    """The model file cannot be opened or is unsafe to open."""


class DataError(StudioError):
    """Calibration / validation data is malformed."""


class TaskError(StudioError):
    """A task failed in its child process (it crashed, hung or ended without a result);
    `log_tail` holds the last lines it said."""

    def __init__(self, message: str, where: str | None = None, log_tail: list[str] | None = None):
        super().__init__(message, where)
        self.log_tail = list(log_tail or [])


class BuildError(TaskError):
    """A build failed; `log_tail` holds the last lines the builder said."""


class CapabilityError(StudioError):
    """The chosen backend cannot do what was asked (the message says why)."""


class Cancelled(StudioError):
    """The user cancelled a job."""

    exit_code = 130
