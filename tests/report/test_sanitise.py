"""Input copies attached to a pack: values outside the allowlist redacted in place, every line
where it was, secrets never included."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.inventory.sanitise import (
    REDACTED,
    Redacted,
    _Edits,
    _kept_view,
    _Unwalkable,
    _walk,
    _walk_nodes,
    redact_in_place,
    sanitise,
)
from reporter.inventory.yamlload import documents_with_nodes
from reporter.pack import pack_paths

from .sample import SAMPLE_MANIFESTS, WORKLOADS_FILE

SECRETS = """\
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: payments}
stringData: {api-key: S3CR3T-ONE}
data: {password: U0VDUkVULVRXTw==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: payments}
data: {DSN: "postgres://user:S3CR3T-THREE@db"}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: toolbox
  namespace: payments
  labels: {app: toolbox}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"env": "S3CR3T-FOUR"}'
    team: payments
  managedFields: [{manager: kubectl, fieldsV1: {f:spec: {}}}]
spec:
  initContainers:
  - name: init
    image: example/init
    env: [{name: INIT_TOKEN, value: S3CR3T-FIVE}]
  containers:
  - name: main
    image: example/toolbox
    env:
    - {name: PLAIN, value: S3CR3T-SIX}
    - name: FROM_SECRET
      valueFrom: {secretKeyRef: {name: creds, key: S3CR3T-SEVEN}}
    envFrom: [{secretRef: {name: S3CR3T-EIGHT}}]
    ports: [{containerPort: 8080, name: http}]
"""


def _same_layout(original: str, copy: Redacted) -> None:
    """Every line is where it was; lines not listed as redacted are unchanged."""
    before, after = original.splitlines(), copy.text.splitlines()
    assert len(before) == len(after)
    changed = [n for n, (a, b) in enumerate(zip(before, after, strict=True), 1) if a != b]
    assert changed == list(copy.lines)


def test_secret_and_config_map_values_are_redacted_on_their_lines() -> None:
    copy = redact_in_place(SECRETS)
    _same_layout(SECRETS, copy)
    assert "S3CR3T" not in copy.text and "U0VDUkVU" not in copy.text
    secret, config = yaml.safe_load_all(copy.text)
    assert secret["metadata"] == {"name": "creds", "namespace": "payments"}
    assert secret["stringData"] == {"api-key": "[redacted]"}
    assert config["data"] == {"DSN": "[redacted]"}


def test_only_allowlisted_values_are_kept() -> None:
    copy = redact_in_place(POD)
    _same_layout(POD, copy)
    assert "S3CR3T" not in copy.text
    pod = yaml.safe_load(copy.text)
    assert pod["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": "[redacted]", "team": "[redacted]"}
    main = pod["spec"]["containers"][0]
    assert main["env"][1]["valueFrom"] == {"secretKeyRef": {"name": "[redacted]",
                                                            "key": "[redacted]"}}
    assert main["envFrom"] == [{"secretRef": {"name": "[redacted]"}}]


def test_what_the_network_model_needs_is_kept_as_parsed() -> None:
    pod = yaml.safe_load(redact_in_place(POD).text)
    original = yaml.safe_load(POD)
    assert pod["metadata"]["labels"] == original["metadata"]["labels"]
    assert pod["spec"]["containers"][0]["ports"] == original["spec"]["containers"][0]["ports"]
    assert sanitise("Pod", "v1", pod) == sanitise("Pod", "v1", original)


def test_network_policies_keep_every_line_and_comment() -> None:
    policies = SAMPLE_MANIFESTS["estate/policies.yaml"]
    copy = redact_in_place(policies)
    _same_layout(policies, copy)
    assert copy.text.splitlines()[0] == policies.splitlines()[0]  # the comment stays
    (annotation,) = copy.lines  # only last-applied-configuration was redacted
    assert "not-in-the-pack" in policies.splitlines()[annotation - 1]


def test_comments_among_redacted_values_are_redacted_too() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}  # kept\nspec:\n  containers:\n"
            "  - name: c\n    env:\n    # the password is hunter2\n"
            "    - {name: A, value: x}  # hunter2 again\n    image: i  # kept too\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    assert "hunter2" not in copy.text
    assert copy.text.count("# kept") == 2


def test_a_comment_at_the_start_of_a_line_among_redacted_values_is_redacted() -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata:\n"
            "  user: admin\n# password: hunter2\n  region: eu\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    assert "hunter2" not in copy.text
    assert copy.text.splitlines()[5] == "# [redacted]"


def test_comments_after_quoted_keys_are_found_and_a_hash_inside_quotes_is_text() -> None:
    """A comment is told from a `` #`` inside quotes: the comment after a quoted key goes, and
    keys holding one (after an escaped quote too) stay as they are."""
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata:\n"
            '  "db.password": hunter2  # was hunter1\n'
            '  "say \\"hi #1\\" twice": x # hunter3\n'
            "  'a #b': y  # hunter4\n"
            '  "x\\"":  # hunter5\n    inner: z\n'
            '"extra #1": q  # hunter6\n'
            "other: r #hunter7\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    assert not any(f"hunter{n}" in copy.text for n in range(1, 8)), copy.text
    parsed = yaml.safe_load(copy.text)
    assert parsed["data"] == {"db.password": "[redacted]", 'say "hi #1" twice': "[redacted]",
                              "a #b": "[redacted]", 'x"': {"inner": "[redacted]"}}
    assert parsed["extra #1"] == "[redacted]"


def test_a_workloads_replicas_and_selector_are_shown_not_redacted() -> None:
    """What a reader checks the pod template against stays as written; the rest of the
    controller's spec (a strategy here) is redacted."""
    text = ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\n"
            "spec:\n  replicas: 3\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n"
            "  updateStrategy: {type: OnDelete}\n  template:\n    metadata: {labels: {app: db}}\n"
            "    spec: {containers: [{name: db, image: postgres}]}\n")
    copy = redact_in_place(text)
    assert copy.lines == (8,)
    spec = yaml.safe_load(copy.text)["spec"]
    assert (spec["replicas"], spec["serviceName"], spec["selector"]) == (
        3, "db", {"matchLabels": {"app": "db"}})
    assert spec["updateStrategy"] == {"type": "[redacted]"}


def test_multi_line_values_keep_the_lines_after_them_in_place() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
            "    note: |\n      line one\n      line two\n    other: plain\n      folded on\n"
            "    flow: {a: \"x\n      y\", b: 1}\n  labels: {app: p}\n"
            "spec: {containers: [{name: c, image: i, command: [sh,\n    -c, run]}]}\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    parsed = yaml.safe_load(copy.text)
    assert parsed["metadata"]["labels"] == {"app": "p"}
    assert parsed["metadata"]["annotations"] == {
        "note": "[redacted]", "other": "[redacted]", "flow": {"a": "[redacted]", "b": "[redacted]"}}
    assert parsed["spec"]["containers"][0]["command"] == ["[redacted]"] * 3


def test_an_anchor_on_a_redacted_value_stays_for_its_aliases() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: &x {app: d}}\n"
            "spec:\n  template:\n    metadata: {labels: *x, annotations: {a: &t secret}}\n"
            "    spec: {containers: [{name: c, image: i, args: [*t]}]}\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    deployment = yaml.safe_load(copy.text)
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "d"}
    assert "secret" not in copy.text


def test_list_documents_are_redacted_item_by_item() -> None:
    items = [yaml.safe_load(d) for d in (*SECRETS.split("---\n"), POD)]
    listing = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})
    copy = redact_in_place(listing)
    _same_layout(listing, copy)
    assert "S3CR3T" not in copy.text
    kinds = [i["kind"] for i in yaml.safe_load(copy.text)["items"]]
    assert kinds == ["Secret", "ConfigMap", "Pod"]


def test_the_fixture_workloads_lose_their_secret_and_token() -> None:
    copy = redact_in_place(SAMPLE_MANIFESTS[WORKLOADS_FILE])
    assert "NEVER-IN-THE-PACK" not in copy.text
    assert copy.lines


def test_the_reporters_own_configuration_is_attached_whole() -> None:
    text = "apiVersion: compliance-reporter/v1\nkind: ReporterConfig\nzones: [{name: cde}]\n"
    assert redact_in_place(text).text == text


_SCALARS = st.one_of(st.integers(), st.booleans(), st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12))
_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text("abcxyz", min_size=1, max_size=4),
                                                  inner, max_size=3)), max_leaves=12)


@given(extra=_TREES, labels=st.dictionaries(st.sampled_from("abc"), st.text("xyz"), max_size=2),
       flow=st.booleans(), width=st.integers(20, 200))
@settings(max_examples=150, deadline=None)
def test_any_pod_keeps_its_lines_and_its_network_fields(extra: object, labels: dict[str, str],
                                                        flow: bool, width: int) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": labels,
                                                           "annotations": {"x": extra}},
           "spec": {"containers": [{"name": "c", "image": "i", "env": extra}], "extra": extra}}
    text = yaml.safe_dump(pod, default_flow_style=flow, width=width, allow_unicode=True)
    copy = redact_in_place(text)
    _same_layout(text, copy)
    parsed = yaml.safe_load(copy.text)
    assert sanitise("Pod", "v1", parsed) == sanitise("Pod", "v1", pod)
    # Nothing dropped stays: every value under the dropped fields is replaced (a key stays, as
    # a ConfigMap's names do; a null written as nothing has nothing to replace).
    dropped = (parsed["metadata"]["annotations"]["x"], parsed["spec"]["containers"][0]["env"],
               parsed["spec"]["extra"])
    assert all(leaf in (REDACTED_VALUE, None) for value in dropped for leaf in _leaves(value))


REDACTED_VALUE = yaml.safe_load(REDACTED)


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_pack_paths_stay_inside_inputs_and_unique() -> None:
    placed = pack_paths(["samples/fixed/policies.yaml", "/etc/k8s/policies.yaml",
                         "../other/policies.yaml", "<stdin>", "main:deploy/np.json",
                         "x/policies.yaml"])
    assert placed == {
        "samples/fixed/policies.yaml": "inputs/samples/fixed/policies.yaml",
        "/etc/k8s/policies.yaml": "inputs/policies.yaml",
        "../other/policies.yaml": "inputs/policies-2.yaml",
        "<stdin>": "inputs/_stdin_.yaml",
        "main:deploy/np.json": "inputs/main/deploy/np.json",
        "x/policies.yaml": "inputs/x/policies.yaml",
    }


def test_a_block_value_ending_the_mapping_leaves_the_next_line_alone() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    a: |\n      secret\n"
            "  name: p\n")
    copy = redact_in_place(text)
    _same_layout(text, copy)
    assert copy.lines == (5, 6)


def test_long_lists_of_redacted_lines_are_counted_in_print() -> None:
    from reporter.render.view import redacted_text

    assert redacted_text([10, 12, 13, 21], "pack.json") == "10, 12-13, 21"
    many = [n for n in range(30, 95) if n % 3]
    assert redacted_text(many, "pack.json.gz") == (
        f"{len(many)} lines in 22 places (each in pack.json.gz)")


CLEAN_POLICY = """\
# reviewed by the platform team
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: payments}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def test_the_inventory_knows_which_inputs_have_nothing_to_redact() -> None:
    """The pack copies those without parsing them again: it must agree with the copy's own
    reading, file by file."""
    from reporter.inventory.manifests import load_inventory
    from reporter.inventory.sources import Source

    texts = {"pod.yaml": POD, "secrets.yaml": SECRETS, "policy.yaml": CLEAN_POLICY,
             "both.yaml": f"{CLEAN_POLICY}---\n{POD}",
             "repeated.yaml": f"{CLEAN_POLICY}---\napiVersion: v1\nkind: Secret\n"
                              "metadata: {name: a, namespace: payments}\n"
                              "type: Opaque\ntype: Opaque\n"}
    inventory = load_inventory([Source(path, text) for path, text in texts.items()])
    assert inventory.whole == {"policy.yaml"} and not inventory.redactions
    assert [p for p, t in texts.items() if not redact_in_place(t).lines] == [
        "policy.yaml", "repeated.yaml"]  # a repeated key: left to the copy's own reading


def test_the_inventory_finds_each_copys_redaction_as_it_reads_the_file() -> None:
    """For a pack, the copies are redacted from what the inventory's reading found (no second
    parse): the same copies, an alias's file included (read again, event by event)."""
    from reporter.inventory.manifests import load_inventory
    from reporter.inventory.sources import Source

    texts = {"pod.yaml": POD, "secrets.yaml": SECRETS, "policy.yaml": CLEAN_POLICY,
             "both.yaml": f"{CLEAN_POLICY}---\n{POD}",
             "alias.yaml": "kind: Pod\napiVersion: v1\n"
                           "metadata: {name: a, labels: &l {a: b}, annotations: *l}\n",
             "repeated.yaml": "kind: Secret\napiVersion: v1\nmetadata: {name: s}\n"
                              "type: Opaque\ntype: Opaque\n"}
    inventory = load_inventory([Source(path, text) for path, text in texts.items()], redact=True)
    assert inventory.whole == {"policy.yaml"}
    assert sorted(inventory.redactions) == sorted(set(texts) - {"policy.yaml"})
    for path, redaction in inventory.redactions.items():
        assert redaction.text is texts[path]
        assert redaction.redacted() == redact_in_place(texts[path])
    assert inventory.redactions["alias.yaml"].redacted().text.endswith(
        f"annotations: {REDACTED}}}\n")


def test_empty_documents_and_a_repeated_key_leave_every_document_its_own_view() -> None:
    # Each document start has its view, empty documents included: were they left out, the
    # Secret's view would fall on the empty document and the ConfigMap's on the Secret.
    text = ("---\n---\n"
            "kind: Secret\napiVersion: v1\nmetadata: {name: s}\ndata: {token: abc}\n---\n"
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c, name: c}\ndata: {k: v}\n")
    copy = redact_in_place(text)
    assert copy.lines == (6, 11)
    assert copy.text.splitlines()[5] == f"data: {{token: {REDACTED}}}"
    assert copy.text.splitlines()[10] == f"data: {{k: {REDACTED}}}"
    _same_layout(text, copy)


def _edits_both_ways(text: str) -> tuple[_Edits, _Edits]:
    """The edits of one text found from its composed nodes, then from its events."""
    documents = list(documents_with_nodes(text))
    kept = [_kept_view(document) for _, document in documents]
    whole = [view == document for view, (_, document) in zip(kept, documents, strict=True)]
    by_nodes = _Edits()
    for (node, _), view, skipped in zip(documents, kept, whole, strict=True):
        if not skipped:
            _walk_nodes(text, node, view, by_nodes, aliased=True)
    return by_nodes, _walk(text, kept, whole)


_KEYS = st.one_of(st.text("abcxyz", min_size=1, max_size=4), st.integers(0, 99), st.booleans())
_ODD_TREES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)), max_leaves=10)
_KINDS = st.sampled_from(["Pod", "Deployment", "CronJob", "Secret", "ConfigMap", "NetworkPolicy",
                          "Service", "PodList", "List"])


@st.composite
def _documents(draw: st.DrawFn) -> object:
    kind, extra = draw(_KINDS), draw(_ODD_TREES)
    pod = {"metadata": {"name": "p", "labels": draw(st.dictionaries(_KEYS, _SCALARS, max_size=2)),
                        "annotations": {"x": extra}},
           "spec": {"containers": [{"name": "c", "env": extra, "ports": [{"name": extra}]}],
                    "template": {"spec": {"containers": [{"image": extra}]}}, "extra": extra}}
    if kind.endswith("List"):
        return {"apiVersion": "v1", "kind": kind, "items": [pod, extra, {"kind": "Pod"} | pod]}
    return {"apiVersion": "v1", "kind": kind} | pod


class _Unaliased(yaml.SafeDumper):
    """Writes a value met twice twice (anchors and aliases are for the event walk)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


@given(documents=st.lists(st.one_of(_documents(), st.none()), min_size=1, max_size=3),
       flow=st.booleans(), width=st.integers(20, 200))
@settings(max_examples=200, deadline=None)
def test_the_node_walk_makes_the_edits_the_event_walk_makes(documents: list[object], flow: bool,
                                                           width: int) -> None:
    text = yaml.dump_all(documents, Dumper=_Unaliased, default_flow_style=flow, width=width,
                         allow_unicode=True)
    by_nodes, by_events = _edits_both_ways(text)
    assert sorted(by_nodes.replacements) == sorted(by_events.replacements)
    assert by_nodes.dropped_lines == by_events.dropped_lines


@pytest.mark.parametrize(("text", "line", "redacted"), [
    # an alias: its node is the anchor's, where it stands is lost
    ("kind: Pod\nmetadata: {name: p, labels: &l {a: b}}\nspec: {extra: *l}\n", 3,
     "spec: {extra: R}"),
    # an anchored value to replace: the anchor stays for its aliases
    ("kind: Pod\nmetadata: {name: p, annotations: {a: &t secret}}\n", 2,
     "metadata: {name: p, annotations: {a: &t R}}"),
    ("kind: Pod\nmetadata: {name: p, annotations: {a: !!str &t secret}}\n", 2,
     "metadata: {name: p, annotations: {a: &t R}}"),
    # a merge key (the loader rewrites the mapping's nodes), a key written as one
    ("kind: Pod\nmetadata: {name: p, annotations: {<<: {a: secret}}}\n", 2,
     "metadata: {name: p, annotations: {<<: {a: R}}}"),
    ("kind: Pod\nmetadata: {name: p, annotations: {'<<': {a: secret}}}\n", 2,
     "metadata: {name: p, annotations: {'<<': {a: R}}}"),
    # a merge key in a set (built by PyYAML's own constructor)
    ("kind: Pod\nmetadata: {name: p, annotations: {a: !!set {<<: {b: c}, d}}}\n", 2,
     "metadata: {name: p, annotations: {a: !!set {<<: {b: R}, d}}}"),
])
def test_what_nodes_cannot_place_is_redacted_event_by_event(text: str, line: int,
                                                            redacted: str) -> None:
    node, document = next(documents_with_nodes(text))
    with pytest.raises(_Unwalkable):
        _walk_nodes(text, node, _kept_view(document), _Edits(), aliased=True)
    copy = redact_in_place(text)
    assert copy.lines == (line,)
    assert copy.text.splitlines()[line - 1] == redacted.replace("R", REDACTED)
    _same_layout(text, copy)


def test_redacting_a_large_document_runs_no_collection() -> None:
    """The documents hold no reference cycles: collections during their reading would only
    traverse them again and again (a 13 MB kubectl List took 20 s instead of 5)."""
    import gc

    items = [{"kind": "Pod", "metadata": {"name": f"p{i}", "annotations": {"a": "secret"}}}
             for i in range(2000)]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})
    collections: list[int] = []

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(counted)
    try:
        copy = redact_in_place(text)
    finally:
        gc.callbacks.remove(counted)
    assert len(copy.lines) == 2000 and collections == []


def test_a_copy_is_redacted_from_its_own_texts_reading_only() -> None:
    from reporter.inventory.sanitise import Redaction
    from reporter.render.bundle import PackInputs, _copy

    from .sample import sample_pair_map

    redaction = Redaction(POD)
    for node, document in documents_with_nodes(POD):
        redaction.add(node, document)
    inputs = PackInputs({"p.yaml": SECRETS}, sample_pair_map(),
                        redactions={"p.yaml": redaction})
    assert _copy("p.yaml", SECRETS, inputs) == redact_in_place(SECRETS)
    assert _copy("p.yaml", POD, inputs) == redact_in_place(POD) != redact_in_place(SECRETS)
