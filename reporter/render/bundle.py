"""Every file of an evidence pack, rendered from one Assessment: pack.json first, then the views.

Nothing here touches the disk; :func:`reporter.pack.write_pack` writes the result.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from reporter.collection import frozen
from reporter.inventory.sanitise import Redacted, Redaction, redact_in_place
from reporter.model import Assessment
from reporter.pack import (
    CONNECTIVITY_JSON,
    EVIDENCE_CSV,
    LARGE_INPUT,
    PACK_JSON,
    PUBLIC_KEY,
    REPORT_HTML,
    REPORT_PDF,
    SUMS,
    Timed,
    evidence_csv,
    gzip_bytes,
    pack_paths,
    run_id,
    sha256,
    sha256sums,
    signed_files,
    stored,
    stored_name,
    tool_sha256,
)
from reporter.render.evidence import artefact, fingerprint_of, index_evidence
from reporter.render.history import csv_commit, file_revisions
from reporter.render.html import render_html
from reporter.render.json import json_bytes, with_provenance
from reporter.render.pairmap import PairMap
from reporter.render.pdf import PdfAttachment, Relationship, render_pdf
from reporter.render.view import PackFacts, build_view
from reporter.signing import SigningKey, public_openssh
from reporter.workers import computed_ahead

if TYPE_CHECKING:
    from reporter.diff.model import Delta
    from reporter.render.trend import HistoryView


@dataclass(frozen=True, slots=True)
class PackInputs:
    """What a pack is made of besides the Assessment."""

    manifests: Mapping[str, str]
    """Input path -> its text as read (standard input included, under its name)."""
    connectivity: PairMap
    """The full workload-level map, grouped (never a Python object per pair)."""
    previous: Assessment | None = None
    """The previous review's assessment: the executive summary's three lines of changes."""
    signing_key: SigningKey | None = None
    delta: Delta | None = None
    """What changed since the previous review: the chapter that lists every change."""
    archive_history: HistoryView | None = None
    """``reporter run``: the archive's runs (the chapter "History of the archive")."""
    whole: frozenset[str] = frozenset()
    """Inputs with nothing to redact (Inventory.whole): copied as they are."""
    redactions: Mapping[str, Redaction] = field(default_factory=dict)
    """How other inputs are redacted, found as they were read (Inventory.redactions); an
    input missing here is parsed again."""
    run_id: str | None = None
    """The run's ID when the caller has it already (``reporter run`` names it in the history
    chapter), else computed from the assessment."""
    processes: int = 1
    """How many processes may make the documents (:func:`render_documents`)."""


def _large(copy: Redacted) -> bool:
    return len(copy.text) > LARGE_INPUT  # characters: close enough to bytes for a threshold


def _attachment_records(inputs: Mapping[str, str], copies: Mapping[str, Redacted],
                        placed: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per input: where its copy is, the sha256 as read and as attached (of the copy's text,
    before any compression: SHA256SUMS covers the stored bytes), the lines redacted."""
    return [{"path": path, "attached": placed[path],
             "sha256_read": sha256(inputs[path].encode()),
             "sha256_attached": sha256(copy.text.encode()),
             "redacted_lines": list(copy.lines)}
            for path, copy in copies.items()]


def with_run_metadata(assessment: Assessment, inputs: PackInputs, identifier: str,
                      tool_digest: str, attachments: Sequence[Mapping[str, Any]] = ()
                      ) -> Assessment:
    """The Assessment as pack.json records it: provenance gains the run ID ``identifier``, the
    tool's digest, versions and command line, and the attached input copies
    (``provenance.report``)."""
    from reporter.provenance import collect_run_info
    from reporter.provenance.runner import collect_runner

    info = collect_run_info(assessment.command,
                            {i.path: i.sha256 for i in assessment.completeness.inputs})
    report: dict[str, Any] = {
        "run_id": identifier,
        "tool_sha256": tool_digest,
        "run": info.to_dict(),
        "runner": collect_runner(os.environ).to_dict(),
        "signing_key": inputs.signing_key.fingerprint if inputs.signing_key else None,
        "attachments": list(attachments),
    }
    provenance = {**(assessment.provenance or {}), "report": report}
    return assessment.model_copy(update={"provenance": provenance})


EVIDENCE_AHEAD_FROM = 2_000
"""Findings from which the evidence index is built in a worker (~0.1 s of work at this size;
below, the fork costs about as much as it saves)."""


def _stored_evidence(assessment: Assessment) -> tuple[str, bytes]:
    return stored(EVIDENCE_CSV, _evidence_file(assessment))


def _evidence_file(assessment: Assessment) -> bytes:
    revisions = file_revisions(assessment.git_provenance)
    return evidence_csv(
        (e.id, " ".join(e.framework_ids), e.requirement_id, e.finding.check_id, e.status.value,
         e.finding.target, artefact(e.finding), fingerprint_of(e.finding),
         e.finding.exception or "",
         csv_commit(revisions.get(e.finding.locations[0].file) if e.finding.locations else None),
         " ".join(e.finding.affected))
        for e in index_evidence(assessment)
    )


def _copy(path: str, text: str, inputs: PackInputs) -> Redacted:
    """The pack's copy of one input, redacted."""
    if path in inputs.whole:
        return Redacted(text, ())
    redaction = inputs.redactions.get(path)
    if redaction is None or redaction.text != text:  # not this text's (as read: the same one)
        return redact_in_place(text)
    return redaction.redacted()


def _copy_file(name: str, copy: Redacted) -> tuple[str, bytes]:
    data = copy.text.encode()
    return name, gzip_bytes(data) if _large(copy) else data


_DESCRIPTIONS: dict[str, tuple[Relationship, str]] = {
    PACK_JSON: ("Source", "The assessment this report renders (canonical, JSON)"),
    CONNECTIVITY_JSON: ("Data", "Every allowed workload-level connection (gzip-compressed "
                                   "JSON, columnar: docs/pack-schema.md)"),
    EVIDENCE_CSV: ("Data", "Every evidence ID with its requirement, check, artefact and the "
                           "commit the artefact's file is at (CSV)"),
    f"{PACK_JSON}.gz": ("Source", "The assessment this report renders (canonical, JSON, "
                                  "gzip-compressed)"),
    f"{EVIDENCE_CSV}.gz": ("Data", "Every evidence ID with its requirement, check, artefact and "
                                   "the commit the artefact's file is at (CSV, gzip-compressed)"),
    PUBLIC_KEY: ("Supplement", "Public key of the pack's signer (OpenSSH)"),
    SUMS: ("Data", "SHA-256 of every pack file except this PDF"),
}


def _attachments(files: Mapping[str, bytes]) -> list[PdfAttachment]:
    attached = []
    for name, data in files.items():
        relationship, description = _DESCRIPTIONS.get(
            name, ("Source", "Input manifest line for line; Secret and ConfigMap data, env, "
                             "command lines and annotations redacted in place"
                             + (" (gzip-compressed)" if name.endswith(".gz") else "")))
        attached.append(PdfAttachment(name, data, description, relationship))
    return attached


def render_documents(
    assessment: Assessment, inputs: PackInputs, timings: MutableMapping[str, float] | None = None
) -> dict[str, bytes]:
    """Every file of the pack but the PDF and the sums: pack.json, the data files, the
    sanitised inputs and report.html."""
    timed = Timed(timings)
    started = time.perf_counter()
    # The evidence index (~0.4 s at 5,000 workloads) is built in a worker while this process
    # redacts the inputs and writes pack.json, which leave the second CPU idle; it reads only
    # the findings and the Git provenance, which the run's metadata added below leaves alone.
    large = sum(len(c.findings) for c in assessment.checks) >= EVIDENCE_AHEAD_FROM
    evidence_ahead = computed_ahead(partial(_stored_evidence, assessment),
                                    inputs.processes if large else 1)
    copies = {path: _copy(path, text, inputs) for path, text in inputs.manifests.items()}
    placed = {path: f"{name}.gz" if _large(copies[path]) else name
              for path, name in pack_paths(list(inputs.manifests)).items()}
    canonical = json_bytes(assessment)  # exactly `reporter check -o json`
    identifier = inputs.run_id or run_id(assessment, canonical)
    recorded = with_run_metadata(assessment, inputs, identifier, tool_sha256(),
                                 _attachment_records(inputs.manifests, copies, placed))
    pack_json = with_provenance(canonical, recorded.provenance)
    del canonical  # ~50 MB at 5,000 workloads
    # Compression runs on two threads (zlib releases the interpreter lock) while this one
    # builds the evidence index and lays out report.html: a large estate's pack.json is ~40 MB
    # of JSON. The report shows each file's SHA-256, known once the file is compressed: it is
    # laid out with a stand-in for each (random, as long as a digest), replaced afterwards.
    with ThreadPoolExecutor(2, thread_name_prefix="gzip") as pool:
        compressed = [pool.submit(stored, PACK_JSON, pack_json),
                      pool.submit(lambda: (CONNECTIVITY_JSON, inputs.connectivity.to_gzip())),
                      *(pool.submit(_copy_file, placed[path], copy)
                        for path, copy in copies.items())]
        found = evidence_ahead()
        evidence_file, evidence = (cast(tuple[str, bytes], found) if found is not None
                                   else _stored_evidence(assessment))
        files = {evidence_file: evidence}
        if inputs.signing_key is not None:
            files[PUBLIC_KEY] = (public_openssh(inputs.signing_key.public) + "\n").encode()
        pack_file = stored_name(PACK_JSON, pack_json)
        del pack_json
        stand_ins = {name: secrets.token_hex(32)
                     for name in (*files, pack_file, CONNECTIVITY_JSON, *placed.values())}
        report = (recorded.provenance or {})["report"]
        facts = PackFacts(
            run_id=report["run_id"], tool_sha256=report["tool_sha256"],
            files=tuple(sorted(stand_ins.items())),
            inputs_attached=placed, connectivity=inputs.connectivity,
            connectivity_file=CONNECTIVITY_JSON, evidence_file=evidence_file, pack_file=pack_file,
            signing_key=inputs.signing_key.fingerprint if inputs.signing_key else None,
            previous=inputs.previous, delta=inputs.delta,
            archive_history=inputs.archive_history,
        )
        layout_started = time.perf_counter()
        view = build_view(recorded, facts)
        html_started = timed("view", layout_started)
        html = render_html(view)
        layout = timed("html", html_started) - layout_started
        files.update(future.result() for future in compressed)
    for name, stand_in in stand_ins.items():
        html = html.replace(stand_in, sha256(files[name]))
    files[REPORT_HTML] = html.encode()
    timed("pack_data", started + layout)  # the rest: the data files, beside the layout
    return files


def build_pack(
    assessment: Assessment, inputs: PackInputs, timings: MutableMapping[str, float] | None = None
) -> dict[str, bytes]:
    """Every file of the pack, by its path in the pack folder; ``timings`` receives the
    seconds each stage took."""
    with frozen():  # the assessment and inputs outlive the rendering: collections skip them
        files = render_documents(assessment, inputs, timings)
        embedded = {**files, SUMS: sha256sums(files)}
        del embedded[REPORT_HTML]  # the PDF is the HTML: attaching it again adds nothing
        files[REPORT_PDF] = render_pdf(files[REPORT_HTML].decode(), _attachments(embedded),
                                       assessment.generated_at, timings)
    started = time.perf_counter()
    result = signed_files(files, inputs.signing_key)
    Timed(timings)("sums", started)
    return result
