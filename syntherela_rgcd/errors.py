"""User-facing errors.

Anything a user can cause (a wrong name, a broken metadata file, a CSV missing a column)
is raised as :class:`SyntheRelaError` with a one-line message that names the culprit.
The command line prints that line and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations


class SyntheRelaError(Exception):
    """An error caused by the user's input or environment, with a one-line explanation."""

    exit_code: int = 2


class UnknownNameError(SyntheRelaError):
    """A method, dataset, profile or metric name that is not known."""


class DataError(SyntheRelaError):
    """Data or metadata on disk that is missing, malformed or inconsistent."""


class NetworkError(SyntheRelaError):
    """A download that could not reach its source."""
