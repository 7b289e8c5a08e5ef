"""Documents to inventory: Lists, namespaces, skipped kinds, duplicates, collected problems."""

from __future__ import annotations

import hashlib

import pytest

from reporter.errors import InputError, ValidationError
from reporter.inventory.classify import ALLOWS_OR_DENIES
from reporter.inventory.manifests import SEPARATE_COPIES_HINT, VALIDATION_HINT, load_inventory
from reporter.inventory.model import (
    Copy,
    InputFile,
    Namespace,
    NotModelledPolicy,
    Origin,
    SkippedObject,
)
from reporter.inventory.sources import Source

from .helpers import load_text, located, problems_in

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{}}\n"
POLICY = (
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {{name: {name}, namespace: {ns}}}\nspec: {{podSelector: {{}}}}\n"
)


def test_multi_document_yaml_with_empty_documents() -> None:
    text = "---\n" + NAMESPACE.format(name="a") + "---\n# only a comment\n---\n" + POD.format(
        name="p", ns="a"
    ) + "---\n"
    inventory = load_text(text)
    assert inventory.inputs == (
        InputFile("test.yaml", hashlib.sha256(text.encode()).hexdigest(), 2),
    )
    assert [w.key for w in inventory.workloads] == ["a/p[Pod]"]
    assert inventory.kinds_read == {"Namespace": 1, "Pod": 1}


def test_kubectl_lists_are_expanded() -> None:
    text = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: a}
    - apiVersion: v1
      kind: List
      items:
      - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: a}, spec: {}}
    """
    inventory = load_text(text)
    assert [n.name for n in inventory.namespaces] == ["a"]
    (pod,) = inventory.workloads
    assert pod.origin == Origin("test.yaml", 10)
    assert inventory.kinds_read == {"Namespace": 1, "Pod": 1}


def test_typed_lists_give_their_items_kind_and_api_version() -> None:
    # As the API returns them (GET /apis/networking.k8s.io/v1/networkpolicies).
    text = """\
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicyList
    metadata: {resourceVersion: "1"}
    items:
    - metadata: {name: deny, namespace: a}
      spec: {podSelector: {}}
    - metadata: {name: allow, namespace: a}
      spec: {podSelector: {}, ingress: [{}]}
    """
    inventory = load_text(text)
    assert [(p.key, p.origin.line) for p in inventory.policies] == [("a/allow", 7), ("a/deny", 5)]
    assert inventory.kinds_read == {"NetworkPolicy": 2}


def test_an_empty_list_reads_nothing() -> None:
    inventory = load_text("apiVersion: v1\nkind: List\nitems: []\n")
    assert (inventory.namespaces, inventory.kinds_read, inventory.inputs[0].documents) == (
        (), {}, 1
    )


def test_other_kinds_are_skipped_with_a_reason_and_counted() -> None:
    text = """\
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: a}
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: reader}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: calico, namespace: a}
    spec: {selector: all()}
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: token, namespace: a}
    data: {token: c2VjcmV0LXRva2Vu}
    """
    inventory = load_text(text)
    assert inventory.skipped == (
        SkippedObject(
            "ClusterRole", "reader", None,
            "does not select or run pods, so it does not affect NetworkPolicy reachability",
            Origin("test.yaml", 5),
        ),
        SkippedObject(
            "Secret", "token", "a", "Secret contents are never read or stored",
            Origin("test.yaml", 14),
        ),
        SkippedObject(
            "Service", "web", "a",
            "does not select or run pods, so it does not affect NetworkPolicy reachability",
            Origin("test.yaml", 1),
        ),
    )
    assert inventory.policies == ()
    # A policy the engine does not evaluate is not "skipped": the map may be wrong where it is.
    assert inventory.not_modelled == (NotModelledPolicy(
        "NetworkPolicy", "projectcalico.org/v3", "calico", "a", Origin("test.yaml", 9),
        ALLOWS_OR_DENIES),)
    assert inventory.kinds_read == {
        "ClusterRole": 1, "NetworkPolicy": 1, "Secret": 1, "Service": 1
    }
    assert "c2VjcmV0LXRva2Vu" not in repr(inventory)


def test_namespaces_get_the_name_label_and_missing_ones_are_synthesised() -> None:
    text = """\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels: {env: prod, kubernetes.io/metadata.name: wrong}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: empty}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: p, namespace: orphan}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: q}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny, namespace: policies-only}
    """
    inventory = load_text(text)
    assert inventory.namespaces == (
        Namespace("default", {}, None),
        Namespace("empty", {}, Origin("test.yaml", 7)),
        Namespace("orphan", {}, None),
        Namespace("policies-only", {}, None),
        Namespace("shop", {}, Origin("test.yaml", 1)),
    )
    # Labels are compare=False: check them apart. The API server overwrites the name label.
    assert [n.labels for n in inventory.namespaces] == [
        {"kubernetes.io/metadata.name": "default"},
        {"kubernetes.io/metadata.name": "empty"},
        {"kubernetes.io/metadata.name": "orphan"},
        {"kubernetes.io/metadata.name": "policies-only"},
        {"env": "prod", "kubernetes.io/metadata.name": "shop"},
    ]
    assert [w.key for w in inventory.workloads] == ["default/q[Pod]", "orphan/p[Pod]"]


def test_invalid_namespace_names_are_reported() -> None:
    text = NAMESPACE.format(name="Shop") + "---\n" + POD.format(name="p", ns="under_score")
    assert located(problems_in(text)) == [(3, "metadata.name"), (7, "metadata.namespace")]


def test_duplicates_name_both_locations() -> None:
    first = POLICY.format(name="deny", ns="a")
    sources = [Source("one.yaml", first), Source("two.yaml", NAMESPACE.format(name="x") + (
        "---\n" + first.replace("{podSelector: {}}", "{}")
    ))]
    with pytest.raises(ValidationError) as caught:
        load_inventory(sources)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.obj) == ("two.yaml", 5, "NetworkPolicy a/deny")
    assert problem.message.startswith("duplicate object: also defined at one.yaml:1, differently")


def test_duplicates_in_two_kustomizations_are_variants_to_render_not_to_remove() -> None:
    policy = POLICY.format(name="deny", ns="a")
    kustomization = "resources: [policy.yaml]\n"
    sources = [Source("base/plain/kustomization.yaml", kustomization),
               Source("base/plain/policy.yaml", policy),
               Source("base/strict/kustomization.yaml", kustomization),
               Source("base/strict/policy.yaml", policy.replace("{podSelector: {}}", "{}")),
               Source("loose.yaml", policy.replace("{podSelector: {}}", "{}"))]
    with pytest.raises(ValidationError) as caught:
        load_inventory(sources[:4])
    (problem,) = caught.value.problems
    assert problem.message.endswith(
        "both are resources of kustomizations (base/plain, base/strict): variants that overlays "
        "choose between, never applied together; render the overlay you deploy (kubectl "
        "kustomize DIR | reporter check -) or leave one out with --exclude")
    assert caught.value.hint == ("a kustomize tree holds variants of the same objects: render "
                                 "the overlay you deploy (kubectl kustomize DIR | reporter "
                                 "check -)")
    same_tree = Source("base/plain/strict.yaml", sources[3].text)
    # One copy outside any kustomization, or both in one: given together, never variants.
    for given in ([sources[0], sources[1], sources[4]], [*sources[:2], same_tree]):
        with pytest.raises(ValidationError) as caught:
            load_inventory(given)
        (problem,) = caught.value.problems
        assert problem.message.endswith("(remove one, leave one out with --exclude, or do not "
                                        "pass both manifests and a dump of them)")
        assert caught.value.hint == SEPARATE_COPIES_HINT


def test_the_hint_names_separate_copies_when_most_problems_are_objects_given_twice() -> None:
    """A folder of separate examples defines the same objects differently here and there: the
    hint says to point at one cluster's manifests, then what else to fix."""
    policy, loose = POLICY.format(name="deny", ns="a"), POLICY.format(name="web", ns="a")
    bad_port = POD.format(name="p", ns="a").replace(
        "spec: {}", "spec: {containers: [{name: c, ports: [{containerPort: PORT}]}]}")
    copies = [Source("ex1/policy.yaml", policy + "---\n" + loose),
              Source("ex2/policy.yaml", (policy + "---\n" + loose).replace(
                  "{podSelector: {}}", "{}"))]
    with pytest.raises(ValidationError) as caught:
        load_inventory([*copies, Source("ex3/pod.yaml", bad_port)])
    assert len(caught.value.problems) == 3
    assert caught.value.hint == (f"{SEPARATE_COPIES_HINT}; fix the rest so that the API server "
                                 "would accept the manifests")
    with pytest.raises(ValidationError) as caught:
        load_inventory([*copies, Source("ex3/pod.yaml", bad_port + "---\nkind: [\n")])
    assert caught.value.hint is not None and caught.value.hint.startswith(
        f"{SEPARATE_COPIES_HINT}; where the YAML is invalid, the usual causes are ")
    # As many problems as objects given twice (kubernetes/examples' root: five copies among
    # ten problems): the copies' hint still leads.
    with pytest.raises(ValidationError) as caught:
        load_inventory([*copies, Source("ex3/pod.yaml", bad_port),
                        Source("ex4/pod.yaml", bad_port.replace("name: p,", "name: q,"))])
    assert len(caught.value.problems) == 4
    assert caught.value.hint == (f"{SEPARATE_COPIES_HINT}; fix the rest so that the API server "
                                 "would accept the manifests")
    # Two other problems against one object given twice: the usual hint.
    with pytest.raises(ValidationError) as caught:
        load_inventory([copies[0], Source("ex2/policy.yaml", policy.replace(
            "{podSelector: {}}", "{}")), Source("ex3/pod.yaml", bad_port),
            Source("ex4/pod.yaml", bad_port.replace("name: p,", "name: q,"))])
    assert len(caught.value.problems) == 3
    assert caught.value.hint == VALIDATION_HINT


def test_same_name_in_other_namespaces_or_kinds_is_no_duplicate() -> None:
    text = "---\n".join([
        POD.format(name="web", ns="a"), POD.format(name="web", ns="b"),
        POLICY.format(name="web", ns="a"),
        POD.format(name="web", ns="default").replace(", namespace: default", ""),
        "apiVersion: v1\nkind: Service\nmetadata: {generateName: web-}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {generateName: web-}\n",
    ])
    assert [w.key for w in load_text(text).workloads] == [
        "a/web[Pod]", "b/web[Pod]", "default/web[Pod]"
    ]


def test_an_object_without_a_namespace_duplicates_one_in_default() -> None:
    text = POD.format(name="web", ns="default") + "---\n" + POD.format(name="web", ns="x").replace(
        ", namespace: x", ""
    )
    inventory = load_text(text)
    assert inventory.copies == (
        Copy("Pod", "web", "default", Origin("test.yaml", 6), Origin("test.yaml", 1)),)
    differing = text.replace("spec: {}", "spec: {hostNetwork: true}", 1)
    assert located(problems_in(differing)) == [(6, "metadata.name")]


KUBECONFIG = """\
apiVersion: v1
kind: Config
users:
- name: admin
  user: {token: a-bearer-token}
"""
SKAFFOLD = """\
apiVersion: skaffold/v3
kind: Config
metadata: {name: app}
---
apiVersion: skaffold/v3
kind: Config
metadata: {name: loadgenerator}
"""


def test_a_kubeconfig_and_a_tools_configuration_are_files_that_are_not_manifests() -> None:
    """Their apiVersion tells: ``v1`` ``Config`` is a kubeconfig, and a group without a dot that
    is none of Kubernetes's own (Skaffold's) is served by no API server. Each file is listed
    once, not once more per document, and is not an input the pack copies."""
    inventory = load_inventory([Source("kubeconfig.yaml", KUBECONFIG),
                                Source("skaffold.yaml", SKAFFOLD),
                                Source("pods.yaml", POD.format(name="a", ns="shop"))])
    assert [(f.path, f.line) for f in inventory.skipped_files] == [
        ("kubeconfig.yaml", None), ("skaffold.yaml", None)]
    kubeconfig, skaffold = (f.reason for f in inventory.skipped_files)
    assert kubeconfig == ("not a Kubernetes object: a kubeconfig (cluster addresses and "
                          "credentials): never read or stored")
    assert skaffold.startswith("not a Kubernetes object: apiVersion skaffold/v3 belongs to no "
                               "Kubernetes API")
    assert [i.path for i in inventory.inputs] == ["pods.yaml"]
    assert inventory.skipped == ()
    assert "a-bearer-token" not in repr(inventory)


@pytest.mark.parametrize("api_version", ["apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
                                         "extensions/v1beta1", "example.com/v1", "v1beta1"])
def test_kubernetes_groups_without_a_dot_and_dotted_groups_are_objects(api_version: str) -> None:
    """Only a dotless group that is not Kubernetes's marks a tool's file: these are objects
    (skipped as kinds the map does not use, with the reason of their group)."""
    inventory = load_text(f"apiVersion: {api_version}\nkind: Config\nmetadata: {{name: c}}\n")
    assert inventory.skipped_files == ()
    assert [s.kind for s in inventory.skipped] == ["Config"]


def test_a_file_mixing_objects_and_documents_that_are_not_lists_each_document() -> None:
    inventory = load_text(SKAFFOLD + "---\n" + POD.format(name="a", ns="shop"))
    assert [(f.line, f.reason[:47]) for f in inventory.skipped_files] == [
        (1, "not a Kubernetes object: apiVersion skaffold/v3"),
        (5, "not a Kubernetes object: apiVersion skaffold/v3")]
    assert [w.name for w in inventory.workloads] == ["a"]


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("apiVersion: v1\nkind: List\nitems: [[x]]\n", None, None,
         "document 1 item 0 is a list, not a Kubernetes object"),
        ("kind: Pod\nmetadata: {name: a}\n", 1, "apiVersion", "required: every Kubernetes"),
        ("apiVersion: v1\nkind: 12\n", 1, "kind", "string kind"),
        ("apiVersion: v1\nkind: Pod\nspec: {}\n", 1, "metadata.name", "required"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: 7}\n", 3, "metadata.name",
         "must be a string, not a number"),
        ("apiVersion: v1\nkind: Pod\nmetadata: []\n", 1, "metadata", "must be a mapping"),
    ],
)
def test_documents_that_are_not_objects(
    text: str, line: int | None, field: str | None, words: str
) -> None:
    (problem,) = problems_in(text)
    assert (problem.file, problem.line, problem.field) == ("test.yaml", line, field)
    assert words in problem.message


def test_problems_in_all_files_are_raised_together_in_file_order() -> None:
    bad_port = POLICY.format(name="a", ns="x").replace(
        "{podSelector: {}}", "{ingress: [{ports: [{port: 0}]}]}"
    )
    sources = [
        Source("b.yaml", "---\n" + bad_port),
        Source("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                         "  containers: [{name: c, ports: [{containerPort: 99999}]}]\n"),
    ]
    with pytest.raises(ValidationError) as caught:
        load_inventory(sources)
    assert [(p.file, p.line, p.obj, p.field) for p in caught.value.problems] == [
        ("b.yaml", 5, "NetworkPolicy x/a", "spec.ingress[0].ports[0].port"),
        ("a.yaml", 5, "Pod default/p", "spec.containers[0].ports[0].containerPort"),
    ]
    assert caught.value.diagnostics().splitlines()[0] == (
        "error: b.yaml:5: NetworkPolicy x/a, spec.ingress[0].ports[0].port: "
        "invalid port 0: must be 1-65535"
    )


def test_yaml_errors_in_every_file_are_raised_together_with_other_files_problems() -> None:
    sources = [
        Source("a.yaml", "a: [1\n"), Source("ok.yaml", NAMESPACE.format(name="a")),
        Source("bad.yaml", POD.format(name="Bad_Name", ns="Bad")),
        Source("b.yaml", "b: {\n"),
    ]
    with pytest.raises(InputError) as caught:
        load_inventory(sources)
    assert [(p.file, p.line) for p in caught.value.problems] == [
        ("a.yaml", 2), ("bad.yaml", 3), ("bad.yaml", 3), ("b.yaml", 2)]
    assert sorted(str(p.field) for p in caught.value.problems[1:3]) == ["metadata.name",
                                                             "metadata.namespace"]
    assert (caught.value.hint or "").startswith(
        "where the YAML is invalid, the usual causes are wrong indentation")
    assert "fix the rest so that the API server would accept" in (caught.value.hint or "")
    assert caught.value.diagnostics().splitlines()[-2] == (
        "4 problems in 3 files, each listed above")


def test_output_is_sorted_whatever_the_input_order() -> None:
    documents = [
        POLICY.format(name="b", ns="y"), POD.format(name="z", ns="a"),
        POLICY.format(name="a", ns="y"), POD.format(name="a", ns="b"),
        POLICY.format(name="c", ns="x"), POD.format(name="b", ns="a"),
    ]
    forward = load_text("---\n".join(documents))
    backward = load_text("---\n".join(reversed(documents)))
    assert [p.key for p in forward.policies] == ["x/c", "y/a", "y/b"]
    assert [w.key for w in forward.workloads] == ["a/b[Pod]", "a/z[Pod]", "b/a[Pod]"]
    assert [n.name for n in forward.namespaces] == ["a", "b", "x", "y"]
    assert [p.key for p in backward.policies] == [p.key for p in forward.policies]
    assert [w.key for w in backward.workloads] == [w.key for w in forward.workloads]


REPEATED_KEY_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: a}
data:
  password: YQ==
  password: Yg==
"""


def test_a_repeated_key_in_a_skipped_kind_is_skipped_with_it() -> None:
    """The Secret is not read for the map, so its repeated key cannot change it; the same key
    repeated in a policy, or in an object's kind, still refuses the file."""
    inventory = load_text(NAMESPACE.format(name="a") + "---\n" + REPEATED_KEY_SECRET)
    assert [(s.kind, s.name) for s in inventory.skipped] == [("Secret", "s")]
    repeated_policy = POLICY.format(name="p", ns="a").replace(
        "{name: p, namespace: a}", "\n  name: p\n  namespace: a\n  name: q")
    assert [p.message for p in problems_in(repeated_policy)] == [
        "invalid YAML: while constructing a mapping; found duplicate key 'name'"]
    ambiguous = REPEATED_KEY_SECRET.replace("kind: Secret", "kind: Secret\nkind: NetworkPolicy")
    assert [(p.line, p.message.rpartition("; ")[2]) for p in problems_in(ambiguous)] == [
        (3, "found duplicate key 'kind'"), (7, "found duplicate key 'password'")]


GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def test_an_identical_copy_of_an_object_not_modelled_is_a_copy_not_a_second_object() -> None:
    """microservices-demo gives its Gateway in a kustomize component and in a release bundle:
    one object, not two, whose pods the map leaves out; a variant that differs is another."""
    inventory = load_inventory([Source("base/gateway.yaml", GATEWAY),
                                Source("release/all.yaml", "---\n" + GATEWAY)])
    assert [(p.key, p.origin) for p in inventory.not_modelled] == [
        ("Gateway default/edge", Origin("base/gateway.yaml", 1))]
    assert inventory.copies == (Copy("Gateway", "edge", "default", Origin("release/all.yaml", 2),
                                     Origin("base/gateway.yaml", 1)),)
    variant = load_inventory([Source("base/gateway.yaml", GATEWAY), Source(
        "release/all.yaml", GATEWAY.replace("port: 80", "port: 8080"))])
    assert [p.origin for p in variant.not_modelled] == [
        Origin("base/gateway.yaml", 1), Origin("release/all.yaml", 1)]
    assert not variant.copies


def test_policies_and_workloads_without_a_namespace_are_in_default_other_kinds_nowhere() -> None:
    """As kubectl applies them: a namespaced object without a namespace lands in the
    context's, ``default`` here; a cluster-scoped kind has none, and a custom kind named like a
    list, without items, is an object, not a list."""
    inventory = load_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n"
        "spec: {podSelector: {}}\n---\n" + POD.format(name="web", ns="x").replace(
            ", namespace: x", "")
        + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata: {name: reader}\n---\napiVersion: example.com/v1\nkind: IPAllowList\n"
        "metadata: {name: office, namespace: x}\nspec: {cidrs: [192.0.2.0/24]}\n")
    assert [p.key for p in inventory.policies] == ["default/deny"]
    assert [w.key for w in inventory.workloads] == ["default/web[Pod]"]
    assert {(s.kind, s.namespace) for s in inventory.skipped} == {
        ("ClusterRole", None), ("IPAllowList", "x")}


def test_invalid_yaml_among_several_files_may_be_left_out_and_alone_must_be_fixed() -> None:
    broken = Source("docs/example.yaml", "kind: NetworkPolicy\nspec: {key: \"a\"; b: c}\n")
    policy = Source("deploy/policy.yaml", "apiVersion: networking.k8s.io/v1\n"
                                          "kind: NetworkPolicy\nmetadata: {name: p}\n"
                                          "spec: {podSelector: {}}\n")
    with pytest.raises(InputError) as caught:
        load_inventory([policy, broken])
    assert (caught.value.hint or "").startswith("fix the YAML at that line")
    assert (caught.value.hint or "").endswith(
        "; a file that is no manifest of the cluster (an example, documentation) can be left out "
        "with --exclude")
    with pytest.raises(InputError) as caught:
        load_inventory([broken])
    assert "--exclude" not in (caught.value.hint or "")
