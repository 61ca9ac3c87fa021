"""Headless Chromium driven over the Chrome DevTools Protocol: pages, clicks, and every request.

A small client on ``websockets`` (already installed with Airflow's API server): the browser test
needs what ``--dump-dom`` cannot give, the network log and console of a single-page app while a
person clicks in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from tests.ui.browser import headless_chromium


@dataclass
class Request:
    url: str
    kind: str  # Document, XHR, Fetch, Script, ...
    status: int | None = None
    failure: str | None = None


@dataclass
class Page:
    """One tab: run JavaScript in it, and read what it requested and logged since a mark."""

    ws: Any
    session: str
    _pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 0

    async def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> Any:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        await self.ws.send(json.dumps(message))
        reply = await asyncio.wait_for(future, 60)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 90) -> Any:
        """The first truthy value of ``expression``, polled; fails naming the page's text if none."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):
                if value := await self.evaluate(expression):
                    return value
            await asyncio.sleep(0.25)
        text = await self.evaluate("location.href + '\\n' + (document.body ? document.body.innerText : '')")
        raise AssertionError(f"never true: {expression}\npage: {str(text)[:1500]}")

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", {"url": url})

    def mark(self) -> int:
        return len(self._events)

    def requests(self, since: int = 0) -> list[Request]:
        """Requests whose first event came after ``since``, with their final status."""
        found: dict[str, Request] = {}
        for event in self._events[since:]:
            params, method = event.get("params", {}), event.get("method")
            if method == "Network.requestWillBeSent":
                found[params["requestId"]] = Request(params["request"]["url"], params.get("type", ""))
            elif method == "Network.responseReceived" and params["requestId"] in found:
                found[params["requestId"]].status = params["response"]["status"]
            elif method == "Network.loadingFailed" and params["requestId"] in found:
                found[params["requestId"]].failure = params.get("errorText")
        return list(found.values())

    def errors(self, since: int = 0) -> list[str]:
        """Uncaught exceptions and console errors (``Failed to load resource: ... 404`` included)."""
        out = []
        for event in self._events[since:]:
            params, method = event.get("params", {}), event.get("method")
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                out.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
            elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        return out

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self._pending:
                self._pending.pop(message["id"]).set_result(message)
            elif message.get("method"):
                self._events.append(message)


@contextlib.asynccontextmanager
async def browser_page(profile_dir: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium (its own profile) and one page recording network and console."""
    process = subprocess.Popen(
        [
            *headless_chromium(profile_dir),
            "--remote-debugging-port=0",
            "--window-size=1400,1000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        url = None
        for line in process.stderr:
            if found := re.search(r"DevTools listening on (ws://\S+)", line):
                url = found.group(1)
                break
        assert url, "chromium printed no DevTools address"
        # Keep reading its stderr, or a full pipe would stall the browser.
        threading.Thread(target=process.stderr.read, daemon=True).start()
        async with websockets.connect(url, max_size=None) as ws:
            page = Page(ws, session="")
            reader = asyncio.create_task(page._read())
            target = (await page.call("Target.createTarget", {"url": "about:blank"}, session=False))[
                "targetId"
            ]
            attached = await page.call(
                "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False
            )
            page.session = attached["sessionId"]
            for domain in ("Network", "Runtime", "Log", "Page"):
                await page.call(f"{domain}.enable")
            try:
                yield page
            finally:
                reader.cancel()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
