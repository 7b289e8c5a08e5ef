"""The line-recording YAML loader: lines, JSON, YAML errors, and its cost over plain parsing."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.errors import InputError
from reporter.inventory.yamlload import LineDict, LineLoader, load_documents

TEXT = """\
# a comment
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: main
    ports:
    - containerPort: 80
"""


def test_loader_is_the_libyaml_safe_loader() -> None:
    assert issubclass(LineLoader, yaml.CSafeLoader)


def test_every_mapping_carries_its_first_line() -> None:
    (document,) = load_documents(TEXT, "pod.yaml")
    assert isinstance(document, LineDict)
    assert document.line == 2
    assert document["metadata"].line == 5
    assert document["metadata"]["labels"].line == 6  # flow mapping: the line of its brace
    container = document["spec"]["containers"][0]
    assert container.line == 9
    assert container["ports"][0].line == 11


def test_values_are_what_the_plain_safe_loader_builds() -> None:
    (document,) = load_documents(TEXT, "pod.yaml")
    assert document == yaml.safe_load(TEXT)


def test_json_is_read_with_lines() -> None:
    text = json.dumps({"kind": "List", "items": [{"kind": "Pod"}, {"kind": "Service"}]}, indent=2)
    (document,) = load_documents(text, "dump.json")
    assert document.line == 1  # JSON objects start at their brace
    assert [item.line for item in document["items"]] == [4, 7]


def test_empty_documents_are_dropped() -> None:
    assert load_documents("---\n---\na: 1\n---\n", "x.yaml") == [{"a": 1}]


def test_merge_keys_may_override_without_being_duplicates() -> None:
    text = "base: &base {a: 1, b: 2}\nderived:\n  <<: *base\n  b: 3\n"
    (document,) = load_documents(text, "x.yaml")
    assert document["derived"] == {"a": 1, "b": 3}


def test_duplicate_keys_are_an_error_at_the_repeated_key() -> None:
    text = "spec:\n  ingress: []\n  egress: []\n  ingress: [{}]\n"
    with pytest.raises(InputError) as caught:
        load_documents(text, "np.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("np.yaml", 4)
    assert "duplicate key 'ingress'" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3, "flow sequence"),
        ("a:\n  b: 1\n c: 2\n", 3, "block mapping"),
        ("a: 'unclosed\n", 2, "quoted scalar"),
        ("a:\n\tb: 1\n", 2, "cannot start any token"),
        ("? [1, 2]\n: x\n", 1, "key that is a list or mapping"),
    ],
)
def test_yaml_errors_say_file_line_and_what_to_do(text: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_documents(text, "bad.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("bad.yaml", line)
    assert problem.message.startswith("invalid YAML: ")
    assert words in problem.message
    assert caught.value.hint is not None and "indentation" in caught.value.hint


def test_yaml_errors_never_quote_the_source_text() -> None:
    text = "apiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2: [\n"
    with pytest.raises(InputError) as caught:
        load_documents(text, "secret.yaml")
    assert "hunter2" not in caught.value.diagnostics()


def test_characters_yaml_forbids_are_an_input_error_at_their_line() -> None:
    with pytest.raises(InputError) as caught:
        load_documents("caf\u00e9: 1\nna\u00efve: 2\nbell: \x07\n", "bell.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.message) == (
        "bell.yaml", 3,
        "invalid YAML: character #x0007 is not allowed (control characters are not allowed)",
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2024-13-01", "a date or time that does not exist (month must be in 1..12)"),
        ("2024-02-30T10:00:00Z", "a date or time that does not exist (day is out of range"),
        ("9" * 5000, "an integer too long to read (over 4300 digits)"),
    ],
)
def test_scalars_that_cannot_be_built_are_an_input_error_at_their_line(value: str,
                                                                     words: str) -> None:
    text = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
            f"  labels: {{since: {value}}}\n")
    with pytest.raises(InputError) as caught:
        load_documents(text, "ns.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("ns.yaml", 5)
    assert problem.message.startswith(f"invalid YAML: {words}")
    assert value not in caught.value.diagnostics()
    assert caught.value.hint is not None and caught.value.hint.startswith("quote the value")


def test_quoted_and_real_dates_still_load() -> None:
    documents = load_documents("a: '2024-13-01'\nb: 2024-02-29\nc: 12\n", "x.yaml")
    assert documents == [{"a": "2024-13-01", "b": date(2024, 2, 29), "c": 12}]


def test_a_plain_equals_sign_is_text_as_kubernetes_reads_it() -> None:
    # CRDs list it among enum values (e.g. prometheus-operator's matchType); PyYAML alone
    # refuses the whole file.
    text = "enum:\n- '!='\n- =\n- =~\nop: =\nflow: [=, a]\n= : key\n"
    assert load_documents(text, "crd.yaml") == [
        {"enum": ["!=", "=", "=~"], "op": "=", "flow": ["=", "a"], "=": "key"}]


def test_unknown_tags_are_ignored_and_never_instantiate_anything() -> None:
    # mkdocs.yml, .gitlab-ci.yml and CloudFormation files sit at repository roots: refusing
    # them refused the whole root.
    text = ("emoji: !!python/name:material.extensions.emoji.twemoji\n"
            "obj: !!python/object/apply:os.system ['echo unsafe']\n"
            "script: [!reference [.setup, script], make]\n"
            "ref: !Ref Bucket\n"
            "map: !custom {a: 1}\n")
    (document,) = load_documents(text, "mkdocs.yml")
    assert document == {"emoji": "", "obj": ["echo unsafe"],
                        "script": [[".setup", "script"], "make"], "ref": "Bucket",
                        "map": {"a": 1}}
    assert isinstance(document["map"], LineDict) and document["map"].line == 5


def test_a_mapping_tag_on_a_scalar_is_an_input_error() -> None:
    with pytest.raises(InputError, match="expected a mapping"):
        load_documents("a: !!map text\n", "x.yaml")


# The loader builds common nodes itself and leaves other tags to PyYAML: whatever the text, its
# values must be those of yaml.safe_load, and each mapping must carry the line libyaml reports.
TRICKY = [
    "base: &b {a: 1, b: [x, y]}\nuse: *b\nalso: *b\n",
    "base: &b {a: 1, b: 2}\nderived: {<<: *b, c: 3}\nmany: {<<: [*b, {z: 0}], a: 9}\n",
    "= : value key\nx: 1\n",
    "ints: [0, 7, -5, +5, 010, 0o17, 0x1F, 0b101, 1_000, '12', 190:20:30]\n",
    "floats: [1.5, -.5, 1e3, .inf, -.Inf, 1_000.5]\nnan: .nan\n",
    "bools: [yes, No, on, OFF, true, False]\nnulls: [~, null, Null, '', ]\n",
    "when: 2024-02-29\nstamp: 2001-12-14t21:59:43.10-05:00\n",
    "keys: {2: two, true: yes, null: nothing, 1.5: x}\n",
    "explicit: !!str 123\nnum: !!int '42'\nf: !!float '3'\nb: !!binary aGVsbG8=\n",
    "set: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\npairs: !!pairs [{a: 1}, {a: 2}]\n",
    "seq: !!seq [1, 2]\nmap: !!map {a: 1}\nempty: {}\nnone: []\n",
    "a: |\n  literal\n  text\nb: >\n  folded\n  text\nc: \"quoted\\n\"\n",
    "- &x [1, 2]\n- *x\n- {k: *x}\n",
    "---\na: 1\n---\n- b\n---\nplain\n---\n42\n",
    "unicode: caf\u00e9\nkey\u00e9: \u00fc\nemoji: \U0001F600\n",
]


def _same_values(loaded: object, expected: object) -> bool:
    """Equal values, mappings being LineDicts; identity of shared (aliased) objects is kept
    only where PyYAML keeps it too."""
    if isinstance(expected, dict):
        return (isinstance(loaded, LineDict) and loaded.keys() == expected.keys()
                and all(_same_values(loaded[k], v) for k, v in expected.items()))
    if isinstance(expected, list):
        return (type(loaded) is list and len(loaded) == len(expected)
                and all(_same_values(a, b) for a, b in zip(loaded, expected, strict=True)))
    if isinstance(expected, float) and expected != expected:
        return isinstance(loaded, float) and loaded != loaded
    return type(loaded) is type(expected) and loaded == expected


def _mapping_lines(node: yaml.Node) -> list[int]:
    """Lines of the mappings in the node, depth first, from libyaml's own positions."""
    lines: list[int] = []
    seen: set[int] = set()

    def walk(current: yaml.Node) -> None:
        if id(current) in seen:
            return
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            if current.tag == "tag:yaml.org,2002:map":
                lines.append(current.start_mark.line + 1)
            for key, value in current.value:
                walk(key)
                walk(value)
        elif isinstance(current, yaml.SequenceNode):
            for item in current.value:
                walk(item)

    walk(node)
    return lines


def _loaded_lines(value: object) -> list[int]:
    lines: list[int] = []
    seen: set[int] = set()

    def walk(current: object) -> None:
        if id(current) in seen:
            return
        seen.add(id(current))
        if isinstance(current, LineDict):
            lines.append(current.line)
            for key, item in current.items():
                walk(key)
                walk(item)
        elif isinstance(current, list):
            for item in current:
                walk(item)

    walk(value)
    return lines


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_load_as_safe_load_does(text: str) -> None:
    expected = [d for d in yaml.safe_load_all(text) if d is not None]
    loaded = load_documents(text, "x.yaml")
    assert len(loaded) == len(expected)
    for got, want in zip(loaded, expected, strict=True):
        assert _same_values(got, want), (got, want)


def test_aliases_share_one_object_and_recursion_resolves() -> None:
    (document,) = load_documents("a: &x {k: [1]}\nb: *x\nself: &s {me: *s}\n", "x.yaml")
    assert document["a"] is document["b"]
    assert document["self"]["me"] is document["self"]


def test_merged_mappings_keep_their_line_and_still_refuse_real_duplicates() -> None:
    text = "base: &b {a: 1}\nd:\n  <<: *b\n  c: 2\n"
    (document,) = load_documents(text, "x.yaml")
    assert document["d"].line == 3
    with pytest.raises(InputError, match="duplicate key 'c'"):
        load_documents("d:\n  = : 1\n  c: 2\n  c: 3\n", "x.yaml")


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
    st.sampled_from(["0", "007", "0x1F", "1_000", "yes", "no", "~", "2024-02-29", "1.5", "-",
                     "=", "<<", ".inf", "3:25:45", "TCP", "'q'", "a: b", "- x", "#"]),
    st.floats(allow_nan=False, width=32),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(-9, 9)), children,
                        max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(documents, min_size=1, max_size=3),
       flow=st.sampled_from([None, True, False]), style=st.sampled_from([None, "'", '"']))
def test_any_document_loads_as_safe_load_does_with_libyaml_lines(
        values: list[object], flow: bool | None, style: str | None) -> None:
    text = yaml.safe_dump_all(values, default_flow_style=flow, default_style=style,
                              allow_unicode=True)
    expected = [d for d in yaml.safe_load_all(text) if d is not None]
    loaded = load_documents(text, "x.yaml")
    assert len(loaded) == len(expected)
    for got, want in zip(loaded, expected, strict=True):
        assert _same_values(got, want)
    nodes = [n for n in yaml.compose_all(text, Loader=yaml.CSafeLoader)
             if n.tag != "tag:yaml.org,2002:null"]
    assert [_loaded_lines(d) for d in loaded] == [_mapping_lines(n) for n in nodes]
