"""User-facing errors.

Every failure a user can cause or fix (bad input, unreachable platform, wrong token,
retries exhausted) is an :class:`OcpiwhError`. The CLI prints its one-line message and
exits with its code, without a traceback. Messages never contain credentials.
"""

from __future__ import annotations


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
