"""Each list has a deadline (retries included); 429/5xx are asked again with backoff; a 410 on
a later page starts the list over, as client-go's pager does; a hung server is not reported as
an unreachable one."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.inventory.cluster import read_cluster
from reporter.inventory.kubeconfig import ClusterAccess

from .apiserver import LIST_PATHS, FakeApiServer, status, write_kubeconfig

PODS = LIST_PATHS["Pod"]


def access(kubeconfig: Path) -> ClusterAccess:
    return ClusterAccess(kubeconfig=str(kubeconfig), environ={})


def pod_count(api: FakeApiServer, kubeconfig: Path, timeout: float = 60) -> int:
    state = read_cluster(access(kubeconfig), timeout=timeout)
    return len(next(listed for listed in state.lists if listed.resource.kind == "Pod").items)


def test_throttling_and_server_errors_are_asked_again(api: FakeApiServer,
                                                      kubeconfig: Path) -> None:
    api.scripted[PODS] = [(429, json.dumps(status(429, "TooManyRequests", "slow down"))),
                          (503, json.dumps(status(503, "ServiceUnavailable", "etcd")))]
    assert pod_count(api, kubeconfig) == 5
    first_page = [r for r in api.requests if r.path == PODS and "continue" not in r.query]
    assert len(first_page) == 3


def test_a_client_error_is_not_asked_again(api: FakeApiServer, kubeconfig: Path) -> None:
    api.scripted[PODS] = [(400, json.dumps(status(400, "BadRequest", "no")))]
    with pytest.raises(InputError) as caught:
        read_cluster(access(kubeconfig))
    assert "answered 400" in str(caught.value)
    assert api.paths().count(PODS) == 1


def test_an_expired_continue_token_starts_the_list_over(api: FakeApiServer,
                                                        kubeconfig: Path) -> None:
    gone = (410, json.dumps(status(410, "Expired", "The provided continue parameter is too old")))
    api.scripted[PODS] = [None, gone]  # the first page, then 410 on the second
    assert pod_count(api, kubeconfig) == 5  # every pod once: nothing kept from the first try
    pod_requests = [r for r in api.requests if r.path == PODS]
    assert ["continue" in r.query for r in pod_requests][:3] == [False, True, False]


def test_a_hung_server_is_a_read_timeout_not_an_unreachable_server(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    api.delays[PODS] = 5
    with pytest.raises(InputError) as caught:
        read_cluster(access(kubeconfig), timeout=1)
    assert str(caught.value) == (
        f"listing pods from context 'audit': the API server at {api.url} accepted the "
        "connection but did not answer within 1 s")
    assert caught.value.hint is not None and "--timeout" in caught.value.hint
    assert "cannot reach" not in caught.value.diagnostics()


def test_errors_that_outlast_the_deadline_say_so(api: FakeApiServer, kubeconfig: Path) -> None:
    api.failures[PODS] = (500, json.dumps(status(500, "InternalError", "boom")))
    with pytest.raises(InputError) as caught:
        read_cluster(access(kubeconfig), timeout=1)
    assert str(caught.value) == ("listing pods from context 'audit': the API server answered "
                                 "500 Internal Server Error: boom (2 attempts, with backoff)")


def test_a_refused_connection_is_still_a_connect_failure(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    with pytest.raises(InputError) as caught:
        read_cluster(access(config), timeout=1)
    assert str(caught.value).endswith(": Connection refused")
