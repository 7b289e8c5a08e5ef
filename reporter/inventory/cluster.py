"""A live cluster -> :class:`Source` texts, read-only: cluster-wide list calls, nothing else.

Only the ten collections in :data:`RESOURCES` are requested; Secrets and ConfigMaps never are.
Each object is cut down to the fields the analysis reads plus what identifies it (names, uid,
owners, container images): env, command lines, annotations (``last-applied-configuration``
among them) and managedFields, which can carry secrets, never leave this module. Each
collection becomes one Source, ``cluster:<context>/<resource>``, holding a JSON ``List`` that
:func:`~reporter.inventory.manifests.load_inventory` validates like any manifest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from reporter.errors import InputError, Problem
from reporter.inventory.kubeconfig import ClusterAccess, Connection, connect
from reporter.inventory.model import Inventory
from reporter.inventory.sanitise import sanitise
from reporter.inventory.sources import Source

PAGE_SIZE = 500
"""Objects per list call, as kubectl asks: large clusters are read in pages."""
DEFAULT_TIMEOUT = 60.0
"""Seconds allowed to list one resource, every page and retry included (``--timeout``)."""
RETRIED = frozenset({429, 500, 502, 503, 504})
"""Answers worth asking again: throttled, or the API server (or its proxy) failing."""
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Seconds before each retry (unless the server's Retry-After says otherwise)."""
_CONNECT_TIMEOUT = 10.0
_RESTARTS = 3
"""Lists started again after 410 Gone (the continue token expired), as client-go's pager."""
_RBAC_HINT = "deploy/rbac.yaml holds a ClusterRole with exactly these permissions"


@dataclass(frozen=True, slots=True)
class Resource:
    """One collection the reporter lists across all namespaces."""

    kind: str
    api_version: str
    plural: str
    api: str
    """The ``kubernetes.client`` class that serves it."""
    list_method: str
    """That class's cluster-wide list call."""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def qualified(self) -> str:
        """The name kubectl and RBAC messages use: ``pods``, ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES: tuple[Resource, ...] = (
    Resource("Namespace", "v1", "namespaces", "CoreV1Api", "list_namespace"),
    Resource("Pod", "v1", "pods", "CoreV1Api", "list_pod_for_all_namespaces"),
    Resource("ReplicationController", "v1", "replicationcontrollers", "CoreV1Api",
             "list_replication_controller_for_all_namespaces"),
    Resource("Deployment", "apps/v1", "deployments", "AppsV1Api",
             "list_deployment_for_all_namespaces"),
    Resource("ReplicaSet", "apps/v1", "replicasets", "AppsV1Api",
             "list_replica_set_for_all_namespaces"),
    Resource("StatefulSet", "apps/v1", "statefulsets", "AppsV1Api",
             "list_stateful_set_for_all_namespaces"),
    Resource("DaemonSet", "apps/v1", "daemonsets", "AppsV1Api",
             "list_daemon_set_for_all_namespaces"),
    Resource("Job", "batch/v1", "jobs", "BatchV1Api", "list_job_for_all_namespaces"),
    Resource("CronJob", "batch/v1", "cronjobs", "BatchV1Api", "list_cron_job_for_all_namespaces"),
    Resource("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies", "NetworkingV1Api",
             "list_network_policy_for_all_namespaces"),
)
"""Everything read, in the order read. deploy/rbac.yaml grants exactly these (a test checks)."""


@dataclass(frozen=True, slots=True)
class ResourceList:
    resource: Resource
    resource_version: str
    """The collection's resourceVersion when listed: the state the items are from."""
    items: tuple[dict[str, Any], ...]
    """Sanitised objects, with apiVersion and kind set (list items omit them)."""


@dataclass(frozen=True, slots=True)
class ClusterState:
    """What was read from one cluster, already sanitised."""

    context: str
    """The kubeconfig context, or ``in-cluster``."""
    server: str
    """The API server's URL, without any user:password part."""
    lists: tuple[ResourceList, ...]

    def sources(self) -> list[Source]:
        """One JSON ``List`` per resource, named ``cluster:<context>/<resource>``."""
        return [
            Source(f"cluster:{self.context}/{listed.resource.qualified}", _list_json(listed))
            for listed in self.lists
        ]


def load_cluster(access: ClusterAccess, page_size: int = PAGE_SIZE,
                 timeout: float = DEFAULT_TIMEOUT) -> Inventory:
    """The validated inventory of a live cluster."""
    from reporter.inventory.manifests import load_inventory

    return load_inventory(read_cluster(access, page_size, timeout).sources())


class _TimedOut(Exception):
    """A resource's deadline passed; ``waiting`` says whether an answer was being read."""

    def __init__(self, resource: Resource, timeout: float, waiting: bool) -> None:
        super().__init__(resource.qualified)
        self.resource, self.timeout, self.waiting = resource, timeout, waiting


def read_cluster(access: ClusterAccess, page_size: int = PAGE_SIZE,
                 timeout: float = DEFAULT_TIMEOUT) -> ClusterState:
    """List every resource of :data:`RESOURCES`, each within ``timeout`` seconds. Refused
    resources (403) are reported together; any other failure stops the reading at once."""
    connection = connect(access)
    lists: list[ResourceList] = []
    forbidden: list[Problem] = []
    try:
        for resource in RESOURCES:
            try:
                lists.append(_list_all(connection, resource, page_size, timeout))
            except _TimedOut as error:
                raise _timeout_error(connection, error) from None
            except ApiException as error:
                if error.status != 403:
                    raise _api_error(connection, resource, error) from None
                forbidden.append(_forbidden(resource, error))
            except urllib3.exceptions.HTTPError as error:
                raise _connection_error(connection, error) from None
    finally:
        connection.client.close()
    if forbidden:
        raise InputError(forbidden, hint=(
            f"grant the identity of context {connection.context!r} the verbs get, list and "
            f"watch on these resources in all namespaces ({_RBAC_HINT}); check each with "
            f"`kubectl auth can-i list {forbidden[0].obj} --all-namespaces`"
        ))
    return ClusterState(connection.context, connection.server, tuple(lists))


def _list_all(connection: Connection, resource: Resource, page_size: int,
              timeout: float) -> ResourceList:
    list_call = getattr(getattr(k8s, resource.api)(connection.client), resource.list_method)
    deadline = _Deadline(resource, timeout)
    for restart in range(_RESTARTS + 1):
        try:
            return _list_pages(connection, resource, list_call, page_size, deadline)
        except ApiException as error:
            # 410 on a later page: the continue token expired; start the list over.
            if error.status != 410 or getattr(error, "paged", False) is False or \
                    restart == _RESTARTS:
                raise
    raise AssertionError("unreachable")


def _list_pages(connection: Connection, resource: Resource, list_call: Callable[..., Any],
                page_size: int, deadline: _Deadline) -> ResourceList:
    items: list[dict[str, Any]] = []
    version: str | None = None
    token: str | None = None
    while True:
        try:
            page = _page(connection, resource, list_call, page_size, token, deadline)
        except ApiException as error:
            error.paged = token is not None  # type: ignore[attr-defined]
            raise
        items += [sanitise(resource.kind, resource.api_version, item) for item in page["items"]]
        metadata = page.get("metadata") or {}
        version = version if version is not None else str(metadata.get("resourceVersion", ""))
        token = metadata.get("continue")
        if not token:
            return ResourceList(resource, version, tuple(items))


class _Deadline:
    """One resource's time budget: every page and retry of its list share it."""

    def __init__(self, resource: Resource, timeout: float) -> None:
        self.resource, self.timeout = resource, timeout
        self.end = time.monotonic() + timeout

    def remaining(self, waiting: bool = False) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise _TimedOut(self.resource, self.timeout, waiting)
        return left


def _call(list_call: Callable[..., Any], page_size: int, options: dict[str, Any],
          deadline: _Deadline) -> bytes:
    """One list request, asked again after 429/5xx with backoff while the deadline allows."""
    for attempt in range(len(BACKOFF) + 1):
        left = deadline.remaining()
        try:
            response = list_call(limit=page_size, _preload_content=False,
                                 _request_timeout=(min(_CONNECT_TIMEOUT, left), left), **options)
            try:
                return response.data  # type: ignore[no-any-return]
            finally:
                response.release_conn()
        except urllib3.exceptions.ReadTimeoutError:
            raise _TimedOut(deadline.resource, deadline.timeout, waiting=True) from None
        except ApiException as error:
            error.attempts = attempt + 1  # type: ignore[attr-defined]
            if error.status not in RETRIED or attempt == len(BACKOFF):
                raise
            pause = _retry_after(error) or BACKOFF[attempt]
            if pause >= deadline.remaining():
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def _retry_after(error: ApiException) -> float | None:
    value = (error.headers or {}).get("Retry-After", "")
    return min(float(value), BACKOFF[-1]) if str(value).isdigit() else None


def _page(connection: Connection, resource: Resource, list_call: Callable[..., Any],
          page_size: int, token: str | None, deadline: _Deadline) -> dict[str, Any]:
    options: dict[str, Any] = {"_continue": token} if token else {}
    body = _call(list_call, page_size, options, deadline)
    try:
        page = json.loads(body)
    except ValueError:
        page = None
    if not _is_list_page(page):
        raise InputError(
            f"the server at {connection.server} did not answer the list of {resource.qualified} "
            "like a Kubernetes API server (no JSON list of objects)",
            hint=f"check that context {connection.context!r} points at the API server itself, "
            "not at a proxy or load balancer page",
        )
    return page  # type: ignore[no-any-return]


def _is_list_page(page: Any) -> bool:
    """A list response: a mapping with ``items`` (objects) and maybe ``metadata.continue``."""
    if not isinstance(page, dict) or not isinstance(page.get("metadata") or {}, dict):
        return False
    items, token = page.get("items"), (page.get("metadata") or {}).get("continue")
    return (isinstance(items, list) and all(isinstance(item, dict) for item in items)
            and isinstance(token, str | None))


def _list_json(listed: ResourceList) -> str:
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": listed.resource_version},
        "items": list(listed.items),
    }
    # Indented, so that a problem's line number points at the object's own lines.
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


# -- errors --------------------------------------------------------------------------------------

def _server_message(error: ApiException) -> str:
    """The API server's own explanation (a Status object's message), shortened."""
    try:
        status = json.loads(error.body or "")
    except ValueError:
        return ""
    message = status.get("message") if isinstance(status, dict) else None
    if not isinstance(message, str):
        return ""
    return message if len(message) <= 300 else message[:297] + "..."


def _forbidden(resource: Resource, error: ApiException) -> Problem:
    said = _server_message(error)
    return Problem(
        f"forbidden (403): cannot list {resource.qualified} in all namespaces"
        + (f" (the API server says: {said})" if said else ""),
        obj=resource.qualified,
    )


def _api_error(connection: Connection, resource: Resource, error: ApiException) -> InputError:
    if not error.status:  # the client's wrapping of a TLS failure, before any HTTP status
        return _tls_error(connection)
    where = f"listing {resource.qualified} from context {connection.context!r}"
    known = {
        401: ("the API server did not accept the credentials (401 Unauthorized)",
              "the token or client certificate is missing, expired or revoked: log in again or "
              f"refresh the credentials, then check `kubectl --context {connection.context} "
              "get namespaces`"),
        404: (f"the API server does not serve {resource.api_version} {resource.plural} (404)",
              "the reporter needs Kubernetes 1.21 or later (batch/v1 CronJob); check "
              "`kubectl api-resources`"),
        410: ("the list changed too much while it was read in pages (410 Gone), even after "
              f"starting it over {_RESTARTS} times",
              "run again when the cluster is less busy"),
    }
    if error.status in known:
        what, hint = known[error.status]
        return InputError(f"{where}: {what}", hint=hint)
    said = _server_message(error)
    attempts = getattr(error, "attempts", 1)
    retried = f" ({attempts} attempts, with backoff)" if attempts > 1 else ""
    return InputError(
        f"{where}: the API server answered {error.status} {error.reason or ''}".rstrip()
        + (f": {said}" if said else "") + retried,
        hint="try again later; if it persists, check the API server's health "
        "(`kubectl get --raw /readyz`)",
    )


def _connection_error(connection: Connection, error: urllib3.exceptions.HTTPError) -> InputError:
    reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
    if isinstance(reason, urllib3.exceptions.SSLError):
        return _tls_error(connection)
    return InputError(
        f"cannot reach the API server of context {connection.context!r} at "
        f"{connection.server}: {_cause(reason)}",
        hint="check that the cluster is running and reachable from here (VPN, proxy, firewall) "
        "and that the context is the intended one: `kubectl --context CONTEXT cluster-info`",
    )


def _timeout_error(connection: Connection, error: _TimedOut) -> InputError:
    listing = f"listing {error.resource.qualified} from context {connection.context!r}"
    if error.waiting:
        what = (f"the API server at {connection.server} accepted the connection but did not "
                f"answer within {error.timeout:g} s")
        hint = ("the API server (or a proxy in front of it) is overloaded or stuck: check "
                "`kubectl get --raw /readyz`; for a very large cluster, raise --timeout")
    else:
        what = f"no complete answer within {error.timeout:g} s, retries included"
        hint = "the API server kept failing or throttling: try again later, or raise --timeout"
    return InputError(f"{listing}: {what}", hint=hint)


def _tls_error(connection: Connection) -> InputError:
    return InputError(
        f"cannot reach the API server of context {connection.context!r} at "
        f"{connection.server}: TLS verification failed",
        hint="the server's certificate is not signed by the certificate authority given (the "
        "kubeconfig's certificate-authority or certificate-authority-data; in a pod, the "
        "service account's ca.crt), or it is not made out to the server's address",
    )


def _cause(error: BaseException | None) -> str:
    """The operating system's words for a failed connection ('Connection refused')."""
    seen = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return str(seen.strerror)
        seen = seen.__cause__ or seen.__context__
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out"
    return type(error).__name__ if error is not None else "connection failed"

