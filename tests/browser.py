"""Load an HTML file in headless Chromium and report what a reader's browser did with it.

Drives Debian's ``chromium`` through the Chrome DevTools Protocol (``--remote-debugging-
port`` and a websocket, with ``websocket-client``): every network request the page made,
console errors and uncaught exceptions, each ``<img>``'s natural size, the rendered size of
each MathML ``<math>`` element, and an optional full-page screenshot.

    report = inspect_page(Path("report.html"), screenshot=Path("report.png"))
    assert report.broken_images == [] and report.external_requests == []
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--remote-allow-origins=*", "--remote-debugging-port=0"]

PAGE_SCRIPT = """(() => ({
  images: [...document.images].map(i => ({src: i.src.slice(0, 60), complete: i.complete,
                                         naturalWidth: i.naturalWidth})),
  math: [...document.querySelectorAll('math')].map(m => {
      const r = m.getBoundingClientRect(); return {width: r.width, height: r.height}; }),
  title: document.title,
  text: document.body.innerText,
}))()"""


def chromium_path() -> str | None:
    """Return the Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


@dataclass
class PageReport:
    """What happened when the page loaded."""

    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    math: list[dict[str, float]] = field(default_factory=list)
    title: str = ""
    text: str = ""

    @property
    def external_requests(self) -> list[str]:
        """Requests for anything but the page itself and embedded ``data:`` URLs."""
        return [u for u in self.requests if not (u == self.url or u.startswith("data:"))]

    @property
    def broken_images(self) -> list[dict[str, Any]]:
        """Images that did not load (not complete, or zero natural width)."""
        return [i for i in self.images if not i["complete"] or i["naturalWidth"] <= 0]


class DevTools:
    """A minimal synchronous Chrome DevTools Protocol session on one page target."""

    def __init__(self, ws_url: str, timeout: float) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command; return its result (events that arrive meanwhile are kept)."""
        ident = next(self.ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, deadline: float) -> None:
        """Read events until one named ``method`` arrives. Raises TimeoutError."""
        if any(e.get("method") == method for e in self.events):
            return
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self.events.append(message)
            if message.get("method") == method:
                return
        raise TimeoutError(f"no {method} event")

    def close(self) -> None:
        self.ws.close()


def start_chromium(profile: Path, timeout: float) -> tuple[subprocess.Popen, int]:
    """Start headless Chromium with a fresh profile; return the process and its port."""
    chromium = chromium_path()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed")
    process = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.is_file() and port_file.read_text().strip():
            return process, int(port_file.read_text().split()[0])
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise TimeoutError("chromium did not open its debugging port")


def page_target(port: int) -> str:
    """Return the websocket URL of Chromium's first page target."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
        targets = json.load(answer)
    return next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")


def inspect_page(html: Path, *, screenshot: Path | None = None, width: int = 1100,
                 timeout: float = 30) -> PageReport:
    """Load ``html`` in headless Chromium; return a :class:`PageReport`.

    With ``screenshot``, a full-page PNG is written there. Raises FileNotFoundError when
    Chromium is not installed, TimeoutError when the page does not load in ``timeout``.
    """
    url = Path(html).absolute().as_uri()
    # Chromium's helper processes may still write to the profile as it shuts down.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        process, port = start_chromium(Path(profile), timeout)
        try:
            tools = DevTools(page_target(port), timeout)
            try:
                return load(tools, url, screenshot, width, timeout)
            finally:
                tools.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def load(tools: DevTools, url: str, screenshot: Path | None, width: int,
         timeout: float) -> PageReport:
    """Navigate ``tools``' page to ``url`` and collect the report."""
    for domain in ("Page", "Network", "Runtime", "Log"):
        tools.call(f"{domain}.enable")
    tools.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
               deviceScaleFactor=1, mobile=False)
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired", time.monotonic() + timeout)
    result = tools.call("Runtime.evaluate", expression=PAGE_SCRIPT, returnByValue=True)
    values = result["result"]["value"]
    if screenshot is not None:
        size = tools.call("Page.getLayoutMetrics")["cssContentSize"]
        tools.call("Emulation.setDeviceMetricsOverride", width=width,
                   height=int(size["height"]) + 1, deviceScaleFactor=1, mobile=False)
        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    report = PageReport(url, images=values["images"], math=values["math"],
                        title=values["title"], text=values["text"])
    for event in tools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            request_url = params["request"]["url"]
            report.requests.append(request_url[:40] if request_url.startswith("data:")
                                   else request_url)
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            report.console_errors.append(" ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            description = details.get("exception", {}).get("description", "")
            report.console_errors.append(f"{details.get('text', 'exception')} {description}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            report.console_errors.append(params["entry"].get("text", ""))
    return report
