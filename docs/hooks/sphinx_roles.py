"""Griffe extension for the API reference: the package's docstrings are prose with Sphinx roles
(``:class:`~x.Y```, ``:mod:`.scoring```) and ``::`` before literal blocks; Markdown shows
those as code spans and a colon."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|py:\w+):`(~?)([^`]+)`")


def _role(match: re.Match) -> str:
    target = match.group(2).lstrip(".")
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = ROLE.sub(_role, obj.docstring.value)
            obj.docstring.value = re.sub(r"::$", ":", text, flags=re.MULTILINE)
