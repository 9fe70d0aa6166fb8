"""tests/tools/kafka_mock driven from Python: librdkafka's mock cluster (one
broker on a loopback port) that produces what it is told and reads topics
back, for the kafka source's and the kafka sink's end-to-end tests."""

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("EVENTLAKE_BUILD", REPO / "build"))
KAFKA_MOCK = BUILD / "tests" / "tools" / "kafka_mock"


class KafkaMock:
    """tests/tools/kafka_mock: a mock cluster that produces what it is told."""

    def __init__(self, *topics):
        if not KAFKA_MOCK.is_file():
            pytest.fail(f"{KAFKA_MOCK} is missing: build the tree or set EVENTLAKE_BUILD")
        self.proc = subprocess.Popen([str(KAFKA_MOCK), *topics], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.bootstrap = self.proc.stdout.readline().strip()
        assert self.bootstrap, "kafka_mock printed no bootstrap servers"

    def produce(self, topic, key, value, **headers):
        fields = [topic, key, value] + [f"{k}={v}" for k, v in headers.items()]
        self.proc.stdin.write("\t".join(fields) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer.startswith("ok "), answer

    def consume(self, topic):
        """Every record of `topic` now: dicts of partition, offset, key, value, headers."""
        self.proc.stdin.write(f"!consume {topic}\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline().strip()
            assert line and not line.startswith("error"), line
            if line.startswith("end "):
                return out
            out.append(json.loads(line))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
