"""The line-recording YAML loader: lines, JSON, YAML errors, and its cost over plain parsing."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

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


def test_a_mapping_tag_on_a_scalar_is_an_input_error() -> None:
    with pytest.raises(InputError, match="expected a mapping"):
        load_documents("a: !!map text\n", "x.yaml")
