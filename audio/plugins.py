"""Plug-ins found by name through an entry point group: engines, input readers and
recognisers are each one module plus an entry point.

A registry lists its built-ins (also declared as entry points in pyproject.toml, and
listed in code so a source tree run without installing, ``PYTHONPATH=.``, still finds
them); an installed entry point of the same name replaces a built-in.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any


def targets(group: str, builtin: dict[str, str]) -> dict[str, str]:
    """Every plug-in of ``group`` by name: ``"module:attr"`` targets."""
    found = dict(builtin)
    found.update({ep.name: ep.value for ep in entry_points(group=group)})
    return found


def resolve(target: str) -> Any:
    """The object a ``"module:attr.attr"`` target names (ImportError/AttributeError when it cannot)."""
    module, _, attr = target.partition(":")
    obj = import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
