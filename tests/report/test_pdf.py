"""The PDF's structure: pages, outline, metadata, PDF/A identification, attachments equal to the
pack's files, embedded fonts, the text of the first pages, and byte-for-byte reproducibility."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, PdfObject

from reporter.pack import (
    PUBLIC_KEY,
    REPORT_HTML,
    REPORT_PDF,
    SIGNATURE,
    SUMS,
    sha256sums,
)
from reporter.render.bundle import PackInputs, build_pack
from reporter.render.pairmap import from_rows
from reporter.render.pdf import render_pdf

from .sample import GENERATED_AT, SAMPLE_MANIFESTS, sample_assessment

if TYPE_CHECKING:
    from tests.conftest import Tool

SECTIONS = ["Cover", "1. Executive summary", "2. Findings", "3. Manual evidence",
            "4. Scope, completeness and limitations", "5. Network diagram", "6. Lateral movement",
            "7. Registers", "8. Appendix"]


@pytest.fixture(scope="module")
def reader(fixture_files: dict[str, bytes]) -> PdfReader:
    return PdfReader(io.BytesIO(fixture_files[REPORT_PDF]))


def _outline(reader: PdfReader, items: list[Any] | None = None, depth: int = 0
             ) -> Iterator[tuple[int, str]]:
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            yield from _outline(reader, item, depth + 1)
        else:
            yield depth, item.title


def test_page_count_is_in_the_expected_range(reader: PdfReader) -> None:
    assert 6 <= len(reader.pages) <= 14


def test_outline_has_every_section_in_order_and_each_framework(reader: PdfReader) -> None:
    outline = list(_outline(reader))
    assert [title for depth, title in outline if depth == 0] == SECTIONS
    titles = [title for _, title in outline]
    for expected in ("Key findings", "Requirements by framework", "PCI DSS 4.0.1",
                     "Limitations", "Exceptions", "Policy inventory", "B. Hashes"):
        assert expected in titles, expected


def test_document_metadata(reader: PdfReader) -> None:
    info = reader.metadata
    assert info is not None
    assert info.title == "Network segmentation evidence: Example Payments 株式会社 / prod-eu-1"
    assert info.author == "Example Payments 株式会社"
    assert info.subject is not None and info.subject.startswith(
        "Kubernetes NetworkPolicy evidence for PCI DSS 4.0.1, HIPAA Security Rule")
    assert info["/Keywords"].startswith("PCI DSS 4.0.1, HIPAA Security Rule")
    assert info["/CreationDate"] == "D:20240402093000+00'00"
    assert info["/Creator"] == "compliance-reporter 0.1.0"


def test_xmp_identifies_pdf_a_3a_and_the_pdf_is_tagged(reader: PdfReader) -> None:
    xmp = reader.xmp_metadata
    assert xmp is not None
    xml = xmp.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xml and 'pdfaid:conformance="A"' in xml
    assert "<xmp:CreateDate>2024-04-02T09:30:00+00:00</xmp:CreateDate>" in xml
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged, attachments kept (below)
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]


def test_attachments_equal_the_pack_files(reader: PdfReader, fixture_files: dict[str, bytes]
                                          ) -> None:
    attached = {name: contents[0] for name, contents in reader.attachments.items()}
    expected = {n: d for n, d in fixture_files.items()
                if n not in (REPORT_HTML, REPORT_PDF, SUMS, SIGNATURE)}
    assert set(attached) == {*expected, SUMS}
    assert {n: attached[n] for n in expected} == expected
    # The embedded sums cover every file but the PDF: the folder's add the PDF's line.
    before_pdf = {n: d for n, d in fixture_files.items() if n not in (REPORT_PDF, SUMS, SIGNATURE)}
    assert attached[SUMS] == sha256sums(before_pdf)
    assert set(attached[SUMS].splitlines()) < set(fixture_files[SUMS].splitlines())


def test_attachments_are_associated_files_with_relationships(reader: PdfReader) -> None:
    associated = [a.get_object() for a in reader.trailer["/Root"]["/AF"]]
    relationships = {a["/UF"]: a["/AFRelationship"] for a in associated}
    assert relationships["pack.json"] == "/Source"
    assert relationships["inputs/estate/policies.yaml"] == "/Source"
    assert relationships["connectivity.json.gz"] == "/Data"
    assert relationships[SUMS] == "/Data"
    assert relationships[PUBLIC_KEY] == "/Supplement"
    assert len(associated) == len(relationships) == len(reader.attachments)
    dates = {a["/EF"]["/F"].get_object()["/Params"]["/ModDate"] for a in associated}
    assert dates == {"D:20240402093000Z"}


def test_no_secret_reaches_the_pdf(fixture_files: dict[str, bytes], reader: PdfReader,
                                   pdftotext: Callable[[bytes, int, int], str]) -> None:
    for name, contents in reader.attachments.items():
        assert b"NEVER-IN-THE-PACK" not in contents[0], name
        assert b"not-in-the-pack" not in contents[0], name
    assert "NEVER-IN-THE-PACK" not in pdftotext(fixture_files[REPORT_PDF], 1, 999)


def test_every_font_is_embedded(reader: PdfReader, fixture_files: dict[str, bytes],
                                tool: Tool) -> None:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = any(k in descriptor for k in
                                           ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("NotoSansCJK" in name.replace("-", "") for name in fonts), "CJK fallback unused"
    listing = subprocess.run([tool("pdffonts"), "-"], input=fixture_files[REPORT_PDF],
                             capture_output=True, check=True).stdout.decode()
    rows = listing.splitlines()[2:]
    assert rows and all(re.search(r"\syes\s+yes\s+yes\s", r) for r in rows), listing


def test_cover_and_summary_text(fixture_files: dict[str, bytes], reader: PdfReader,
                                pdftotext: Callable[[bytes, int, int], str]) -> None:
    pdf = fixture_files[REPORT_PDF]
    cover = pdftotext(pdf, 1, 1)
    for expected in ("Example Payments 株式会社", "prod-eu-1", "cde, connected, phi",
                     "2024-01-01 to 2024-03-31", "2024-04-02 09:30:00 UTC", "PCI DSS 4.0.1",
                     "How to read this pack", "Ed25519"):
        assert expected in cover, expected
    run_id = re.search(r"RUN-20240402T093000Z-[0-9a-f]{8}", cover)
    assert run_id is not None
    summary = pdftotext(pdf, 2, 2)
    assert "1. Executive summary" in summary and run_id.group() in summary
    assert "2 requirements changed status: 1.3.2 PASS → FAIL, 1.4.1 FAIL → PASS." in summary
    matrix = pdftotext(pdf, 2, 4)
    row = r"\n\s*1\.3\.1\s+Inbound traffic to the CDE is.*✘ FAIL.*✘ FAIL\s+F-[0-9a-f]{6}"
    assert re.search(row, matrix)
    pages = len(reader.pages)
    assert f"page 2 of {pages}" in summary


def _serialised(pdf_object: PdfObject | None) -> bytes:
    out = io.BytesIO()
    if pdf_object is not None:
        pdf_object.write_to_stream(out)
    return out.getvalue()


def _differing_pdf_objects(first: bytes, again: bytes) -> list[str]:
    """The objects that differ, by number and type; a font program by its font's name."""
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in (first, again)]
    sizes = {reader.trailer["/Size"] for reader in readers}
    if len(sizes) > 1:
        return [f"object counts {sorted(sizes)}"]
    kinds: dict[int, str] = {}
    differing = []
    for number in range(1, sizes.pop()):
        objects = [reader.get_object(number) for reader in readers]
        if _serialised(objects[0]) != _serialised(objects[1]):
            differing.append(number)
        if isinstance(objects[0], DictionaryObject):
            kinds[number] = str(objects[0].get("/Type", type(objects[0]).__name__))
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in objects[0]:
                    kinds[objects[0].raw_get(key).idnum] = f"font program {objects[0]['/FontName']}"
    return [f"{number} ({kinds.get(number, '?')})" for number in differing]


def _where_they_differ(name: str, first: bytes, again: bytes) -> str:
    if name == REPORT_PDF:
        return "objects " + ", ".join(_differing_pdf_objects(first, again))
    at = next((i for i, (a, b) in enumerate(zip(first, again, strict=False)) if a != b),
              min(len(first), len(again)))
    return f"from byte {at}: {first[at:at + 80]!r} then {again[at:at + 80]!r}"


def test_same_inputs_and_clock_give_the_same_bytes(fixture_files: dict[str, bytes],
                                                   fixture_inputs: PackInputs) -> None:
    again = build_pack(sample_assessment(), fixture_inputs)
    assert sorted(again) == sorted(fixture_files)
    differing = {name: _where_they_differ(name, fixture_files[name], again[name])
                 for name in fixture_files if again[name] != fixture_files[name]}
    assert differing == {}


def test_fonts_saved_by_fonttools_are_dated_by_the_clock_not_the_time_of_writing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Without HarfBuzz-Subset, WeasyPrint subsets with fontTools, which dates each font it
    # saves with the wall clock: here one that moves an hour at every reading.
    monkeypatch.setattr("weasyprint.pdf.fonts.harfbuzz_subset", None)
    readings = itertools.count(1_800_000_000, 3600)
    monkeypatch.setattr(time, "time", lambda: float(next(readings)))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html = "<html lang=en><title>t</title><p>Evidence <b>2024</b></p></html>"
    assert render_pdf(html, [], GENERATED_AT) == render_pdf(html, [], GENERATED_AT)


def test_a_pack_renders_without_zones_or_findings(tmp_path: Path) -> None:
    bare = sample_assessment().model_copy(update={
        "zones": [], "zone_flows": [], "exceptions": [], "policies": [],
        "checks": [c.model_copy(update={"findings": []}) for c in sample_assessment().checks]})
    files = build_pack(bare, PackInputs({"m.yaml": SAMPLE_MANIFESTS["estate/policies.yaml"]},
                                        from_rows(())))
    reader = PdfReader(io.BytesIO(files[REPORT_PDF]))
    assert 5 <= len(reader.pages) <= 15
    html = files[REPORT_HTML].decode()
    assert "No zones are configured" in html and "No finding failed, erred or was excepted" in html
    assert "No exceptions declared." in html
