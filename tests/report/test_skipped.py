"""What was not read, counted in words: the completeness line and what was left unrendered."""

from __future__ import annotations

from reporter.inventory.classify import unrendered
from reporter.inventory.model import COPY_REASON
from reporter.render.skipped import general_reason, needs_rendering, skip_summary

TEMPLATE = ("File", "unrendered Helm chart template; render it first: helm template …")
OVERLAY = ("File", "kustomize overlay not rendered; render it first: kubectl kustomize …")
PATCH = ("Document", "kustomize patch of Deployment shop/web, …")
WORKFLOW = ("File", "not a Kubernetes object (no apiVersion and kind): a CI workflow")
COPY = ("Deployment", f"{COPY_REASON} base/web.yaml:3")
SERVICE = ("Service", "a kind the map does not use")


def test_one_of_each_is_counted_in_the_singular() -> None:
    assert skip_summary([TEMPLATE, OVERLAY, WORKFLOW, COPY, SERVICE]) == (
        "skipped 3 files or documents that are not manifests (1 unrendered template, "
        "1 kustomize file or patch, 1 not a Kubernetes object); 1 object of kinds the map does "
        "not use (Service 1); 1 identical copy of objects already read")
    assert unrendered([TEMPLATE, OVERLAY]) == (
        "1 unrendered template and 1 kustomize file or patch", 2)
    assert unrendered([OVERLAY]) == ("1 kustomize file or patch", 1)  # "it", not "they"


def test_only_templates_and_kustomize_files_are_unrendered() -> None:
    assert unrendered([TEMPLATE, TEMPLATE, OVERLAY, PATCH, WORKFLOW, COPY]) == (
        "2 unrendered templates and 2 kustomize files and patches", 4)
    assert unrendered([WORKFLOW, COPY, SERVICE]) is None
    assert not needs_rendering([WORKFLOW, COPY, SERVICE]) and needs_rendering([PATCH])
    # An object of another kind whose reason happens to start alike is not a file.
    assert unrendered([("ConfigMap", "unrendered template values")]) is None


def test_a_reason_naming_its_kustomization_is_one_row_for_every_kustomization() -> None:
    """The pack's table of skipped items groups by reason without the places it names."""
    patch, plugin = ("kustomize patch of {0}/kustomization.yaml, not a complete object; ",
                     "kustomize plugin configuration of {0}/kustomization.yaml, run by "
                     "kustomize, not by the cluster; ")
    hint = "render it first: kubectl kustomize {0} | reporter check -"
    for reason, general in ((patch, "kustomize patch, not a complete object; "),
                            (plugin, "kustomize plugin configuration, run by kustomize, not by "
                                     "the cluster; ")):
        rows = {general_reason((reason + hint).format(place)) for place in ("dev", "prod/eu")}
        assert rows == {general + "render it first: kubectl kustomize DIR | reporter check -"}
