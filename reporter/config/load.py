"""Reading reporter.yaml: YAML with lines, strict validation, errors that say where and what."""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reporter.config.model import Config
from reporter.config.types import PATTERN_HELP
from reporter.errors import InputError, Problem
from reporter.inventory.yamlload import LineDict, load_documents

_HINT = "fix reporter.yaml; docs/config.md describes every key"
RENAMED = {"datastores": "data_stores"}
"""Keys of earlier versions -> their name now (top level and in zones)."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A validated config and where it came from (for lines in later errors and the pack)."""

    config: Config
    path: str | None = None
    sha256: str | None = None
    raw: Any = None
    found: str | None = None
    """How the file was chosen: given with --config, or found (reporter.config.discover)."""

    def describe(self) -> str:
        """Which file was used and how it was chosen, for the output."""
        if self.path is None:
            return "none (defaults: the whole cluster is one zone, no declared flows)"
        return f"{self.path} ({self.found})" if self.found else self.path

    def problem(self, loc: Sequence[int | str], message: str) -> Problem:
        return Problem(message, file=self.path, line=_line_of(self.raw, loc),
                       field=field_path(loc))


def load_config(path: str | None, found: str | None = None) -> LoadedConfig:
    """The config at ``path``; ``None`` gives the defaults. ``found`` says how it was chosen."""
    if path is None:
        return LoadedConfig(Config())
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the config: {error.strerror}", file=path)],
                         hint="check the --config path") from None
    documents = load_documents(content.decode("utf-8", errors="replace"), path)
    if len(documents) > 1:
        raise InputError([Problem("holds several YAML documents; a config is one", file=path)],
                         hint=_HINT)
    raw = documents[0] if documents else LineDict()
    if not isinstance(raw, dict):
        raise InputError([Problem("must be a mapping of keys (zones, flows, …)", file=path)],
                         hint=_HINT)
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(path, raw, details) for details in _root_causes(error.errors())]
        raise InputError(problems, hint=_HINT) from None
    return LoadedConfig(config, path, hashlib.sha256(content).hexdigest(), raw, found)


def check_references(loaded: LoadedConfig, framework_ids: Collection[str],
                     check_ids: Collection[str],
                     requirements: Mapping[str, Collection[str]] | None = None) -> None:
    """Framework, check and requirement IDs must exist: a typo would silently assess, except or
    attest nothing. ``requirements``: framework ID -> its requirement IDs."""
    config = loaded.config
    problems = [
        loaded.problem(loc, _unknown(what, value, known))
        for loc, what, value, known in _references(config, framework_ids, check_ids)
        if value not in known
    ]
    for a, entry in enumerate(config.attestations):
        if entry.framework not in framework_ids:
            problems.append(loaded.problem(("attestations", a, "framework"),
                                           _unknown("framework", entry.framework, framework_ids)))
        elif requirements is not None and entry.requirement not in requirements[entry.framework]:
            known = requirements[entry.framework]
            message = _unknown(f"requirement of {entry.framework}", entry.requirement, known)
            problems.append(loaded.problem(("attestations", a, "requirement"), message))
    if problems:
        raise InputError(problems, hint=_HINT)


def _references(config: Config, framework_ids: Collection[str], check_ids: Collection[str]
                ) -> Iterator[tuple[tuple[int | str, ...], str, str, Collection[str]]]:
    for i, framework in enumerate(config.frameworks):
        yield ("frameworks", i), "framework", framework, framework_ids
    for z, zone in enumerate(config.zones):
        for i, framework in enumerate(zone.frameworks or ()):
            yield ("zones", z, "frameworks", i), "framework", framework, framework_ids
    for e, entry in enumerate(config.exceptions):
        yield ("exceptions", e, "check"), "check", entry.check, check_ids


def _unknown(what: str, value: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    known_list = ", ".join(sorted(known))
    suggestion = f"; did you mean {close[0]!r}?" if close else f"; known: {known_list}"
    return f"unknown {what} {value!r}{suggestion}"


def _root_causes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Leave out "too short" on a list whose items failed: the item errors say why."""
    failed = [tuple(e["loc"]) for e in errors]
    return [
        e for e in errors
        if e["type"] != "too_short"
        or not any(len(f) > len(e["loc"]) and f[: len(e["loc"])] == tuple(e["loc"])
                   for f in failed)
    ]


def _problem(path: str, raw: Any, details: ErrorDetails) -> Problem:
    loc = tuple(details["loc"])
    if details["type"] == "extra_forbidden" and loc[-1] in RENAMED:
        message = (f"unknown key {loc[-1]!r}: it is now called {RENAMED[str(loc[-1])]!r}; "
                   "did you mean that? (rename the key, the value stays)")
    elif details["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = _keys_of(model)
        field = model.model_fields.get(str(loc[-1])) if model else None
        # The code's name of a field the YAML spells otherwise (``source`` for ``from``).
        close = ([field.alias] if field is not None and field.alias
                 else difflib.get_close_matches(str(loc[-1]), allowed, n=1))
        message = f"unknown key {loc[-1]!r}" + (
            f"; did you mean {close[0]!r}?" if close else f"; allowed here: {', '.join(allowed)}")
    elif details["type"] == "missing":
        message = f"required key {loc[-1]!r} is missing"
    elif details["type"] in ("model_type", "dict_type"):
        keys = _keys_of(_model_at(loc))
        among = f" with keys among {', '.join(keys)}" if keys else ""
        message = f"expected a mapping{among}, got {details['input']!r}"
    elif details["type"] in ("tuple_type", "list_type"):
        value = details["input"]
        message = f"expected a list, got {value!r}" + (
            f": write [{value}] for one item" if isinstance(value, str) else "")
    elif details["type"] == "ip_any_network":
        message = (f"{details['input']!r} is not a network: write an address and a prefix "
                   "length with the host bits zero, e.g. 10.0.0.0/8")
    elif details["type"] == "string_pattern_mismatch":
        pattern = str((details.get("ctx") or {}).get("pattern", ""))
        hint = PATTERN_HELP.get(pattern, f"expected the form {pattern}")
        message = f"{details['input']!r}: {hint}"
    else:
        message = details["msg"].removeprefix("Value error, ")
    return Problem(message, file=path, line=_line_of(raw, loc), field=field_path(loc))


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    """The keys a model allows, as the YAML writes them."""
    return sorted(f.alias or n for n, f in model.model_fields.items()) if model else []


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model found by following ``loc`` from Config (keys as the YAML writes them)."""
    annotation: Any = Config
    for part in loc:
        annotation = _model_in(annotation)
        if annotation is None:
            return None
        if isinstance(part, str):
            field = next((f for n, f in annotation.model_fields.items()
                          if part in (n, f.alias)), None)
            if field is None:
                return None
            annotation = field.annotation
    return _model_in(annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``tuple[Zone, ...] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _line_of(raw: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest mapping on ``loc`` present in the YAML."""
    line = getattr(raw, "line", None)
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]  # noqa: SIM114 (mypy needs the int index narrowed)
        else:
            break
        line = getattr(node, "line", line)
    return line


def field_path(loc: Sequence[int | str]) -> str | None:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return path or None
