"""The fields the API knows in workloads, and the selector rule controllers must follow.

A misspelt ``lables`` or ``prots`` would silently leave a workload without the labels or ports
policies select it by; kubectl's strict field validation rejects them, and so do we.
(k8s.io/api core/v1, apps/v1, batch/v1 types.)
"""

from __future__ import annotations

from collections.abc import Mapping

from reporter.inventory.fields import ObjectReader
from reporter.inventory.model import LabelSelector
from reporter.inventory.yamlload import LineDict

OBJECT = ("apiVersion", "kind", "metadata", "spec", "status")
OBJECT_META = (
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields",
)
POD_TEMPLATE = ("metadata", "spec")
CONTROLLER_SPEC: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("replicas", "selector", "template", "strategy", "minReadySeconds",
                   "revisionHistoryLimit", "paused", "progressDeadlineSeconds", "rollbackTo",
                   "templateGeneration"),
    "StatefulSet": ("replicas", "selector", "template", "volumeClaimTemplates", "serviceName",
                    "podManagementPolicy", "updateStrategy", "revisionHistoryLimit",
                    "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"),
    "DaemonSet": ("selector", "template", "updateStrategy", "minReadySeconds",
                  "revisionHistoryLimit", "templateGeneration"),
    "ReplicaSet": ("replicas", "minReadySeconds", "selector", "template"),
    "ReplicationController": ("replicas", "minReadySeconds", "selector", "template"),
    "Job": ("parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy",
            "successPolicy", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes",
            "selector", "manualSelector", "template", "ttlSecondsAfterFinished",
            "completionMode", "suspend", "podReplacementPolicy", "managedBy"),
    "CronJob": ("schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy",
                "suspend", "jobTemplate", "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit"),
}
POD_SPEC = (
    "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
    "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
    "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
    "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
    "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
    "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
    "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
    "resourceClaims", "resources",
)
CONTAINER = (
    "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
    "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe",
    "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
    "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
    "tty",
)
CONTAINER_PORT = ("name", "hostPort", "containerPort", "protocol", "hostIP")
SELECTED_BY_TEMPLATE = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                        "ReplicationController")
"""Controllers whose selector must select their own pod template (the API rejects others)."""


def check_selector(reader: ObjectReader, controller_spec: LineDict, kind: str,
                   selector: LabelSelector | None, template_labels: Mapping[str, str]) -> None:
    """A controller's selector, when given, must be non-empty and match its pods (without one,
    older APIs default it from the template labels)."""
    field = "spec.selector"
    if selector is None:
        return
    if selector.is_empty and kind != "Job":
        reader.report(controller_spec, field, "must not be empty: it would select every pod "
                      "of the namespace")
    elif not selector.matches(template_labels):
        reader.report(controller_spec, field,
                      f"selector {selector} does not match the template labels "
                      f"{_shown(template_labels)}; the API server rejects this (make "
                      "spec.template.metadata.labels carry the selector's labels)")


def _shown(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"
