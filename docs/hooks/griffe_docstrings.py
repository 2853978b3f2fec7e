"""A griffe extension: the docstrings of the API reference made ready for markdown.

mkdocstrings reads the code statically and renders docstrings as markdown; four things in
this project's docstrings need help on the way, and the docstrings stay as they are:

- a class that extends its ``__doc__`` at import time (the clients append their settings,
  ``__doc__ = __doc__ + _SETTINGS_DOC``) is shown with the docstring Python sees;
- doctest examples (``>>>``, ``...`` and their output, up to a blank line) become ``pycon``
  blocks, where markdown would read them as nested quotes;
- Sphinx roles (``:class:`X```, ``:func:`~a.b```) become inline code;
- a pydantic field without a docstring shows its ``Field(description=...)`` (the
  settings of ``Mixroute``), which a static reader does not otherwise see.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|attr|data|exc|mod|obj|const|py:\w+):`(~?)([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap every run of doctest lines in ``text`` in a fenced ``pycon`` block."""
    out: list[str] = []
    in_block = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not in_block and stripped.startswith(">>>"):
            in_block = True
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif in_block and not stripped:
            out.append(f"{indent}```")
            in_block = False
        out.append(line)
    if in_block:
        out.append(f"{indent}```")
    return "\n".join(out)


def plain_roles(text: str) -> str:
    """Turn Sphinx cross-reference roles into inline code (``~`` keeps the last name)."""

    def code(match: re.Match[str]) -> str:
        tilde, target = match.groups()
        return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"

    return _ROLE.sub(code, text)


def runtime_docstring(obj: griffe.Object) -> str | None:
    """The docstring Python sees, when it extends the one written in the source."""
    # Only a class that assigns ``__doc__`` in its body is imported to read it.
    if not isinstance(obj, griffe.Class) or obj.docstring is None or "__doc__" not in obj.members:
        return None
    try:
        value: Any = importlib.import_module(obj.module.path)
        for name in obj.path.removeprefix(obj.module.path + ".").split("."):
            value = getattr(value, name)
    except Exception:  # a module that cannot be imported here keeps its static docstring
        return None
    seen = inspect.getdoc(value)
    written = obj.docstring.value
    if seen and seen != written and seen.startswith(written):
        return seen
    return None


def field_description(obj: griffe.Object) -> str | None:
    """The ``description=`` of an attribute assigned ``Field(...)``, when it is a literal."""
    value = obj.value if isinstance(obj, griffe.Attribute) else None
    if not isinstance(value, griffe.ExprCall) or str(value.function) not in (
        "Field",
        "pydantic.Field",
    ):
        return None
    for argument in value.arguments:
        if isinstance(argument, griffe.ExprKeyword) and argument.name == "description":
            try:
                text = ast.literal_eval(str(argument.value))
            except (ValueError, SyntaxError):
                return None
            return text if isinstance(text, str) else None
    return None


class ReferenceDocstrings(griffe.Extension):
    """Prepare every docstring the reference shows, once the package is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the object's docstring for markdown."""
        if obj.docstring is None:
            description = field_description(obj)
            if description is not None:
                obj.docstring = griffe.Docstring(description, parent=obj)
            return
        text = runtime_docstring(obj) or obj.docstring.value
        obj.docstring.value = plain_roles(fence_doctests(text))
