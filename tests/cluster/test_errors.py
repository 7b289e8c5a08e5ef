"""What goes wrong reaching a cluster becomes an InputError that says what to do, and never shows
a token or the kubeconfig's contents."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.inventory.cluster import RESOURCES, read_cluster
from reporter.inventory.kubeconfig import ClusterAccess

from .apiserver import LIST_PATHS, TOKEN, FakeApiServer, forbidden, write_kubeconfig

DEPLOYMENTS = next(r for r in RESOURCES if r.kind == "Deployment")
NETWORK_POLICIES = next(r for r in RESOURCES if r.kind == "NetworkPolicy")


def failure(access: ClusterAccess) -> InputError:
    with pytest.raises(InputError) as caught:
        read_cluster(access)
    return caught.value


def test_a_refused_resource_is_named_with_the_verb_and_the_rbac_to_grant(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    api.failures[LIST_PATHS["Deployment"]] = forbidden(DEPLOYMENTS)
    error = failure(ClusterAccess(kubeconfig=str(kubeconfig), environ={}))
    assert [p.obj for p in error.problems] == ["deployments.apps"]
    message = error.problems[0].message
    assert message.startswith("forbidden (403): cannot list deployments.apps in all namespaces")
    assert 'cannot list resource "deployments" in API group "apps"' in message  # the server's
    assert error.hint is not None
    assert "get, list and watch" in error.hint
    assert "kubectl auth can-i list deployments.apps --all-namespaces" in error.hint
    assert "deploy/rbac.yaml" in error.hint
    # The other resources were still tried, so that one run names every missing permission.
    assert LIST_PATHS["NetworkPolicy"] in api.paths()


def test_every_refused_resource_is_reported_at_once(api: FakeApiServer, kubeconfig: Path) -> None:
    api.failures[LIST_PATHS["Deployment"]] = forbidden(DEPLOYMENTS)
    api.failures[LIST_PATHS["NetworkPolicy"]] = forbidden(NETWORK_POLICIES)
    error = failure(ClusterAccess(kubeconfig=str(kubeconfig), environ={}))
    assert [p.obj for p in error.problems] == [
        "deployments.apps", "networkpolicies.networking.k8s.io"]


def test_connection_refused_says_which_server_and_what_to_check(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    error = failure(ClusterAccess(kubeconfig=str(config), environ={}))
    assert str(error) == (f"cannot reach the API server of context 'audit' at "
                          f"http://127.0.0.1:{port}: Connection refused")
    assert error.hint is not None and "kubectl --context CONTEXT cluster-info" in error.hint


def test_rejected_credentials_say_401_and_never_show_the_token(
    api: FakeApiServer, tmp_path: Path
) -> None:
    wrong = "wrong-token-LEAK-987"
    config = write_kubeconfig(tmp_path / "kubeconfig", api.url, token=wrong)
    error = failure(ClusterAccess(kubeconfig=str(config), environ={}))
    assert "did not accept the credentials (401 Unauthorized)" in str(error)
    assert wrong not in error.diagnostics()
    assert api.paths() == [LIST_PATHS["Namespace"]]  # stopped at the first refusal


def test_a_resource_the_server_does_not_serve_names_the_version_needed(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    api.failures[LIST_PATHS["CronJob"]] = (404, json.dumps({"kind": "Status", "code": 404}))
    error = failure(ClusterAccess(kubeconfig=str(kubeconfig), environ={}))
    assert "does not serve batch/v1 cronjobs (404)" in str(error)
    assert error.hint is not None and "1.21" in error.hint


def test_a_server_that_is_not_kubernetes_is_named(api: FakeApiServer, kubeconfig: Path) -> None:
    api.failures[LIST_PATHS["Namespace"]] = (200, "<html>Sign in to the corporate proxy</html>")
    error = failure(ClusterAccess(kubeconfig=str(kubeconfig), environ={}))
    assert f"the server at {api.url} did not answer the list of namespaces like a Kubernetes " \
           "API server" in str(error)


def test_a_server_error_shows_the_status_and_the_servers_message(
    api: FakeApiServer, kubeconfig: Path
) -> None:
    api.failures[LIST_PATHS["Pod"]] = (503, json.dumps(
        {"kind": "Status", "code": 503, "message": "etcd leader changed"}))
    # 503 is asked again after 0.5 s and 1 s; the next pause (2 s) would pass the deadline.
    with pytest.raises(InputError) as caught:
        read_cluster(ClusterAccess(kubeconfig=str(kubeconfig), environ={}), timeout=2.2)
    assert str(caught.value) == ("listing pods from context 'audit': the API server answered "
                                 "503 Service Unavailable: etcd leader changed (3 attempts, "
                                 "with backoff)")
    assert api.paths().count(LIST_PATHS["Pod"]) == 3


# -- kubeconfig and in-cluster configuration -----------------------------------------------------

def test_a_missing_kubeconfig_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    error = failure(ClusterAccess(kubeconfig=str(missing), environ={}))
    assert str(error) == f"{missing}: no such kubeconfig file"


def test_invalid_kubeconfig_yaml_is_located_without_quoting_the_line(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nusers:\n- name: a\n  user: {token: LEAK-token-1234\n")
    error = failure(ClusterAccess(kubeconfig=str(config), environ={}))
    assert error.problems[0].file == str(config)
    assert error.problems[0].message.startswith("invalid YAML")
    assert "LEAK" not in error.diagnostics()


def test_an_unknown_context_lists_the_known_ones(api: FakeApiServer, kubeconfig: Path) -> None:
    error = failure(ClusterAccess(kubeconfig=str(kubeconfig), context="prod", environ={}))
    assert str(error) == f"{kubeconfig}: there is no context 'prod'"
    assert error.hint == "pass --context with one of: audit"
    assert api.requests == []


def test_broken_credentials_are_reported_without_the_clients_message(
    api: FakeApiServer, tmp_path: Path
) -> None:
    # The kubernetes client's own message here quotes the whole user entry, secret included:
    # "Expected key id-token in <file>/{'name': 'auditor', 'user': {... 'LEAK-oidc-...'}}/...".
    user = {"auth-provider": {"name": "oidc", "config": {"client-secret": "LEAK-oidc-secret"}}}
    config = write_kubeconfig(tmp_path / "kubeconfig", api.url, user=user)
    error = failure(ClusterAccess(kubeconfig=str(config), environ={}))
    assert str(error) == (f"{config}: context 'audit' cannot be used: a required key is "
                          "missing: id-token")
    assert "LEAK" not in error.diagnostics()


def test_kubeconfig_comes_from_the_environment_then_home(api: FakeApiServer,
                                                         tmp_path: Path) -> None:
    listed = write_kubeconfig(tmp_path / "listed", api.url, context="from-env")
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    write_kubeconfig(home / ".kube" / "config", api.url, context="from-home")
    environ = {"HOME": str(home), "KUBECONFIG": f"{tmp_path / 'absent'}:{listed}"}
    assert read_cluster(ClusterAccess(environ=environ)).context == "from-env"
    assert read_cluster(ClusterAccess(environ={"HOME": str(home)})).context == "from-home"


def test_no_kubeconfig_outside_a_pod_says_how_to_give_one(tmp_path: Path) -> None:
    error = failure(ClusterAccess(environ={"HOME": str(tmp_path)}))
    assert str(error).startswith("no kubeconfig found")
    assert error.hint is not None and "--kubeconfig FILE" in error.hint


def test_in_a_pod_without_a_mounted_token_the_service_account_is_named(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.96.0.1",
               "KUBERNETES_SERVICE_PORT": "443"}
    error = failure(ClusterAccess(environ=environ, service_account_dir=str(tmp_path)))
    assert str(error) == "in-cluster configuration: Service token file does not exist."
    assert error.hint is not None and "automountServiceAccountToken: true" in error.hint


def test_context_needs_a_kubeconfig_even_in_a_pod(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    error = failure(ClusterAccess(context="prod", environ=environ))
    assert str(error) == "--context prod: there is no kubeconfig to find it in"


def test_the_token_is_never_part_of_any_message(api: FakeApiServer, kubeconfig: Path) -> None:
    api.failures[LIST_PATHS["Deployment"]] = forbidden(DEPLOYMENTS)
    assert TOKEN not in failure(ClusterAccess(kubeconfig=str(kubeconfig),
                                              environ={})).diagnostics()
