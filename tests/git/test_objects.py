"""locate_objects: the line range of each object in YAML and JSON manifests."""

from __future__ import annotations

from reporter.provenance import ObjectLines, locate_objects

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
