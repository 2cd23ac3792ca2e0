"""Figures drawn in matplotlib's default style, whatever other packages did to its globals.

Importing parts of SyntheRela switches matplotlib's global ``text.usetex`` on (and other
packages set a global style), which makes every later figure need a LaTeX installation. Our
plots are drawn inside :func:`default_style`, so they look the same and need nothing beyond
matplotlib, in whatever order modules were imported.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

import matplotlib.style

F = TypeVar("F", bound=Callable)


def default_style(draw: F) -> F:
    """Run ``draw`` with matplotlib's default settings (no LaTeX), restoring the globals after."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.style.context("default"):
            return draw(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
