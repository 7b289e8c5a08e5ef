"""The control catalog: ``controls/*.yaml``, one file per framework version, validated strictly.

A requirement lists the automated checks that evidence it; an empty list means MANUAL, and the
``manual`` text says what an assessor will still ask for. ``controls/catalog.yaml`` holds the
catalog's own version; every other ``*.yaml`` file is a framework.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from reporter.errors import CatalogError, Problem
from reporter.model import Coverage
from reporter.resources import CONTROLS

DEFAULT_DIRECTORY = CONTROLS
INDEX_FILE = "catalog.yaml"
ALL_ZONES = "all"
"""The zone kind that stands for every zone."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HINT = (
    "fix the listed catalog entries; a requirement needs id, title, description and checks "
    "(an empty list means MANUAL, which then needs 'manual')"
)

CheckId = Annotated[str, StringConstraints(pattern=r"^[a-z]+(\.[a-z0-9-]+)+$")]
ZoneKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
RequirementId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.()-]*$")]
FrameworkId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+([-.][a-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PublishedDate = Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _distinct(values: Sequence[str], what: str) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} listed more than once: {', '.join(repeated)}")


def _valid_zone_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    _distinct(kinds, "zone kind")
    if ALL_ZONES in kinds and len(kinds) > 1:
        raise ValueError(f"{ALL_ZONES!r} already covers every zone; list it alone")
    return kinds


class Requirement(BaseModel):
    """One requirement of a framework and the automated checks that evidence it."""

    model_config = _STRICT

    id: RequirementId
    """The identifier the standard uses, e.g. ``1.3.1`` or ``164.312(a)(1)``."""
    title: Text
    description: Text
    """What the requirement asks, in our own words (never the standard's text)."""
    checks: tuple[CheckId, ...]
    """Automated checks that evidence the requirement; empty means MANUAL."""
    manual: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    """What stays manual: the evidence an assessor will ask for."""
    applies_to: tuple[ZoneKind, ...] | None = None
    """Zone kinds this requirement targets, when narrower than the framework's default."""
    maps_to: tuple[RequirementId, ...] = ()
    """Crosswalk: IDs of the successor framework (``maps_to_framework``) covering this one."""
    coverage: Coverage | None = None
    """How much the checks prove: ``full`` (nothing manual), ``partial`` (``manual`` names the
    rest) or ``none`` (checks are supporting evidence only). Default: none without checks,
    partial with a ``manual`` text, full without one."""

    @field_validator("checks", "maps_to")
    @classmethod
    def _no_repeats(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _distinct(values, "ID")
        return values

    @field_validator("applies_to")
    @classmethod
    def _zone_kinds(cls, kinds: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if kinds is None else _valid_zone_kinds(kinds)

    @model_validator(mode="after")
    def _manual_needs_evidence(self) -> Requirement:
        if not self.checks and not self.manual:
            message = "a MANUAL requirement (checks: []) needs 'manual': the evidence to ask for"
            raise ValueError(message)
        if self.coverage is Coverage.FULL and (self.manual or not self.checks):
            raise ValueError("coverage 'full' needs checks and leaves nothing manual: "
                             "remove 'manual'")
        if self.coverage in (Coverage.PARTIAL, Coverage.NONE) and not self.manual:
            raise ValueError(f"coverage {self.coverage.value!r} needs 'manual': what the checks "
                             "do not prove and the evidence to ask for")
        return self

    @property
    def is_manual(self) -> bool:
        return not self.checks

    @property
    def automated_coverage(self) -> Coverage:
        """As declared; else none without checks, partial with a manual part, full without."""
        if self.coverage is not None:
            return self.coverage
        if not self.checks:
            return Coverage.NONE
        return Coverage.PARTIAL if self.manual else Coverage.FULL


class Framework(BaseModel):
    """One version of one framework, as written in ``controls/<id>.yaml``."""

    model_config = _STRICT

    framework: Text
    """Display name, e.g. ``PCI DSS``."""
    id: FrameworkId
    """Stable ID used on the command line, e.g. ``pci-dss-4.0.1``."""
    version: Text
    published: PublishedDate
    """Publication date or year: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    source: Text
    """The publisher."""
    zone_kinds: tuple[ZoneKind, ...]
    """Zone kinds the framework applies to by default; ``[all]`` for every zone."""
    maps_to_framework: FrameworkId | None = None
    """The framework whose IDs the requirements' ``maps_to`` lists name."""
    retired: PublishedDate | None = None
    """When the publisher retired this version: it is then assessed only when asked for."""
    requirements: tuple[Requirement, ...]

    @field_validator("published", "retired", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        # An unquoted YAML date arrives as a date; the catalog records it as written.
        return value.isoformat() if isinstance(value, date) else value

    @field_validator("zone_kinds")
    @classmethod
    def _zone_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if not kinds:
            raise ValueError(f"name at least one zone kind, or [{ALL_ZONES}]")
        return _valid_zone_kinds(kinds)

    @field_validator("requirements")
    @classmethod
    def _unique_ids(cls, requirements: tuple[Requirement, ...]) -> tuple[Requirement, ...]:
        if not requirements:
            raise ValueError("a framework needs at least one requirement")
        _distinct([r.id for r in requirements], "requirement ID")
        return requirements

    @model_validator(mode="after")
    def _crosswalk_has_target(self) -> Framework:
        if self.maps_to_framework is None and any(r.maps_to for r in self.requirements):
            raise ValueError("requirements use 'maps_to' but 'maps_to_framework' is not set")
        return self

    @property
    def requirement_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requirements)

    def zone_kinds_of(self, requirement: Requirement) -> tuple[str, ...]:
        """The zone kinds a requirement targets: its own hint, else the framework's default."""
        return requirement.applies_to or self.zone_kinds

    @property
    def check_ids(self) -> frozenset[str]:
        return frozenset(c for r in self.requirements for c in r.checks)


class Catalog(BaseModel):
    """Every framework in the catalog, with what identifies the catalog's exact content."""

    model_config = _STRICT

    version: Text
    """From ``catalog.yaml``, or ``sha256:<first 12 hex digits>`` without one."""
    sha256: str
    """Over the files sorted by name: for each, ``name NUL size NUL`` then its bytes."""
    frameworks: tuple[Framework, ...]

    @property
    def framework_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.frameworks)

    @property
    def check_ids(self) -> frozenset[str]:
        return frozenset(c for f in self.frameworks for c in f.check_ids)

    def framework(self, framework_id: str) -> Framework:
        for framework in self.frameworks:
            if framework.id == framework_id:
                return framework
        raise self._unknown([framework_id])

    def select(self, framework_ids: Iterable[str]) -> tuple[Framework, ...]:
        """The named frameworks in the order given; no names means every framework that is
        not retired (a retired version runs only when named)."""
        wanted = list(dict.fromkeys(framework_ids))
        unknown = [i for i in wanted if i not in self.framework_ids]
        if unknown:
            raise self._unknown(unknown)
        if wanted:
            return tuple(self.framework(i) for i in wanted)
        return tuple(f for f in self.frameworks if f.retired is None)

    def _unknown(self, framework_ids: Iterable[str]) -> CatalogError:
        known = ", ".join(self.framework_ids)
        return CatalogError(
            [Problem(f"unknown framework {i!r}; known frameworks: {known}") for i in framework_ids],
            hint="pass one of the known framework IDs",
        )


class _CatalogIndex(BaseModel):
    model_config = _STRICT

    version: Text


@dataclass(frozen=True, slots=True)
class _Document:
    """One parsed YAML file; the node tree is kept to turn error locations into lines."""

    file: str
    node: yaml.Node
    data: Any


def load_catalog(
    directory: Path | None = None, known_checks: Collection[str] | None = None
) -> Catalog:
    """Read and validate every catalog file; all problems are reported together.

    ``known_checks`` are the implemented check IDs; when given, every referenced ID must be one.
    """
    directory = DEFAULT_DIRECTORY if directory is None else directory
    contents = {path.name: path.read_bytes() for path in _catalog_files(directory)}
    problems: list[Problem] = []
    loaded: list[tuple[_Document, Framework]] = []
    version: str | None = None
    for name, content in contents.items():
        file = str(directory / name)
        try:
            document = _parse(file, content)
            if name == INDEX_FILE:
                version = _validate(_CatalogIndex, document).version
            else:
                loaded.append((document, _validate(Framework, document)))
        except CatalogError as error:
            problems.extend(error.problems)
    problems.extend(_cross_file_problems(loaded, known_checks))
    if problems:
        raise CatalogError(problems, hint=_HINT)
    digest = _digest(contents)
    return Catalog(
        version=version or f"sha256:{digest[:12]}",
        sha256=digest,
        frameworks=tuple(framework for _, framework in loaded),
    )


def _catalog_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        problem = Problem("the control catalog directory does not exist", file=str(directory))
        raise CatalogError([problem], hint="point to the directory holding the framework files")
    problems = [
        Problem("catalog files must end in .yaml, or they are skipped", file=str(path))
        for path in sorted(directory.glob("*.yml"))
    ]
    paths = sorted(directory.glob("*.yaml"))
    if not any(p.name != INDEX_FILE for p in paths):
        problems.append(Problem("no framework files (*.yaml)", file=str(directory)))
    if problems:
        raise CatalogError(problems, hint="keep one <framework-id>.yaml file per framework version")
    return paths


def _digest(contents: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(contents):
        digest.update(f"{name}\0{len(contents[name])}\0".encode())
        digest.update(contents[name])
    return digest.hexdigest()


def _parse(file: str, content: bytes) -> _Document:
    loader = _Loader(content)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CatalogError([Problem("the file is empty", file=file)], hint=_HINT)
        duplicates = list(_duplicate_keys(node, file))
        if duplicates:
            raise CatalogError(duplicates, hint=_HINT)
        return _Document(file, node, loader.construct_document(node))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        problem = Problem(f"not valid YAML: {reason}", file=file, line=line)
        raise CatalogError([problem], hint=_HINT) from None
    finally:
        loader.dispose()


def _duplicate_keys(node: yaml.Node, file: str) -> Iterator[Problem]:
    """YAML loaders keep the last of repeated keys silently; the catalog refuses them."""
    seen_nodes: set[int] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if id(current) in seen_nodes:  # aliases may point back at an ancestor
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in current.value:
                pending.append(value)
                if not isinstance(key, yaml.ScalarNode):
                    continue
                line = key.start_mark.line + 1
                if key.value in first_line:
                    message = f"key {key.value!r} repeats the one on line {first_line[key.value]}"
                    yield Problem(message, file=file, line=line)
                first_line.setdefault(key.value, line)


_Model = TypeVar("_Model", bound=BaseModel)


def _validate(model: type[_Model], document: _Document) -> _Model:
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems = [_problem(model, document, details) for details in error.errors()]
        raise CatalogError(problems, hint=_HINT) from None


def _problem(model: type[BaseModel], document: _Document, details: ErrorDetails) -> Problem:
    loc = tuple(details["loc"])
    if details["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(model, loc[:-1]))
        message = f"unknown key {loc[-1]!r}; allowed keys here: {allowed}"
    elif details["type"] == "missing":
        message = f"required key {loc[-1]!r} is missing"
    elif details["type"] == "string_pattern_mismatch":
        message = f"{details['msg']}, got {details['input']!r}"
    else:
        message = details["msg"].removeprefix("Value error, ").replace("valid tuple", "list")
    return _located(document, loc, message)


def _allowed_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    if model is Framework and len(loc) >= 2 and loc[0] == "requirements":
        model = Requirement
    return sorted(model.model_fields)


def _object_and_field(data: Any, loc: Sequence[int | str]) -> tuple[str | None, str | None]:
    """Name the requirement (or framework) an error is in, and the field path inside it."""
    obj: str | None = None
    rest = list(loc)
    if isinstance(data, dict) and len(loc) >= 2 and loc[0] == "requirements":
        entries = data.get("requirements")
        index = loc[1]
        entry = entries[index] if isinstance(entries, list) and isinstance(index, int) else None
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            obj, rest = f"requirement {entry['id']}", list(loc[2:])
    elif isinstance(data, dict) and isinstance(data.get("id"), str):
        obj = f"framework {data['id']}"
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
    return obj, field or None


def _line_of(node: yaml.Node, loc: Sequence[int | str]) -> int:
    """The 1-based line of the deepest part of ``loc`` present in the YAML."""
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, child = key.start_mark.line + 1, value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
            line = child.start_mark.line + 1 if child else line
        if child is None:
            break
        node = child
    return line


def _cross_file_problems(
    loaded: Sequence[tuple[_Document, Framework]], known_checks: Collection[str] | None
) -> Iterator[Problem]:
    """Problems no single file shows: repeated framework IDs, crosswalks, unknown checks."""
    by_id: dict[str, Framework] = {}
    for document, framework in loaded:
        if framework.id in by_id:
            message = f"framework id {framework.id!r} is used by another catalog file too"
            yield _located(document, ("id",), message)
        by_id.setdefault(framework.id, framework)
    for document, framework in loaded:
        yield from _crosswalk_problems(document, framework, by_id)
        if known_checks is not None:
            yield from _unknown_check_problems(document, framework, known_checks)


def _crosswalk_problems(
    document: _Document, framework: Framework, by_id: Mapping[str, Framework]
) -> Iterator[Problem]:
    if framework.maps_to_framework is None:
        return
    target = by_id.get(framework.maps_to_framework)
    if target is None:
        known = ", ".join(sorted(by_id))
        message = f"{framework.maps_to_framework!r} is not in the catalog; known: {known}"
        yield _located(document, ("maps_to_framework",), message)
        return
    for i, requirement in enumerate(framework.requirements):
        for j, mapped in enumerate(requirement.maps_to):
            if mapped not in target.requirement_ids:
                message = f"{mapped!r} is not a requirement of {target.id}"
                yield _located(document, ("requirements", i, "maps_to", j), message)


def _unknown_check_problems(
    document: _Document, framework: Framework, known_checks: Collection[str]
) -> Iterator[Problem]:
    for i, requirement in enumerate(framework.requirements):
        for j, check in enumerate(requirement.checks):
            if check not in known_checks:
                close = difflib.get_close_matches(check, list(known_checks), n=1)
                suggestion = f"; did you mean {close[0]!r}?" if close else ""
                message = f"no check is implemented under {check!r}{suggestion}"
                yield _located(document, ("requirements", i, "checks", j), message)


def _located(document: _Document, loc: Sequence[int | str], message: str) -> Problem:
    obj, field = _object_and_field(document.data, loc)
    return Problem(
        message, file=document.file, line=_line_of(document.node, loc), obj=obj, field=field
    )
