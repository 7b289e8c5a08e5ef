"""The evidence pack: a folder written atomically and verifiable byte for byte.

Layout::

    pack.json             the Assessment, with the run's provenance (the source of truth);
                          pack.json.gz instead when larger than LARGE_DATA bytes
    connectivity.json.gz  the full workload-level map, columnar and gzip-compressed
                          (reporter.render.pairmap); verify checks its pair count
    evidence-index.csv    every evidence ID -> requirement -> check -> artefact -> the commit
                          the artefact's file is at (``uncommitted`` when it differs from it);
                          evidence-index.csv.gz when larger than LARGE_DATA bytes
    inputs/...            the input manifests line for line, Secret and ConfigMap data, env,
                          command lines and annotations redacted in place; copies over
                          LARGE_INPUT bytes gzip-compressed (``.gz`` added to the name)
    report.html           the report, self-contained
    report.pdf            the same report, PDF/A-3a, embedding the files above and SHA256SUMS
    pack.pub              the signer's public key (when signed)
    SHA256SUMS            sha256 of every file above (``sha256sum -c`` reads it)
    pack.sig              Ed25519 signature over SHA256SUMS (when signed)

The SHA256SUMS embedded in the PDF lists every file but the PDF itself, which cannot contain
its own hash; the folder's SHA256SUMS adds the PDF's line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from reporter.errors import OutputError, PackError, Problem
from reporter.model import Assessment
from reporter.resources import TEMPLATES
from reporter.signing import SigningKey

if TYPE_CHECKING:
    from reporter.render.pairmap import PairMap

PACK_JSON = "pack.json"
CONNECTIVITY_JSON = "connectivity.json.gz"
EVIDENCE_CSV = "evidence-index.csv"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
PUBLIC_KEY = "pack.pub"
SUMS = "SHA256SUMS"
SIGNATURE = "pack.sig"
INPUTS = "inputs"
UNSUMMED = (SUMS, SIGNATURE)
"""The files SHA256SUMS cannot cover: itself and the signature over it."""

_PACKAGE = Path(__file__).resolve().parent


# -- attached copies of the inputs ----------------------------------------------------------------

LARGE_INPUT = 1 << 20
"""Copies larger than this are stored gzip-compressed: a cluster dump of 70,000 pods is 50 MB
of YAML, which would be most of the pack (and again inside the PDF)."""


LARGE_DATA = 8 << 20
"""pack.json and the evidence index larger than this are stored gzip-compressed (``.gz`` added
to the name): a 5,000-workload estate's pack.json is ~50 MB of JSON that compresses 20-fold,
while smaller ones stay plain for jq and spreadsheets."""


def stored_name(name: str, data: bytes) -> str:
    """The name under which the pack stores a data file (:func:`stored`)."""
    return f"{name}.gz" if len(data) > LARGE_DATA else name


def stored(name: str, data: bytes) -> tuple[str, bytes]:
    """A data file as the pack stores it: compressed, under ``name.gz``, when large."""
    stored_as = stored_name(name, data)
    return stored_as, data if stored_as == name else gzip_bytes(data)


def pack_json_of(files: Mapping[str, bytes]) -> bytes:
    """pack.json's text from a pack's files, however it was stored."""
    if PACK_JSON in files:
        return files[PACK_JSON]
    return gzip.decompress(files[f"{PACK_JSON}.gz"])


def read_pack_json(folder: Path) -> bytes:
    """pack.json's text from a pack folder, however it was stored; OSError when neither is
    there, ValueError when the compressed one is not gzip."""
    compressed = folder / f"{PACK_JSON}.gz"
    if compressed.is_file() and not (folder / PACK_JSON).exists():
        try:
            return gzip.decompress(compressed.read_bytes())
        except (gzip.BadGzipFile, EOFError) as error:
            raise ValueError(f"{compressed}: {error}") from None
    return (folder / PACK_JSON).read_bytes()


def gzip_writer(out: io.BytesIO) -> gzip.GzipFile:
    """gzip into ``out`` without a file name or time, so the same data gives the same bytes."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6)


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped as :func:`gzip_writer` writes."""
    out = io.BytesIO()
    with gzip_writer(out) as stream:
        stream.write(data)
    return out.getvalue()


def pack_paths(input_paths: Sequence[str]) -> dict[str, str]:
    """Input path -> where its redacted copy goes in the pack, unique and inside ``inputs/``."""
    placed: dict[str, str] = {}
    taken: set[str] = set()
    for path in input_paths:
        parts = [re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in PurePosixPath(path.replace(":", "/")
                                                                             ).parts]
        if not parts or any(p in ("", ".", "..") for p in parts) or path.startswith("/"):
            parts = [re.sub(r"[^A-Za-z0-9._-]", "_", PurePosixPath(path).name) or "input"]
        name = "/".join(parts)
        if not name.endswith((".yaml", ".yml", ".json")):
            name += ".yaml"
        stem, dot, suffix = name.rpartition(".")
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}{dot}{suffix}"
        taken.add(candidate)
        placed[path] = f"{INPUTS}/{candidate}"
    return placed


# -- hashes and identifiers ----------------------------------------------------------------------

def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` output for ``files``, by path: ``<hex>  <path>`` per line."""
    return "".join(f"{sha256(files[p])}  {p}\n" for p in sorted(files)).encode()


def tool_sha256() -> str:
    """What identifies the code that made the pack: its Python files and its templates."""
    digest = hashlib.sha256()
    paths = [p for root in (_PACKAGE, TEMPLATES) for p in root.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(paths, key=lambda p: p.relative_to(_PACKAGE.parent).as_posix()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(_PACKAGE.parent).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def run_id(assessment: Assessment, canonical: bytes) -> str:
    """``RUN-<UTC time>-<hash of the assessment>``: the same inputs and clock give the same ID.
    ``canonical`` is the assessment's JSON (``reporter.render.json.json_bytes``), which pack.json
    is then spliced from."""
    return f"RUN-{assessment.generated_at:%Y%m%dT%H%M%SZ}-{sha256(canonical)[:8]}"


def default_folder(assessment: Assessment, parent: Path = Path("out")) -> Path:
    """``out/<organisation, else cluster>-<UTC time>``."""
    owner = assessment.organisation or assessment.cluster or "estate"
    slug = re.sub(r"[^a-z0-9]+", "-", owner.lower()).strip("-") or "estate"
    return parent / f"{slug}-{assessment.generated_at:%Y%m%dT%H%M%SZ}"


# -- writing -------------------------------------------------------------------------------------

def _missing_ancestors(path: Path) -> list[Path]:
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write each file and fsync it, so a rename that follows publishes whole files."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())


def write_pack(destination: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` into a temporary folder beside ``destination``, then rename it into
    place. An existing destination is never touched; on failure nothing is left behind."""
    if os.path.lexists(destination):  # a dangling symlink counts: rename() would follow it
        raise OutputError([Problem("already exists; a pack is never overwritten",
                                 file=str(destination))],
                        hint="choose another --out folder, or move the existing pack away")
    created = _missing_ancestors(destination.parent)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial",
                                      dir=destination.parent))
    try:
        write_files(temporary, files)
        temporary.chmod(0o755)
        # rename() would replace an empty folder made meanwhile, never a non-empty one (a pack)
        os.rename(temporary, destination)
    except BaseException as error:
        shutil.rmtree(temporary, ignore_errors=True)
        for folder in created:  # deepest first
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(error, OSError):
            raise OutputError([Problem(f"cannot write the pack: {error.strerror or error}",
                                     file=str(destination))],
                            hint="check the folder's permissions and free space") from None
        raise


def evidence_csv(rows: Iterator[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("evidence_id", "frameworks", "requirement", "check", "status", "target",
                     "artefact", "fingerprint", "exception", "commit", "affected"))
    writer.writerows(rows)
    return out.getvalue().encode()


@dataclass(frozen=True, slots=True)
class Timed:
    """Adds the seconds each named stage takes to a timings mapping (when one is given)."""

    timings: MutableMapping[str, float] | None

    def __call__(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - started
        return now


def signed_files(files: Mapping[str, bytes], key: SigningKey | None) -> dict[str, bytes]:
    """``files`` with SHA256SUMS over all of them, and ``pack.sig`` over it when ``key``."""
    result = dict(files)
    result[SUMS] = sha256sums(files)
    if key is not None:
        result[SIGNATURE] = key.sign(result[SUMS])
    return result


# -- verifying -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Verified:
    """A pack that passed ``verify``."""

    files: int
    """Files whose sha256 matched SHA256SUMS."""
    signer: str | None
    """Fingerprint of the key whose signature matched, if the pack is signed."""
    key_source: str | None
    """Where that key came from: the file given, or the pack's own pack.pub."""
    pair_map: PairMap | None
    """The stored map, decoded while it was checked (None: a pack before the stored map)."""
    pack_json: dict[str, Any] | None
    """pack.json, parsed once for every check that reads it (None: missing, not JSON or not an
    object)."""


def _parse_sums(text: str, sums_path: Path) -> dict[str, str]:
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        name = match.group(2) if match else ""
        if not match or name.startswith("/") or ".." in PurePosixPath(name).parts:
            problems.append(Problem("not a '<sha256>  <relative path>' line", file=str(sums_path),
                                    line=number))
        else:
            listed[name] = match.group(1)
    if problems:
        raise PackError(problems, hint="SHA256SUMS was edited; the pack cannot be trusted")
    return listed


def _present(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _hash_problems(folder: Path, listed: Mapping[str, str]) -> list[Problem]:
    problems = []
    for name, expected in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(Problem("listed in SHA256SUMS but missing", file=str(path)))
        elif sha256(path.read_bytes()) != expected:
            problems.append(Problem("content differs from its SHA256SUMS entry (the file was "
                                    "changed after the pack was written)", file=str(path)))
    problems += [
        Problem("not listed in SHA256SUMS (added after the pack was written)",
                file=str(folder / name))
        for name in sorted(_present(folder) - set(listed) - set(UNSUMMED))
    ]
    return problems


def _check_signature(folder: Path, sums: bytes, public_key: Path | None) -> tuple[str, str]:
    from reporter.signing import fingerprint, load_public_key, signature_matches

    key_path = public_key or folder / PUBLIC_KEY
    if not key_path.is_file():
        raise PackError([Problem("the pack is signed but has no pack.pub", file=str(key_path))],
                        hint="pass the signer's public key with --public-key")
    key = load_public_key(key_path.read_bytes(), str(key_path))
    if not signature_matches(key, sums, (folder / SIGNATURE).read_bytes()):
        raise PackError([Problem(f"the signature does not match SHA256SUMS for key "
                                 f"{fingerprint(key)}", file=str(folder / SIGNATURE))],
                        hint="SHA256SUMS or pack.sig was changed, or the key is not the signer's")
    return fingerprint(key), str(key_path)


def _check_pair_map(folder: Path, pack_json: dict[str, Any] | None) -> PairMap | None:
    """The map decodes, and holds as many pairs as pack.json counted: a map written wrong (or
    by another run, its SHA256SUMS line recomputed) is caught, not only a changed byte. The
    map, decoded."""
    from reporter.render.pairmap import PairMapError, read_pair_map

    path = folder / CONNECTIVITY_JSON
    if not path.is_file():  # packs before 2026-12 hold connectivity.json: its hash is checked
        return None
    try:
        pair_map = read_pair_map(path.read_bytes())
    except PairMapError as error:
        raise PackError([Problem(f"cannot be read: {error}", file=str(path))],
                        hint="the pack's writer is broken or the file was replaced") from None
    try:
        counted = (pack_json or {})["connectivity"]["connected_pairs"]
    except (KeyError, TypeError):
        return pair_map  # a pack.json without the counts: nothing to compare with
    if counted != pair_map.pairs:
        raise PackError([Problem(f"holds {pair_map.pairs} pairs but pack.json counts {counted}",
                                 file=str(path))],
                        hint="the map and the assessment are not from the same run")
    return pair_map


def verify_pack(folder: Path, public_key: Path | None = None) -> Verified:
    """Recompute SHA256SUMS and check the signature; any difference raises PackError naming
    the file. ``public_key`` must have signed the pack when given."""
    sums_path = folder / SUMS
    if not sums_path.is_file():
        raise PackError([Problem("no SHA256SUMS: not an evidence pack", file=str(folder))],
                        hint="name the folder `reporter report` wrote")
    sums = sums_path.read_bytes()
    listed = _parse_sums(sums.decode("utf-8", errors="replace"), sums_path)
    problems = _hash_problems(folder, listed)
    if problems:
        raise PackError(problems, hint="the pack was modified after it was written; "
                                       "obtain the original from its producer")
    data = parsed_pack_json(folder)
    pair_map = _check_pair_map(folder, data)
    if not (folder / SIGNATURE).is_file():
        if public_key is not None:
            raise PackError([Problem("the pack is not signed", file=str(folder))],
                            hint="it has no pack.sig, so it cannot prove who wrote it")
        return Verified(len(listed), None, None, pair_map, data)
    signer, source = _check_signature(folder, sums, public_key)
    return Verified(len(listed), signer, source, pair_map, data)


def parsed_pack_json(folder: Path) -> dict[str, Any] | None:
    """pack.json of a pack folder as a JSON object; None when it is missing, not JSON or not an
    object."""
    try:
        data = json.loads(read_pack_json(folder))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
