"""A real HTTP server on 127.0.0.1 that answers Kubernetes list calls from canned objects.

It pages like the API server (``limit``, ``metadata.continue``; it may return fewer items than
asked), checks the bearer token, records every request, and can refuse or break any path.
"""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from reporter.inventory.cluster import RESOURCES, Resource

DATA = Path(__file__).parent / "data"
LIVE_OBJECTS = DATA / "live-objects.yaml"
TOKEN = "test-bearer-token-LEAK-0123456789"
_NEVER_READ = {"Secret": "/api/v1/secrets", "ConfigMap": "/api/v1/configmaps"}


def collection_path(resource: Resource) -> str:
    """The URL path of a cluster-wide list, as the Kubernetes API lays them out."""
    prefix = "/apis/" if resource.group else "/api/"
    return f"{prefix}{resource.api_version}/{resource.plural}"


LIST_PATHS = {resource.kind: collection_path(resource) for resource in RESOURCES}


def canned_objects() -> list[dict[str, Any]]:
    """The fixture objects: every object of live-objects.yaml, then a Secret and a ConfigMap."""
    texts = [LIVE_OBJECTS.read_text(), (DATA / "never-read.yaml").read_text()]
    return [d for text in texts for d in yaml.safe_load_all(text) if d]


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def forbidden(resource: Resource) -> tuple[int, str]:
    """The 403 the API server gives a service account without ``list`` on ``resource``."""
    message = (f'{resource.qualified} is forbidden: User "system:serviceaccount:compliance-'
               f'reporter:compliance-reporter" cannot list resource "{resource.plural}" in API '
               f'group "{resource.group}" at the cluster scope')
    return 403, json.dumps(status(403, "Forbidden", message))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class FakeApiServer:
    objects: Sequence[Mapping[str, Any]]
    token: str = TOKEN
    max_page: int = 2
    """Items per page at most, whatever ``limit`` asks: the API server may return fewer."""
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Path -> (status, body) answered instead of the list."""
    scripted: dict[str, list[tuple[int, str] | None]] = field(default_factory=dict)
    """Path -> answers given in turn before the usual ones (None: the usual answer)."""
    delays: dict[str, float] = field(default_factory=dict)
    """Path -> seconds to wait before answering: a slow or hung API server."""
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def collections(self) -> dict[str, list[Mapping[str, Any]]]:
        paths = {**LIST_PATHS, **_NEVER_READ}
        found: dict[str, list[Mapping[str, Any]]] = {path: [] for path in paths.values()}
        for obj in self.objects:
            found[paths[obj["kind"]]].append(obj)
        return found

    def answer(self, request: Request) -> tuple[int, str]:
        self.requests.append(request)
        scheme, _, credentials = (request.authorization or "").partition(" ")
        if scheme.lower() != "bearer" or credentials != self.token:  # the scheme ignores case
            return 401, json.dumps(status(401, "Unauthorized", "Unauthorized"))
        time.sleep(self.delays.get(request.path, 0))
        queue = self.scripted.get(request.path)
        if queue and (scripted := queue.pop(0)) is not None:
            return scripted
        if request.path in self.failures:
            return self.failures[request.path]
        collection = self.collections().get(request.path)
        if request.method != "GET" or collection is None:
            return 404, json.dumps(status(404, "NotFound", "the server could not find the "
                                                           "requested resource"))
        return 200, json.dumps(self._page(request, collection))

    def _page(self, request: Request, collection: list[Mapping[str, Any]]) -> dict[str, Any]:
        start = _offset(request.query.get("continue", [""])[0])
        limit = int(request.query.get("limit", [str(len(collection))])[0])
        end = start + min(limit, self.max_page)
        metadata: dict[str, Any] = {"resourceVersion": f"{4000 + len(collection)}"}
        if end < len(collection):
            metadata["continue"] = _token(end)
        # As the API serves them: list items carry neither apiVersion nor kind.
        items = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
                 for o in collection[start:end]]
        kind = str(collection[0]["kind"]) + "List" if collection else "List"
        return {"kind": kind, "apiVersion": "v1", "metadata": metadata, "items": items}

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"start": offset}).encode()).decode()


def _offset(token: str) -> int:
    return int(json.loads(base64.urlsafe_b64decode(token))["start"]) if token else 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _respond(self) -> None:
        parts = urlsplit(self.path)
        request = Request(self.command, parts.path, parse_qs(parts.query),
                          self.headers.get("Authorization"))
        code, body = self.server.api.answer(request)
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have given up waiting (a timeout, a killed process).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _respond

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test reads ``requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeApiServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


def serve(api: FakeApiServer, tls: ssl.SSLContext | None = None) -> Iterator[FakeApiServer]:
    """Run ``api`` in a thread until the generator is closed (a fixture's body)."""
    server = _Server(api)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    host, port = server.server_address[:2]
    api.url = f"{'https' if tls else 'http'}://{host}:{port}"
    # A short poll interval: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_kubeconfig(path: Path, server: str, token: str = TOKEN, context: str = "audit",
                     user: Mapping[str, Any] | None = None) -> Path:
    """A kubeconfig with one context, ``context``, using bearer-token auth."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": "test-cluster", "cluster": {"server": server}}],
        "contexts": [{"name": context, "context": {"cluster": "test-cluster",
                                                   "user": "auditor"}}],
        "users": [{"name": "auditor", "user": dict(user) if user else {"token": token}}],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
