"""Pod selectors in generated policies: the fewest stable labels that pick the same workloads."""

from __future__ import annotations

from reporter.fix.peers import workload_labels
from reporter.inventory.model import Workload


def workload(name: str, **labels: str) -> Workload:
    return Workload("shop", name, "Deployment", {k.replace("_", "-"): v for k, v in
                                                 labels.items()})


def test_identity_labels_are_chosen_and_release_labels_left_out() -> None:
    api = workload("api", app="api", version="v1.4.2", tier="backend", team="checkout")
    web = workload("web", app="web", version="v1.4.2", tier="frontend", team="checkout")
    assert workload_labels(api, [api, web]) == {"app": "api"}


def test_labels_are_added_until_the_workload_stands_apart() -> None:
    blue = workload("api-blue", app="api", track="blue", version="v1")
    green = workload("api-green", app="api", track="green", version="v2")
    assert workload_labels(blue, [blue, green]) == {"app": "api", "track": "blue"}


def test_a_release_label_is_kept_when_nothing_else_tells_workloads_apart() -> None:
    old = workload("api-v1", app="api", version="v1")
    new = workload("api-v2", app="api", version="v2")
    assert workload_labels(old, [old, new]) == {"app": "api", "version": "v1"}


def test_workloads_sharing_all_labels_share_the_selector() -> None:
    one = workload("one", app="api", pod_template_hash="abc")
    two = workload("two", app="api", pod_template_hash="def")
    same = workload("same", app="api", pod_template_hash="abc")
    # pod-template-hash is volatile, but it is all that sets "one" and "same" apart from "two"
    assert workload_labels(one, [one, two, same]) == {"app": "api", "pod-template-hash": "abc"}
