"""report.pdf: WeasyPrint renders report.html as tagged PDF/A-3a with the pack's files attached.

Only the clock makes a PDF differ between runs: the attachments' dates, the document's dates and
the embedded fonts' dates come from the Assessment's ``generated_at``, and the file identifier is
WeasyPrint's hash of the content, so the same inputs and clock give the same bytes.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import time
import warnings
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

PDF_VARIANT = "pdf/a-3a"
"""PDF/A-3a: tagged (structure tree, reading order, alternative text), and PDF/A-3 keeps the
attachments; WeasyPrint writes it."""
Relationship = Literal["Source", "Data", "Supplement", "Alternative", "Unspecified"]


@dataclass(frozen=True, slots=True)
class PdfAttachment:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    data: bytes
    description: str
    relationship: Relationship
    """``AFRelationship``: Source for what the report is made from, Data for what it shows."""


def _unique_associated_files(document: object, pdf: Any) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF array; keep one."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


@contextmanager
def _fonts_dated(created: datetime) -> Iterator[None]:
    """The fonts fontTools saves inside are dated ``created``, not when the PDF is written."""
    # WeasyPrint saves a font with fontTools when it subsets without HarfBuzz-Subset (Debian's
    # libharfbuzz-subset0 missing) and for variable and colour fonts; fontTools stamps the
    # font's head.modified with the wall clock, and SOURCE_DATE_EPOCH is how to tell it a time.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf(
    html: str,
    attachments: Sequence[PdfAttachment],
    created: datetime,
    timings: MutableMapping[str, float] | None = None,
) -> bytes:
    """The PDF of ``html``; ``timings`` receives WeasyPrint's layout and writing seconds."""
    import weasyprint  # imported here: it is slow to import and only this stage needs it

    # WeasyPrint logs every CSS property it ignores; the report's CSS targets browsers too.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    stamp = created.astimezone(UTC).replace(tzinfo=None)  # WeasyPrint writes these as UTC
    files = [
        weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name,
                              description=a.description, created=stamp, modified=stamp,
                              relationship=a.relationship)
        for a in attachments
    ]
    start = time.perf_counter()
    # No protocol allowed, fatal on use: the report must not need the network or the disk.
    fetcher = weasyprint.URLFetcher(allowed_protocols=(), fail_on_errors=True)
    with warnings.catch_warnings():
        # WeasyPrint 70 never closes the sRGB profile it opens for PDF/A: the document's
        # finaliser warns. Collect it here, where that one warning is known and ignored.
        warnings.simplefilter("ignore", ResourceWarning)
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
        laid_out = time.perf_counter()
        with _fonts_dated(created):
            pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=files,
                                             finisher=_unique_associated_files)
        del document
        gc.collect()
    if timings is not None:
        timings["pdf_layout"] = laid_out - start
        timings["pdf_write"] = time.perf_counter() - laid_out
    return pdf
