"""Where the inputs came from: repository, commits, authors and signatures per file and policy,
and how the report was made. Git is read with batched calls; everything is plain data."""

from reporter.provenance.collect import (
    collect_provenance,
    narrowed,
    repository_info,
    strip_credentials,
)
from reporter.provenance.history import commit_details, object_histories
from reporter.provenance.model import (
    CommitInfo,
    FileProvenance,
    Identity,
    ObjectLines,
    ObjectProvenance,
    Provenance,
    RepositoryInfo,
    RunInfo,
    SignatureStatus,
)
from reporter.provenance.objects import locate_objects
from reporter.provenance.run import collect_run_info, redact_argv

__all__ = [
    "CommitInfo",
    "FileProvenance",
    "Identity",
    "ObjectLines",
    "ObjectProvenance",
    "Provenance",
    "RepositoryInfo",
    "RunInfo",
    "SignatureStatus",
    "collect_provenance",
    "narrowed",
    "collect_run_info",
    "commit_details",
    "locate_objects",
    "object_histories",
    "redact_argv",
    "repository_info",
    "strip_credentials",
]
