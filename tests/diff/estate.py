"""A small estate as manifest text: namespaces and workloads, and policies a test can vary."""

from __future__ import annotations

from pathlib import Path

WORKLOADS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1, ports: [{containerPort: 8443}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db:1, ports: [{containerPort: 5432}]}]
"""

DENY_ALL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def db_policy(port: int = 5432, *, reordered: bool = False, comment: str = "") -> str:
    """api -> db on ``port``; ``reordered`` writes the same spec with other key order, flow
    style and no defaults spelled out (what the API server fills in)."""
    if reordered:
        return (f"kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\n{comment}"
                "metadata: {namespace: shop, name: db}\n"
                "spec:\n"
                f"  ingress: [{{ports: [{{port: {port}}}], from: [{{podSelector: "
                "{matchLabels: {app: api}}}]}]\n"
                "  podSelector: {matchLabels: {app: db}}\n")
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
{comment}spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes:
  - Ingress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - protocol: TCP
      port: {port}
"""


def api_egress(port: int = 5432) -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: db
    ports:
    - port: {port}
"""


def web_ingress(cidr: str = "0.0.0.0/0") -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
  - from:
    - ipBlock:
        cidr: {cidr}
    ports:
    - port: 8443
"""


def write_estate(folder: Path, policies: dict[str, str]) -> Path:
    """``folder`` with workloads.yaml and one file per policy text, by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workloads.yaml").write_text(WORKLOADS, encoding="utf-8")
    for name, text in policies.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
