"""This file drives Debian's headless Chromium over the DevTools protocol
for the client tests and tests/notebooks/test_browser.py (on
websocket-client): start the browser with a throw-away profile, open a
page with retries, evaluate JavaScript, wait for a DOM state, click and
type with real input events, and take screenshots. It also starts and
stops Jupyter servers (JupyterLab 4, Notebook 7) on 127.0.0.1 with a
token. Every wait is bounded; everything started is stopped by process
group."""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, method="GET", timeout=10):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else None


def wait_for(what, fn, timeout, interval=0.25):
    """Calls fn until it returns something true; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} "
                f"(last: {last!r})")


def stop_group(proc, grace=10):
    """SIGTERM then SIGKILL the process group of a process we started."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass


def require_chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("missing: chromium (apt-get install chromium)")


class Browser:
    """One headless Chromium and one page, driven over DevTools."""

    def __init__(self, tmp_path, width=1280, height=1000):
        import websocket
        require_chromium()
        self.tmp = tmp_path
        profile = tmp_path / "chromium-profile"
        shutil.rmtree(profile, ignore_errors=True)
        self.log = open(tmp_path / "chromium.log", "w")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--mute-audio",
             f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-allow-origins=*", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log,
            start_new_session=True)
        self.ws = None
        try:
            def devtools_port():
                assert self.proc.poll() is None, "chromium exited:\n" + \
                    (tmp_path / "chromium.log").read_text()[-2000:]
                f = profile / "DevToolsActivePort"
                return f.exists() and f.read_text().split("\n")[0].strip()
            port = wait_for("chromium's DevTools port", devtools_port, 60)
            pages = wait_for("a page target", lambda: [
                t for t in http_get(f"http://127.0.0.1:{port}/json/list")
                if t.get("type") == "page"], 30)
            self.ws = websocket.create_connection(
                pages[0]["webSocketDebuggerUrl"], timeout=60,
                suppress_origin=True)
            self.next_id = 0
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.close()
            raise

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def js(self, expression):
        """The value of a JavaScript expression (promises awaited);
        ValueError when it throws."""
        result = self.call("Runtime.evaluate", expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            d = result["exceptionDetails"]
            raise ValueError(d.get("exception", {}).get("description")
                             or d.get("text"))
        return result["result"].get("value")

    def wait(self, what, expression, timeout=60, interval=0.25):
        """Waits until the expression is truthy; returns its value."""
        return wait_for(what, lambda: self.js(expression), timeout, interval)

    def open(self, url, ready, what, timeout=90, tries=3):
        """Navigates to url until the `ready` expression holds, reloading
        up to `tries` times."""
        for attempt in range(tries):
            self.call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    value = self.js(ready)
                    if value:
                        return value
                except ValueError:
                    pass
                time.sleep(0.5)
        pytest.fail(f"{what}: {url} not ready after {tries} loads "
                    f"of {timeout} s")

    def click_at(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y,
                      button="left" if kind != "mouseMoved" else "none",
                      clickCount=1)

    def click(self, selector, what):
        """A real mouse click at the centre of the first visible element
        matching selector (waits for it)."""
        box = self.wait(what, """(() => {
          for (const el of document.querySelectorAll(%s)) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.height > 0)
              return {x: r.x + r.width / 2, y: r.y + r.height / 2};
          }
          return null;
        })()""" % json.dumps(selector), 30)
        self.click_at(box["x"], box["y"])

    def key(self, key, code=None, keycode=0, shift=False):
        """A real key press (keyDown and keyUp)."""
        mods = 8 if shift else 0
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key,
                      code=code or key, windowsVirtualKeyCode=keycode,
                      nativeVirtualKeyCode=keycode, modifiers=mods)

    def screenshot(self, path, full=False):
        params = {"format": "png"}
        if full:
            m = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": m["width"],
                "height": min(m["height"], 12000), "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except OSError:
                pass
        stop_group(self.proc)
        self.log.close()


class Server:
    """A Jupyter server of the virtualenv (`jupyter lab` or `jupyter
    notebook`) on 127.0.0.1, a free port and a token, serving root_dir,
    with its own config, runtime, data and settings folders."""

    def __init__(self, jupyter, app, root_dir, tmp_path, settings=None):
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.base = f"http://127.0.0.1:{self.port}"
        state = tmp_path / "jupyter-state"
        settings_dir = state / "settings"
        for name, value in (settings or {}).items():
            path = settings_dir / (name + ".jupyterlab-settings")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(os.environ,
                   JUPYTER_CONFIG_DIR=str(state / "config"),
                   JUPYTER_RUNTIME_DIR=str(state / "runtime"),
                   JUPYTER_DATA_DIR=str(state / "data"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
                   JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"))
        self.log_path = tmp_path / f"{app}-server.log"
        self.log = open(self.log_path, "w")
        app_class = "LabApp" if app == "lab" else "JupyterNotebookApp"
        self.proc = subprocess.Popen(
            [jupyter, app, "--no-browser", "--allow-root",
             "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
             f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={root_dir}",
             f"--{app_class}.expose_app_in_browser=True",
             "--LabApp.news_url=", "--ServerApp.open_browser=False"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        try:
            def up():
                assert self.proc.poll() is None, \
                    "the server exited:\n" + self.log_path.read_text()
                return http_get(f"{self.base}/api/status?token={self.token}")
            wait_for(f"the {app} server", up, 120)
        except BaseException:
            self.close()
            raise

    def url(self, path):
        return f"{self.base}/{path}?token={self.token}"

    def close(self):
        if self.proc.poll() is None:
            try:
                for k in http_get(self.url("api/kernels")) or []:
                    http_get(self.url(f"api/kernels/{k['id']}"),
                             method="DELETE", timeout=20)
            except (OSError, urllib.error.URLError, ValueError):
                pass
        stop_group(self.proc)
        self.log.close()
