from reporter.wording import counted


def test_a_count_agrees_with_its_noun() -> None:
    assert [counted(n, "hop") for n in (0, 1, 2)] == ["0 hops", "1 hop", "2 hops"]


def test_an_irregular_plural_is_given() -> None:
    assert counted(1, "NetworkPolicy", "NetworkPolicies") == "1 NetworkPolicy"
    assert counted(3, "NetworkPolicy", "NetworkPolicies") == "3 NetworkPolicies"
