"""Generated manifests shaped like a real cluster dump, for the loader's speed tests."""

from __future__ import annotations

_NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: ns-{n}
  labels:
    team: team-{team}
    env: {env}
"""

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{w}
  namespace: ns-{n}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: app-{w}}}
  template:
    metadata:
      labels: {{app: app-{w}, tier: {tier}, version: v{v}}}
    spec:
      containers:
      - name: main
        image: example/app-{w}:1.{v}
        ports:
        - {{name: http, containerPort: 8080, protocol: TCP}}
        - {{name: metrics, containerPort: 9090}}
"""

_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-{p}
  namespace: ns-{n}
spec:
  podSelector:
    matchLabels: {{app: app-{w}}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {{tier: {tier}}}
    - namespaceSelector:
        matchExpressions: [{{key: team, operator: In, values: [team-{team}]}}]
    ports:
    - {{protocol: TCP, port: 8080}}
  egress:
  - to:
    - ipBlock: {{cidr: 10.{n}.0.0/16, except: [10.{n}.1.0/24]}}
    ports:
    - {{protocol: UDP, port: 53}}
    - {{protocol: TCP, port: 30000, endPort: 32767}}
"""

_TIERS = ("web", "api", "db", "cache")


def cluster_manifests(workloads: int, policies: int, namespaces: int) -> str:
    """One multi-document YAML text; 5000/2000/200 gives about 3 MB."""
    documents = [
        _NAMESPACE.format(n=n, team=n % 17, env="prod" if n % 3 else "dev")
        for n in range(namespaces)
    ]
    documents += [
        _DEPLOYMENT.format(w=w, n=w % namespaces, tier=_TIERS[w % 4], v=w % 7, team=w % 17)
        for w in range(workloads)
    ]
    documents += [
        _POLICY.format(p=p, n=p % namespaces, w=p % workloads, tier=_TIERS[p % 4], team=p % 17)
        for p in range(policies)
    ]
    return "---\n".join(documents)
