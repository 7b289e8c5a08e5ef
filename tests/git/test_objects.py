"""locate_objects: the line range of each object in YAML and JSON manifests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reporter.provenance import ObjectLines, locate_objects, objects
from reporter.provenance.objects import Composed, located_texts, object_texts

MULTI_DOCUMENT = """\
# policies for the shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]

# a comment between documents belongs to neither
---
kind: Namespace
metadata:
  name: shop
---
# owner: team web
kind: NetworkPolicy
metadata: {name: allow-web}
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
    - from:
        - podSelector: {}
      ports:
        - port: 8080
          # scrape port below
        - port: 9090


"""


@pytest.fixture
def composes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts composed, as they are."""
    composed: list[str] = []
    compose_all = objects.yaml.compose_all

    def counted(text: str, Loader: type) -> Iterator[object]:  # noqa: N803 (PyYAML's name)
        composed.append(text)
        return compose_all(text, Loader=Loader)

    monkeypatch.setattr(objects.yaml, "compose_all", counted)
    return composed


POLICY = "---\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n"


def test_each_document_runs_from_its_first_key_to_its_last_content_line() -> None:
    assert locate_objects(MULTI_DOCUMENT) == [
        ObjectLines("NetworkPolicy", "shop", "deny-all", 3, 10),
        ObjectLines("NetworkPolicy", None, "allow-web", 19, 30),
    ]


def test_kinds_choose_what_is_located() -> None:
    assert locate_objects(MULTI_DOCUMENT, kinds=("Namespace",)) == [
        ObjectLines("Namespace", None, "shop", 14, 16)
    ]


def test_items_of_a_list_are_objects_of_their_own() -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - kind: NetworkPolicy
    metadata:
      name: a
      namespace: x
    spec: {}
  - kind: NetworkPolicy
    metadata:
      name: b
    spec:
      podSelector: {}
# trailing comment
metadata: {}
"""
    assert locate_objects(text) == [
        ObjectLines("NetworkPolicy", "x", "a", 4, 8),
        ObjectLines("NetworkPolicy", None, "b", 9, 13),
    ]


def test_json_objects_and_lists() -> None:
    single = '{\n  "kind": "NetworkPolicy",\n  "metadata": {"name": "j"},\n  "spec": {}\n}'
    assert locate_objects(single) == [ObjectLines("NetworkPolicy", None, "j", 1, 5)]
    listed = (
        '{"kind": "NetworkPolicyList", "items": [\n'
        '  {"kind": "NetworkPolicy", "metadata": {"name": "one"}},\n'
        '  {"kind": "NetworkPolicy",\n'
        '   "metadata": {"name": "two", "namespace": "n"}}\n'
        "]}\n"
    )
    assert locate_objects(listed) == [
        ObjectLines("NetworkPolicy", None, "one", 2, 2),
        ObjectLines("NetworkPolicy", "n", "two", 3, 4),
    ]


def test_text_that_is_not_yaml_or_objects_without_a_name_have_no_objects() -> None:
    assert locate_objects("kind: NetworkPolicy\nmetadata: [unclosed\n") == []
    assert locate_objects("kind: NetworkPolicy\nspec: {}\n") == []
    assert locate_objects("- just\n- a list\n---\nplain scalar\n") == []


def test_each_document_is_read_on_its_own_and_only_when_it_names_a_kind_sought(
        composes: list[str]) -> None:
    crd = """\
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: applications.argoproj.io}
spec:
  names: {kind: Application, listKind: ApplicationList}
  versions: [{name: v1alpha1, schema: {openAPIV3Schema: {description: "spec: [unclosed"}}}]
"""
    policies = """\
--- {"kind": "NetworkPolicy", "metadata": {"name": "json-style"}}
---
kind:
  'NetworkPolicy'
metadata: {name: value-on-the-next-line}
--- # a document that is not YAML hides nothing else
kind: NetworkPolicy
metadata: [unclosed
---
kind: NetworkPolicyList
items:
- {kind: NetworkPolicy, metadata: {name: listed}}
"""
    assert locate_objects(crd + policies) == [
        ObjectLines("NetworkPolicy", None, "json-style", 8, 8),
        ObjectLines("NetworkPolicy", None, "value-on-the-next-line", 10, 12),
        ObjectLines("NetworkPolicy", None, "listed", 19, 19),
    ]
    assert len(composes) == 4 and not any("CustomResourceDefinition" in t for t in composes)


def test_a_line_starting_with_three_dashes_ends_a_block_scalar_as_yaml_says() -> None:
    text = """\
kind: ConfigMap
metadata: {name: notes}
data:
  notes: |
    --- indented: still the scalar
---
kind: NetworkPolicy
metadata: {name: after}
"""
    assert locate_objects(text) == [ObjectLines("NetworkPolicy", None, "after", 7, 8)]


def test_an_objects_text_is_its_lines_and_nothing_after_them() -> None:
    texts = [text for _, text in located_texts(MULTI_DOCUMENT, Composed(("NetworkPolicy",)))]
    lines = MULTI_DOCUMENT.splitlines()
    assert texts == ["\n".join(lines[2:10]), "\n".join(lines[18:30])]
    assert texts[0].endswith("policyTypes: [Ingress]") and texts[1].endswith("- port: 9090")


def test_only_a_list_kind_with_a_sequence_of_items_is_a_list() -> None:
    not_a_list = "kind: NetworkPolicy\nmetadata: {name: odd}\nitems: [{kind: NetworkPolicy}]\n"
    assert locate_objects(not_a_list) == [ObjectLines("NetworkPolicy", None, "odd", 1, 3)]
    assert locate_objects("kind: List\nmetadata: {name: odd}\nitems: {a: b}\n") == []


@pytest.mark.parametrize("line_break", ["\u2028", "\r", "\x85", "\u2029"])
def test_documents_are_numbered_as_the_parser_numbers_their_lines(line_break: str) -> None:
    # A quoted value may hold a character YAML counts as a line break: the documents after it
    # start where a parse of the whole file says they do.
    text = (f'kind: ConfigMap\nmetadata: {{name: c}}\ndata: {{a: "x{line_break}y"}}\r\n---\r\n'
            "kind: NetworkPolicy\nmetadata: {name: p}\n")
    assert locate_objects(text) == [ObjectLines("NetworkPolicy", None, "p", 6, 7)]


def test_a_document_met_again_is_composed_once_and_numbered_where_it_now_stands(
        composes: list[str]) -> None:
    # Versions of a file hold the same policy at other lines.
    composed = Composed(("NetworkPolicy",))
    [(first, _)] = located_texts(POLICY, composed)
    [(again, _)] = located_texts(f"# owner: web\n{POLICY}", composed)
    assert (first, again) == (ObjectLines("NetworkPolicy", None, "p", 2, 4),
                              ObjectLines("NetworkPolicy", None, "p", 3, 5))
    assert composes == [POLICY]


def test_documents_are_kept_while_there_is_room(composes: list[str]) -> None:
    other = POLICY.replace("name: p", "name: q")
    composed = Composed(("NetworkPolicy",), room=len(POLICY))
    for _ in range(2):
        located_texts(POLICY + other, composed)
    assert composes == [POLICY, other, other]  # the first filled the room


def test_object_texts_are_the_located_texts_by_key_the_first_of_a_key() -> None:
    composed = Composed(("NetworkPolicy",))
    twice = MULTI_DOCUMENT + POLICY + POLICY.replace("podSelector: {}", "podSelector: {x: y}")
    assert object_texts(twice, composed) == {
        (found.kind, found.namespace, found.name): text
        for found, text in located_texts(MULTI_DOCUMENT + POLICY, composed)}


def test_three_dashes_that_start_no_document_do_not_cut_one() -> None:
    # "---b" starts no document (dashes then a space or line end do): the object after it is in
    # the document from the top, which only parses whole.
    text = 'metadata:\n  name: p\n  annotations: {note: "a\n---b"}\nkind: NetworkPolicy\n'
    assert locate_objects(text) == [ObjectLines("NetworkPolicy", None, "p", 1, 5)]
    # Nor does a key "---x" right after a document start: the search goes on to that start
    # (the document before it does not parse).
    text = "kind: [unclosed\n---\n---x: 1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
    assert locate_objects(text) == [ObjectLines("NetworkPolicy", None, "p", 3, 5)]


def test_a_kind_at_the_very_start_is_found() -> None:
    assert locate_objects("kind: NetworkPolicy\nmetadata: {name: p}\n") == [
        ObjectLines("NetworkPolicy", None, "p", 1, 2)]
