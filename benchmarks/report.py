"""Benchmark `reporter report`: where the time goes, per stage, for the samples and a generated
estate. WeasyPrint's layout is expected to dominate; everything else should stay under 20 %.

    python benchmarks/report.py                      # samples + a 500-workload estate
    python benchmarks/report.py --workloads 2000 --namespaces 120 --policies 800
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generate import GENERATED_CONFIG, PROFILES, generate_estate  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from reporter.commands.report import report_run  # noqa: E402
from reporter.pack import REPORT_PDF, write_pack  # noqa: E402
from reporter.pipeline import PipelineOptions  # noqa: E402
from reporter.render.bundle import build_pack  # noqa: E402

STAGES = ("assess", "pack_data", "view", "html", "pdf_layout", "pdf_write", "sums", "write")


@dataclass(frozen=True)
class Scenario:
    name: str
    paths: list[str]
    config: str | None


@dataclass(frozen=True)
class Measurement:
    scenario: str
    workloads: int
    pages: int
    seconds: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def ours(self) -> float:
        """Share of the total outside WeasyPrint (its layout, and its drawing and writing)."""
        return 1 - (self.seconds["pdf_layout"] + self.seconds["pdf_write"]) / self.total


def measure(scenario: Scenario, folder: Path) -> Measurement:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    run = report_run(scenario.paths, PipelineOptions(config_path=scenario.config))
    timings["assess"] = time.perf_counter() - started
    files = build_pack(run.assessment, run.inputs, timings)
    started = time.perf_counter()
    write_pack(folder / scenario.name, files)
    timings["write"] = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(files[REPORT_PDF])).pages)
    return Measurement(scenario.name, run.assessment.completeness.workloads, pages, timings)


def _table(results: Sequence[Measurement]) -> str:
    head = ["scenario", "workloads", "pages", "total s", *STAGES, "outside WeasyPrint"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r.scenario, str(r.workloads), str(r.pages), f"{r.total:.2f}",
                 *(f"{r.seconds.get(s, 0.0):.2f}" for s in STAGES), f"{r.ours:.1%}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=500)
    parser.add_argument("--namespaces", type=int, default=40)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", choices=PROFILES, default="uniform")
    parser.add_argument("--only-generated", action="store_true",
                        help="Skip the samples: measure the generated estate alone.")
    parser.add_argument("--keep", type=Path, help="Also write the packs into this folder.")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1712050200")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        estate = work / "estate"
        estate.mkdir()
        (estate / "estate.yaml").write_text(generate_estate(
            args.workloads, args.namespaces, args.policies, args.seed, args.profile),
            encoding="utf-8")
        (work / "reporter.yaml").write_text(GENERATED_CONFIG, encoding="utf-8")
        scenarios = [] if args.only_generated else [
            Scenario("three-tier", ["samples/three-tier"], None),
            Scenario("fixed", ["samples/fixed"], "samples/fixed/reporter.yaml"),
            Scenario("leaky", ["samples/leaky"], "samples/leaky/reporter.yaml"),
        ]
        scenarios.append(Scenario(f"generated-{args.profile}-{args.workloads}", [str(estate)],
                                  str(work / "reporter.yaml")))
        results = []
        for scenario in scenarios:
            results.append(measure(scenario, args.keep or work / "packs"))
            print(f"{scenario.name}: {results[-1].total:.1f} s", file=sys.stderr)
    print(_table(results))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process (every scenario): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
