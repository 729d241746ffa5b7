"""Settings files (``show.toml``, voice profiles, engine parameters) read through one schema.

Each settings table is a frozen pydantic model deriving from ``Settings``: its fields'
types and constraints are the validation (strict types, so ``3`` is not a boolean nor
``"1.0"`` a number; unknown keys refused). ``read_toml`` and ``validate`` turn a file
into such a record, or into one ``ConfigError`` line naming the file, the key as a
dotted path, what is allowed there and what was found; a TOML syntax error names its
line and column.
"""

from __future__ import annotations

import json
import re
import tomllib
import types
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from audio.errors import ConfigError

S = TypeVar("S", bound=BaseModel)


class Settings(BaseModel):
    """A table of a settings file: frozen, strictly typed, no unknown keys."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


def one_of(*values: Any) -> Any:
    """The type of a setting that takes one of ``values``, and only of their type (a bare
    ``Literal[1, 2]`` takes ``true`` and ``2.0`` too)."""
    kinds = {type(v) for v in values}

    def same_type(value: Any) -> Any:
        if type(value) not in kinds:
            raise PydanticCustomError("literal_error", "not one of the allowed values")
        return value

    return Annotated[Literal[values], BeforeValidator(same_type)]


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"expected a regular expression ({exc})") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_regex)]  # a setting holding a regular expression

_TOML_WHERE = re.compile(r"(.*) \(at (line \d+, column \d+|end of document)\)", re.DOTALL)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; a file that cannot be read or parsed is a ConfigError saying
    where the parser stopped."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, f"cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_WHERE.fullmatch(str(exc))
        if not found:  # tomllib says where; should a version not, the message stays whole
            raise ConfigError(path, f"not valid TOML ({exc})") from exc
        reason, where = found.groups()
        where = "end of file" if where == "end of document" else where
        raise ConfigError(path, f"{where}: not valid TOML ({reason[0].lower()}{reason[1:]})") from exc


def validate(schema: type[S], data: Any, path: str | Path | None, *, at: tuple[str, ...] = (),
             unknown: str = "") -> S:
    """``data`` as a ``schema`` record; the first problem is a ConfigError on ``path`` naming
    the key (``at`` is prefixed to it) and what it allows. ``unknown`` says what an unknown
    key is unknown to (default: "unknown key", or "unknown table")."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = exc.errors(include_url=False)
        reason = _reason(schema, problems[0], at, unknown)
        more = len(problems) - 1
        raise ConfigError(path, reason + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")) from exc


def _reason(schema: type[BaseModel], problem: dict[str, Any], at: tuple[str, ...], unknown: str) -> str:
    loc, kind, value = problem["loc"], problem["type"], problem["input"]
    where = _dotted((*at, *loc))
    if kind == "extra_forbidden":
        parent, _, _ = _field(schema, loc[:-1])
        unknown = unknown or f"unknown {'table' if isinstance(value, dict) else 'key'}"
        return f"{where}: {unknown} (allowed: {', '.join(sorted(parent.model_fields))})"
    if kind == "missing":
        return f"{where}: missing (expected {_allowed(*_field(schema, loc))})"
    expected = problem["ctx"]["error"] if kind == "value_error" else f"expected {_allowed(*_field(schema, loc))}"
    return f"{where}: {expected}, got {_shown(value)}"


def _shown(value: Any) -> str:
    """A value as it is written in TOML (near enough), cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:56] + " ..."


def _dotted(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _field(schema: Any, loc: tuple[str | int, ...]) -> tuple[Any, list[Any], list[Any]]:
    """The type found at ``loc`` inside ``schema``, its constraints and examples."""
    annotation, metadata, examples = schema, [], []
    for part in loc:
        if get_origin(annotation) is Annotated:  # constraints and validators of a list's items
            annotation = get_args(annotation)[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
            info = annotation.model_fields[part]
            annotation, metadata, examples = info.annotation, info.metadata, info.examples or []
        elif isinstance(part, int) and get_origin(annotation) is tuple:
            annotation, metadata, examples = get_args(annotation)[0], [], []
        elif isinstance(part, str) and get_origin(annotation) is dict:  # a table's value
            annotation, metadata, examples = get_args(annotation)[1], [], []
        else:
            break
    return annotation, metadata, examples


_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _allowed(annotation: Any, metadata: list[Any], examples: list[Any]) -> str:
    """What a field allows, in words: its type, its range or length, its values."""
    if get_origin(annotation) is Annotated:
        annotation, metadata = get_args(annotation)[0], [*metadata, *annotation.__metadata__]
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(v) for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        kinds = {a for a in get_args(annotation) if a is not type(None)}
        annotation = float if kinds <= {int, float} else next(iter(kinds))
    if origin is tuple:
        text = f"a list of {_allowed(get_args(annotation)[0], [], []).split(' ', 1)[1]}s"
    elif origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        text = "a table"
    else:
        text = _NAMES.get(annotation, str(annotation))
    bounds = {k: getattr(m, k) for m in metadata for k in _BOUNDS if hasattr(m, k)}
    if bounds.pop("min_length", None) == 1:
        text = "a non-empty " + text.removeprefix("a ")
    text += _range(bounds)
    if examples:
        text += f" such as {json.dumps(examples[0])}"
    return text


_BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def _range(bounds: dict[str, Any]) -> str:
    if "ge" in bounds and "le" in bounds:
        return f" between {bounds['ge']:g} and {bounds['le']:g}"
    words = {"ge": "of at least {:g}", "gt": "greater than {:g}", "le": "of at most {:g}", "lt": "less than {:g}",
             "max_length": "of at most {} characters"}
    return " " + " and ".join(words[k].format(v) for k, v in bounds.items() if k in words) if bounds else ""
