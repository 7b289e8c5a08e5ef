"""Workloads: pod templates of every controller kind, ports, owners, hostNetwork, phases."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from reporter.inventory.manifests import load_paths
from reporter.inventory.model import ContainerPort, Origin, SkippedObject, Workload

from .helpers import DATA, load_text, located, problems_in

DUMP = str(DATA / "kubectl-dump.json")

POD_SPEC = """\
containers:
- name: main
  ports:
  - {name: http, containerPort: 8080}
"""


def controller(
    kind: str, api_version: str, template_path: list[str], pod_spec: str = POD_SPEC
) -> str:
    """A ``kind`` manifest in namespace shop whose pod template sits at ``template_path``."""
    template = f"metadata:\n  labels: {{app: web}}\nspec:\n{textwrap.indent(pod_spec, '  ')}"
    for key in reversed(template_path):
        template = f"{key}:\n{textwrap.indent(template, '  ')}"
    head = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: web, namespace: shop}}\n"
    return head + template


@pytest.mark.parametrize(
    ("kind", "api_version", "template_path"),
    [
        ("Deployment", "apps/v1", ["spec", "template"]),
        ("StatefulSet", "apps/v1", ["spec", "template"]),
        ("DaemonSet", "apps/v1", ["spec", "template"]),
        ("ReplicaSet", "apps/v1", ["spec", "template"]),
        ("ReplicationController", "v1", ["spec", "template"]),
        ("Job", "batch/v1", ["spec", "template"]),
        ("CronJob", "batch/v1", ["spec", "jobTemplate", "spec", "template"]),
        ("Deployment", "extensions/v1beta1", ["spec", "template"]),
    ],
)
def test_controllers_take_labels_and_ports_from_their_pod_template(
    kind: str, api_version: str, template_path: list[str]
) -> None:
    (workload,) = load_text(controller(kind, api_version, template_path)).workloads
    assert workload == Workload(
        "shop", "web", kind, {}, (ContainerPort(8080, "TCP", "http"),),
        origin=Origin("test.yaml", 1),
    )
    assert workload.labels == {"app": "web"}


def test_a_bare_pod_takes_its_own_labels_and_goes_to_the_default_namespace() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  labels: {run: debug}\nspec:\n"
    (workload,) = load_text(text + textwrap.indent(POD_SPEC, "  ")).workloads
    assert (workload.key, workload.labels) == ("default/debug[Pod]", {"run": "debug"})


def test_a_workload_kind_of_another_api_group_is_skipped() -> None:
    text = controller("Deployment", "apps.openshift.io/v1", ["spec", "template"])
    inventory = load_text(text)
    assert inventory.workloads == ()
    assert inventory.skipped[0].reason == (
        "apiVersion apps.openshift.io/v1 of Deployment is not a Kubernetes workload API"
    )


def test_container_ports_of_containers_and_sidecars() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: app, namespace: shop}
    spec:
      initContainers:
      - name: migrate
        ports: [{containerPort: 1111}]
      - name: proxy
        restartPolicy: Always
        ports: [{name: proxy, containerPort: 15001}]
      containers:
      - name: main
        ports:
        - {name: http, containerPort: 8080}
        - {name: dns, containerPort: 53, protocol: UDP}
        - {containerPort: 9000, protocol: SCTP}
      - name: helper
    """
    (workload,) = load_text(text).workloads
    assert workload.ports == (
        ContainerPort(8080, "TCP", "http"),
        ContainerPort(53, "UDP", "dns"),
        ContainerPort(9000, "SCTP", None),
        ContainerPort(15001, "TCP", "proxy"),
    )


def test_container_ports_span_1_to_65535() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
            "  - name: main\n    ports: [{containerPort: 1}, {containerPort: 65535}]\n")
    (workload,) = load_text(text).workloads
    assert [p.port for p in workload.ports] == [1, 65535]
    assert "invalid port 65536" in problems_in(text.replace("65535", "65536"))[0].message


@pytest.mark.parametrize(
    ("port", "field", "words"),
    [
        ("{name: http}", "containerPort", "required: a port number 1-65535"),
        ("{containerPort: 0}", "containerPort", "invalid port 0"),
        ("{containerPort: '80'}", "containerPort", "must be an integer"),
        ("{containerPort: 80, protocol: tcp}", "protocol", "must be TCP, UDP or SCTP"),
        ("{containerPort: 80, name: HTTP}", "name", "invalid port name 'HTTP'"),
    ],
)
def test_invalid_container_ports(port: str, field: str, words: str) -> None:
    text = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  containers:\n" \
        f"  - name: main\n    ports:\n    - {port}\n"
    found = problems_in(text)
    assert located(found)[-1] == (8, f"spec.containers[0].ports[0].{field}")
    assert words in found[-1].message
    assert found[-1].obj == "Pod default/a"


def test_label_values_must_be_strings() -> None:
    text = controller("Deployment", "apps/v1", ["spec", "template"]).replace(
        "{app: web}", "{app: web, enabled: true}"
    )
    (problem,) = problems_in(text)
    assert (problem.line, problem.field) == (7, "spec.template.metadata.labels.enabled")
    assert problem.message == "invalid label: value must be a string, not true/false: quote it"


def test_a_controller_without_a_pod_template_is_an_error() -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1\n"
    assert located(problems_in(text)) == [(5, "spec.template")]


def test_host_network_workloads_are_kept_apart() -> None:
    pod_spec = "hostNetwork: true\n" + POD_SPEC
    text = controller("DaemonSet", "apps/v1", ["spec", "template"], pod_spec)
    inventory = load_text(text)
    assert inventory.workloads == ()
    assert [(w.key, w.host_network) for w in inventory.host_network] == [
        ("shop/web[DaemonSet]", True)
    ]


# --- a kubectl dump: replicas collapse into their controllers --------------------------------

def test_replicas_collapse_into_one_workload_per_controller() -> None:
    inventory = load_paths([DUMP])
    assert [w.key for w in inventory.workloads] == [
        "shop/api[Deployment]",  # pods only: named after the Deployment via pod-template-hash
        "shop/db[StatefulSet]",  # pods only: named after their owner
        "shop/web[Deployment]",  # Deployment, ReplicaSet and two pods: once
    ]


def test_the_controllers_manifest_describes_the_workload_and_replicas_add_their_ips() -> None:
    web = load_paths([DUMP]).workloads[2]
    ip = ipaddress.ip_address
    assert web == Workload(
        "shop", "web", "Deployment", {},
        ports=(ContainerPort(8080, "TCP", "http"),),
        pod_ips=(ip("10.1.0.5"), ip("10.1.0.6"), ip("fd00::6")),
        origin=Origin(DUMP, 19),
    )
    assert web.labels == {"app": "web"}  # the template's, without pod-template-hash


def test_without_a_controller_manifest_the_first_replica_describes_the_workload() -> None:
    api = load_paths([DUMP]).workloads[0]
    assert api.labels == {"app": "api", "pod-template-hash": "7f6d5c4b3"}
    assert api.origin == Origin(DUMP, 215)
    assert [str(ip) for ip in api.pod_ips] == ["10.1.0.7", "10.1.0.8"]


def test_without_the_deployment_its_replica_set_describes_the_workload() -> None:
    """Pods carry labels their template does not (added since, by a person or an operator):
    the ReplicaSet's template is what the Deployment deploys, whichever is read first."""
    pod = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-abc12-x1
          namespace: shop
          labels: {app: web, pod-template-hash: abc12, patched: by-hand}
          ownerReferences: [{kind: ReplicaSet, name: web-abc12, controller: true}]
        spec: {containers: [{name: main}]}
        """)
    replica_set = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web-abc12
          namespace: shop
          ownerReferences: [{kind: Deployment, name: web, controller: true}]
        spec:
          selector: {matchLabels: {app: web, pod-template-hash: abc12}}
          template:
            metadata: {labels: {app: web, pod-template-hash: abc12}}
            spec: {containers: [{name: main}]}
        """)
    for text in (pod + "---\n" + replica_set, replica_set + "---\n" + pod):
        (web,) = load_text(text).workloads
        assert (web.key, web.labels) == (
            "shop/web[Deployment]", {"app": "web", "pod-template-hash": "abc12"})
    # With the Deployment read last, its own template describes it.
    deployment = replica_set.replace("ReplicaSet", "Deployment").replace(
        "name: web-abc12", "name: web").replace(", pod-template-hash: abc12", "").replace(
        "  ownerReferences: [{kind: Deployment, name: web, controller: true}]\n", "")
    (web,) = load_text("---\n".join((pod, replica_set, deployment))).workloads
    assert (web.key, web.labels) == ("shop/web[Deployment]", {"app": "web"})


def test_host_network_pods_and_static_pods_stay_apart() -> None:
    inventory = load_paths([DUMP])
    assert [w.key for w in inventory.host_network] == [
        "kube-system/etcd-node1[Pod]",  # mirror pods are owned by a Node: each is its own
        "kube-system/kube-apiserver-node1[Pod]",
        "kube-system/node-exporter[DaemonSet]",
    ]


def test_finished_pods_are_skipped_with_their_phase() -> None:
    skipped = {s.name: s.reason for s in load_paths([DUMP]).skipped}
    assert skipped["migrate-28391-7bq2x"] == (
        "Pod phase Succeeded: its containers have stopped, so it has no traffic"
    )
    assert skipped["report-4hj2k"].startswith("Pod phase Failed")


def test_the_dump_is_counted_and_nothing_secret_is_kept() -> None:
    inventory = load_paths([DUMP])
    assert inventory.kinds_read == {
        "ConfigMap": 1, "Deployment": 1, "Namespace": 1, "Pod": 11, "ReplicaSet": 1,
        "Secret": 1, "Service": 1,
    }
    assert SkippedObject(
        "Secret", "db-credentials", "shop", "Secret contents are never read or stored",
        Origin(DUMP, 664),
    ) in inventory.skipped
    kept = repr(inventory)
    for secret in ("aHVudGVyMi1zZWNyZXQ=", "config-map-value-42", "s3cr3t-env-value"):
        assert secret not in kept


def test_a_pod_owned_by_a_deployment_s_replica_set_joins_the_deployment_given_later() -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-abc12-x1
      namespace: shop
      labels: {app: web, pod-template-hash: abc12}
      ownerReferences: [{kind: ReplicaSet, name: web-abc12, controller: true}]
    spec: {containers: [{name: main}]}
    status: {podIP: 10.0.0.1}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: main}]}
    """
    (web,) = load_text(text).workloads
    assert (web.key, web.labels, web.origin) == (
        "shop/web[Deployment]", {"app": "web"}, Origin("test.yaml", 11)
    )
    assert [str(ip) for ip in web.pod_ips] == ["10.0.0.1"]


@pytest.mark.parametrize(
    ("labels", "owner", "key"),
    [
        ("{pod-template-hash: abc12}", "{kind: ReplicaSet, name: web-abc12, controller: true}",
         "shop/web[Deployment]"),
        ("{}", "{kind: ReplicaSet, name: web-abc12, controller: true}",
         "shop/web-abc12[ReplicaSet]"),  # no hash label: a ReplicaSet of its own
        ("{pod-template-hash: zzz}", "{kind: ReplicaSet, name: web-abc12, controller: true}",
         "shop/web-abc12[ReplicaSet]"),
        ("{}", "{kind: ReplicaSet, name: web-abc12, controller: false}",
         "shop/web-abc12-x1[Pod]"),  # only the controlling owner counts
        ("{}", "{kind: Rollout, name: web, controller: true}", "shop/web[Rollout]"),
        ("{}", "{kind: ReplicaSet, controller: true}", "shop/web-abc12-x1[Pod]"),  # no name
    ],
)
def test_which_owner_represents_a_pod(labels: str, owner: str, key: str) -> None:
    text = f"""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-abc12-x1
      namespace: shop
      labels: {labels}
      ownerReferences: [{owner}]
    spec: {{containers: [{{name: main}}]}}
    """
    assert [w.key for w in load_text(text).workloads] == [key]


def test_invalid_pod_ips_are_reported() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n" \
        "status:\n  podIP: 10.0.0.300\n  podIPs:\n  - {ip: 'fd00::1'}\n  - {ip: nope}\n"
    assert located(problems_in(text)) == [(6, "status.podIP"), (9, "status.podIPs[1].ip")]


SELECTED = """\
apiVersion: {api}
kind: {kind}
metadata: {{name: web, namespace: shop}}
spec:
  selector: {selector}
  template:
    metadata: {{labels: {{app: web, tier: front}}}}
    spec: {{containers: [{{name: main, image: web}}]}}
"""


@pytest.mark.parametrize(("kind", "api", "selector", "words"), [
    ("Deployment", "apps/v1", "{matchLabels: {app: api}}",
     "selector app=api does not match the template labels app=web,tier=front"),
    ("ReplicaSet", "apps/v1", "{matchExpressions: [{key: tier, operator: In, values: [back]}]}",
     "does not match the template labels"),
    ("StatefulSet", "apps/v1", "{}", "must not be empty: it would select every pod"),
])
def test_a_controller_selector_must_select_its_own_pods(kind: str, api: str, selector: str,
                                                         words: str) -> None:
    """The API server rejects a controller whose selector misses its template's labels, or is
    empty: read as written, its pods would carry labels the cluster never gives them."""
    (problem,) = problems_in(SELECTED.format(kind=kind, api=api, selector=selector))
    assert (problem.line, problem.field) == (5, "spec.selector")
    assert words in problem.message


@pytest.mark.parametrize(("kind", "api", "selector"), [
    ("Deployment", "apps/v1", "{matchLabels: {app: web}}"),
    ("DaemonSet", "apps/v1", "{matchExpressions: [{key: tier, operator: Exists}]}"),
    ("Job", "batch/v1", "{}"),  # a Job's selector is generated: an empty one is not written
])
def test_a_selector_matching_the_template_is_read(kind: str, api: str, selector: str) -> None:
    (workload,) = load_text(SELECTED.format(kind=kind, api=api, selector=selector)).workloads
    assert workload.labels == {"app": "web", "tier": "front"}


@pytest.mark.parametrize(("kind", "typo", "field"), [
    ("Deployment", "replcas: 2\n", "spec.replcas"),
    ("CronJob", "jobTemplate:\n    spek: {}\n", "spec.jobTemplate.spek"),
    ("CronJob", "jobTemplate:\n    spec:\n      paralelism: 2\n",
     "spec.jobTemplate.spec.paralelism"),
])
def test_a_controller_s_spec_is_read_for_unknown_fields(kind: str, typo: str, field: str
                                                        ) -> None:
    """A typo in a controller's spec or a CronJob's job template (``spek`` for ``spec``) is
    named where it is."""
    cron = kind == "CronJob"
    text = (f"apiVersion: {'batch' if cron else 'apps'}/v1\nkind: {kind}\n"
            "metadata: {name: nightly, namespace: shop}\nspec:\n"
            + ("  schedule: '0 3 * * *'\n" if cron else "") + "  " + typo)
    assert field in [p.field for p in problems_in(text)]
