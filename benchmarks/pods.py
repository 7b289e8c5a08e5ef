"""Turn a generated estate into what `kubectl get -A -o yaml` dumps of a busy cluster: every
Deployment's and StatefulSet's pods beside it (ownerReferences, pod-template-hash, a pod IP, an
env value and an annotation to redact; the ports are the controller's), so the reporter folds
~15 pods into each controller.

    python benchmarks/pods.py estate.yaml --pods 74000 -o estate-pods.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _pods(controller: dict[str, Any], count: int, first_ip: int) -> Iterator[dict[str, Any]]:
    meta, template = controller["metadata"], controller["spec"]["template"]
    name, namespace = meta["name"], meta["namespace"]
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()
    if controller["kind"] == "Deployment":
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{name}-{digest[:10]}",
                 "uid": digest[:32], "controller": True}
    else:
        owner = {"apiVersion": "apps/v1", "kind": controller["kind"], "name": name,
                 "uid": digest[:32], "controller": True}
    for i in range(count):
        labels = dict(template["metadata"].get("labels", {}))
        if controller["kind"] == "Deployment":
            labels["pod-template-hash"] = digest[:10]
        containers = [{"name": c["name"], "image": c["image"],
                       "env": [{"name": "DATABASE_PASSWORD", "value": f"s3cr3t-{i}"}]}
                      for c in template["spec"]["containers"]]
        address = first_ip + i
        yield {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{owner['name']}-{digest[10 + i % 20:15 + i % 20]}{i}",
                         "namespace": namespace, "labels": labels,
                         "annotations": {"checksum/config": digest[:16]},
                         "ownerReferences": [owner]},
            "spec": {"containers": containers},
            "status": {"phase": "Running",
                       "podIP": f"10.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"},
        }


def with_pods(text: str, pods: int) -> str:
    documents = [d for d in yaml.load_all(text, Loader=LOADER) if d]
    controllers = [d for d in documents if d.get("kind") in ("Deployment", "StatefulSet")]
    per, extra = divmod(pods, max(1, len(controllers)))
    out, address = list(documents), 1 << 16
    for n, controller in enumerate(controllers):
        count = per + (1 if n < extra else 0)
        out += _pods(controller, count, address)
        address += count
    return yaml.dump_all(out, Dumper=DUMPER, sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("estate", type=Path)
    parser.add_argument("--pods", type=int, default=74_000)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    result = with_pods(args.estate.read_text(encoding="utf-8"), args.pods)
    if args.output:
        args.output.write_text(result, encoding="utf-8")
    else:
        sys.stdout.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
