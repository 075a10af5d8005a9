"""The errors a user sees, and what they mean to a shell and to a browser.

Every package's refusals derive from one of the categories below. ``str(err)`` is the Chinese
message shown as is; the category decides the exit code of a command (``handover.cli_errors``)
and the HTTP status of a page or API call (the handler in ``web/app.py``). Exit codes 0–2 are not
errors: 0 done, 1 the command ran and its result is "not good" (findings), 2 Click's usage errors.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # e.g. a roster with errors, an incomplete volume
EXIT_USAGE = 2  # Click's own (unknown option, missing argument)
EXIT_INPUT = 3
EXIT_UNAVAILABLE = 4
EXIT_CONFLICT = 5
EXIT_NOT_ACCEPTED = 6  # handover receive: the package has no concluded 合格 acceptance (验收) of this content


class HandoverError(Exception):
    """A refusal the user can act on; never a programming error."""

    exit_code = EXIT_INPUT
    http_status = 400

    @property
    def message(self) -> str:
        return str(self)


class InputRefused(HandoverError):
    """What was given cannot be used: a bad file, an invalid ID number, an unknown profile."""


class NotFound(InputRefused):
    """What was named does not exist: an unknown community, batch or enterprise."""

    http_status = 404


class Unavailable(HandoverError):
    """Something the command needs is missing from this machine or out of reach: an OCR engine or
    font not installed, a database not supported or unreachable, storage down."""

    exit_code = EXIT_UNAVAILABLE
    http_status = 503


class Conflict(HandoverError):
    """The request does not fit the current state: already published, a task in the wrong stage."""

    exit_code = EXIT_CONFLICT
    http_status = 409
