"""Fixtures shared by every end-to-end test: the real `eventlake` binary,
started on loopback ports in a temporary data directory.

- eventlake_bin: path of the binary ($EVENTLAKE_BIN, default build/eventlake
  under the repository root); a missing binary is an error, not a skip.
- free_port: the function free_port() -> a TCP port that was free a moment ago.
- server: a factory. `server()` starts `eventlake serve` (optionally with a
  config file's text, extra arguments or environment) and waits for /healthz;
  the returned EventlakeServer has .url, .data_dir, .proc, .stop(),
  .restart() and .kill(). Every server still running at teardown is stopped
  with SIGTERM and must exit with code 0.
"""

import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import requests

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 15


_handed_out = set()


def pick_free_port():
    """A port the kernel just handed out and released (loopback), never one
    this run handed out before: the kernel may give a released port again at
    once, and a server's HTTP and Postgres ports were once the same one."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@pytest.fixture(scope="session")
def free_port():
    """The function free_port() -> a loopback port that was free a moment ago."""
    return pick_free_port


@pytest.fixture(scope="session")
def eventlake_bin():
    path = pathlib.Path(os.environ.get("EVENTLAKE_BIN", REPO_ROOT / "build" / "eventlake"))
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"eventlake binary not found at {path}: build it or set EVENTLAKE_BIN")
    return str(path)


class EventlakeServer:
    """One `eventlake serve` process and how to reach it."""

    def __init__(self, binary, data_dir, config_path=None, extra_args=(), env=None):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.config_path = config_path
        self.extra_args = list(extra_args)
        self.env = env
        self.port = pick_free_port()
        self.pg_port = pick_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = pathlib.Path(self.data_dir).parent / f"server-{self.port}.log"

    def args(self):
        args = [self.binary, "serve", "--data-dir", self.data_dir,
                "--listen", f"127.0.0.1:{self.port}", "--pg-listen", f"127.0.0.1:{self.pg_port}"]
        if self.config_path:
            args += ["--config", str(self.config_path)]
        return args + self.extra_args

    def start(self):
        env = dict(os.environ)
        env.pop("EVENTLAKE_CONFIG", None)
        env.update(self.env or {})
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"eventlake exited with {self.proc.returncode} at start:\n"
                                     + self.log())
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"eventlake did not answer /healthz within {START_TIMEOUT_S}s:\n"
                             + self.log())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        """SIGTERM, then wait; the exit code must be 0 (a clean, graceful stop)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("eventlake did not stop on SIGTERM:\n" + self.log())
        finally:
            self._log.close()
        assert code == 0, f"eventlake exited with {code} on SIGTERM:\n" + self.log()

    def kill(self):
        """SIGKILL: no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._log.close()

    def restart(self):
        self.stop()
        return self.start()

    def get(self, path, **kwargs):
        return requests.get(self.url + path, timeout=kwargs.pop("timeout", 35), **kwargs)

    def post(self, path, **kwargs):
        return requests.post(self.url + path, timeout=kwargs.pop("timeout", 35), **kwargs)


@pytest.fixture
def server(eventlake_bin, tmp_path):
    """Factory: server(config=None, args=(), env=None, start=True) -> EventlakeServer."""
    started = []

    def make(config=None, args=(), env=None, start=True):
        n = len(started)
        data_dir = tmp_path / f"data{n}"
        config_path = None
        if config is not None:
            config_path = tmp_path / f"eventlake{n}.yaml"
            config_path.write_text(config)
        instance = EventlakeServer(eventlake_bin, data_dir, config_path, args, env)
        started.append(instance)
        return instance.start() if start else instance

    yield make
    errors = []
    for instance in started:
        try:
            instance.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))
