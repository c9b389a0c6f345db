"""User-facing errors.

Every failure a user can cause or fix (bad input, unreachable platform, wrong token,
retries exhausted) is an :class:`OcpiwhError`. The CLI prints its one-line message and
exits with its code, without a traceback. Messages never contain credentials.
"""

from __future__ import annotations

import errno


class OcpiwhError(Exception):
    """A failure with a one-line, actionable message. Exit code 1 (failure during work)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(OcpiwhError):
    """The command line or configuration is wrong. Exit code 2."""

    exit_code = 2


class OcpiError(OcpiwhError):
    """The OCPI platform answered with an error (HTTP or OCPI status_code outside 1xxx)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        http_status: int | None = None,
        ocpi_status: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.http_status = http_status
        self.ocpi_status = ocpi_status


class AuthError(OcpiError):
    """The platform refused the token (HTTP 401/403)."""


class TransportError(OcpiError):
    """The platform could not be reached, or retries ran out."""


_OS_REASONS = {
    errno.EROFS: ("the warehouse is on a read-only file system", "sync into a writable folder"),
    errno.ENOSPC: ("the disk is full", "free some space, then run the command again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space, then run the command again"),
    errno.EACCES: ("permission denied", "check the folder's owner and permissions"),
    errno.EPERM: ("operation not permitted", "check the folder's owner and permissions"),
}


def os_error(exc: OSError, where: object | None = None) -> OcpiwhError:
    """A file-system failure (read-only folder, full disk, no permission) as one line.

    Nothing is half-written when it happens: the lake's commit protocol leaves the last
    committed state, and the next run starts from it."""
    reason, hint = _OS_REASONS.get(
        exc.errno or 0, (exc.strerror or type(exc).__name__, "check the warehouse folder")
    )
    path = f" ({exc.filename})" if exc.filename else ""
    prefix = f"cannot write to the warehouse {where}: " if where is not None else ""
    return OcpiwhError(f"{prefix}{reason}{path}", hint=hint)
