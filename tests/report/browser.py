"""Load a page in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``) and
record what a reader's browser would do: every request, console message and exception."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser")
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--disable-default-apps", "--remote-debugging-pipe")


@dataclass
class PageLoad:
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    """Console messages, exceptions and browser log entries of level warning or error."""
    values: dict[str, Any] = field(default_factory=dict)
    """Results of the expressions evaluated after the load."""


class _Pipe:
    """The DevTools pipe: JSON messages separated by NUL bytes, fd 3 in and fd 4 out."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})  # type: ignore[no-any-return]
            self.events.append(reply)

    def receive(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.receive())


def _record(load: PageLoad, events: list[dict[str, Any]]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            load.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning",
                                                                          "assert"):
            load.console.append(" ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            load.console.append(params["exceptionDetails"]["text"])
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            load.console.append(params["entry"]["text"])


def load_page(chromium: str, path: Path, expressions: dict[str, str],
              timeout: float = 60.0) -> PageLoad:
    """Open ``path`` in a fresh headless Chromium, wait for the load event, then evaluate
    ``expressions`` (name -> JavaScript) in the page."""
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()

    def child_fds() -> None:  # Chromium reads commands on fd 3 and writes replies on fd 4
        os.dup2(commands_read, 3)
        os.dup2(replies_write, 4)

    # Chromium's helper processes may outlive the browser for a moment: the profile folder's
    # removal must not fail the test, and the whole process group is killed at the end.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4, commands_read, replies_write),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        os.close(commands_read)
        os.close(replies_write)
        pipe = _Pipe(commands_write, replies_read, time.monotonic() + timeout)
        try:
            return _drive(pipe, path, expressions)
        finally:
            with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                pipe.send("Browser.close")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
            os.close(commands_write)
            os.close(replies_read)


def _drive(pipe: _Pipe, path: Path, expressions: dict[str, str]) -> PageLoad:
    target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        pipe.send(f"{domain}.enable", session=session)
    pipe.events.clear()  # about:blank's own events
    pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    pipe.wait_for("Page.loadEventFired")
    load = PageLoad()
    for name, expression in expressions.items():
        result = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           session=session)
        load.values[name] = result["result"].get("value")
    _record(load, pipe.events)
    return load
