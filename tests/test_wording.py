from reporter.wording import agreeing, counted, listed


def test_a_count_agrees_with_its_noun() -> None:
    assert [counted(n, "hop") for n in (0, 1, 2)] == ["0 hops", "1 hop", "2 hops"]


def test_a_large_count_is_grouped_in_thousands() -> None:
    assert counted(20332, "connection") == "20,332 connections"
    assert counted(1000000, "pair") == "1,000,000 pairs"


def test_a_verb_agrees_with_its_count() -> None:
    assert [agreeing("run", n) for n in (0, 1, 2)] == ["run", "runs", "run"]


def test_an_irregular_plural_is_given() -> None:
    assert counted(1, "NetworkPolicy", "NetworkPolicies") == "1 NetworkPolicy"
    assert counted(3, "NetworkPolicy", "NetworkPolicies") == "3 NetworkPolicies"


def test_a_long_list_names_the_first_and_counts_the_rest() -> None:
    assert listed(["a", "b"], 2, "file") == "a, b"
    assert listed(["a", "b", "c"], 2, "file") == "a, b and 1 more file"
    assert listed(list("abcde"), 2, "file") == "a, b and 3 more files"
