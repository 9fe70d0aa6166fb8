"""The mqtt and kafka sources with the real binary and real brokers:
Debian's mosquitto (started here on a free loopback port) and librdkafka's
mock cluster (tests/tools/kafka_mock). Messages become events of the source's
stream; a message published while eventlake is down arrives after it starts
again (MQTT persistent session, QoS 1; Kafka committed offsets), and nothing
is stored twice."""

import os
import shutil
import subprocess
import time

import pytest

from conftest import pick_free_port
from ingest_support import read_all
from kafka_support import KafkaMock

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
DEADLINE_S = 40


def wait_for(predicate, what):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def events(srv, stream="telemetry"):
    return [record["event"] for record in read_all(srv, stream)]


def with_subject(srv, prefix):
    return [e for e in events(srv) if e.get("subject", "").startswith(prefix)]


# --- MQTT -----------------------------------------------------------------

@pytest.fixture
def mosquitto(tmp_path):
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"{MOSQUITTO} is missing: scripts/bootstrap installs the mosquitto package")
    port = pick_free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    log = open(tmp_path / "mosquitto.log", "wb")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: publish(port, "probe", "x", check=False) == 0, "mosquitto to listen")
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def publish(port, topic, payload, check=True):
    done = subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                           "-t", topic, "-m", payload], capture_output=True, timeout=10)
    if check:
        assert done.returncode == 0, done.stderr
    return done.returncode


MQTT_CONFIG = """
streams:
  - name: telemetry
    partitions: 2
sources:
  - name: sensors
    stream: telemetry
    type: mqtt
    event_type: sensor.reading
    mqtt:
      broker: 127.0.0.1:{port}
      topics: ["sensors/#"]
      client_id: eventlake-e2e-sensors
"""


def test_mqtt_messages_become_events_and_survive_a_restart(server, mosquitto):
    srv = server(config=MQTT_CONFIG.format(port=mosquitto))
    # The subscription exists once a first message makes it through.
    wait_for(lambda: publish(mosquitto, "sensors/warmup", '{"n":-1}') == 0 and
             any(e.get("subject") == "sensors/warmup" for e in events(srv)),
             "the source to subscribe")
    for i in range(5):
        publish(mosquitto, f"sensors/room{i % 2}", f'{{"n":{i},"celsius":{20 + i}}}')
    wait_for(lambda: len(with_subject(srv, "sensors/room")) >= 5, "five readings")
    got = with_subject(srv, "sensors/room")
    assert sorted(e["data"]["n"] for e in got) == [0, 1, 2, 3, 4]
    for event in got:
        assert event["type"] == "sensor.reading"
        assert event["source"] == "/eventlake/sources/sensors"
        assert event["subject"] == f"sensors/room{event['data']['n'] % 2}"
    # Published while eventlake is down: the broker keeps them for the
    # persistent session (QoS 1) and delivers them when it is back.
    srv.stop()
    for i in range(5, 8):
        publish(mosquitto, "sensors/room9", f'{{"n":{i}}}')
    srv.start()
    wait_for(lambda: len(with_subject(srv, "sensors/room9")) >= 3,
             "the messages published while eventlake was down")
    later = with_subject(srv, "sensors/room9")
    assert sorted(e["data"]["n"] for e in later) == [5, 6, 7]


def test_an_invalid_mqtt_message_is_dead_lettered_and_does_not_block(server, mosquitto):
    config = MQTT_CONFIG.format(port=mosquitto) + """    on_invalid: dead_letter
    schemas:
      - type: sensor.reading
        schema: '{"type":"object","required":["n"]}'
"""
    srv = server(config=config)
    wait_for(lambda: publish(mosquitto, "sensors/warmup", '{"n":-1}') == 0 and events(srv),
             "the source to subscribe")
    publish(mosquitto, "sensors/bad", '{"no_n":true}')
    publish(mosquitto, "sensors/good", '{"n":1}')
    wait_for(lambda: any(e.get("subject") == "sensors/good" for e in events(srv)),
             "the valid message after the invalid one")
    letters = wait_for(lambda: events(srv, "telemetry.dlq"), "the dead letter")
    assert letters[0]["type"] == "eventlake.deadletter"
    assert letters[0]["data"]["problem"]["type"] == "schema_violation"
    assert not any(e.get("subject") == "sensors/bad" for e in events(srv))


# --- Kafka ----------------------------------------------------------------

@pytest.fixture
def kafka():
    mock = KafkaMock("orders:2")
    yield mock
    mock.close()


KAFKA_CONFIG = """
streams:
  - name: orders
    partitions: 2
sources:
  - name: shop
    stream: orders
    type: kafka
    event_type: order.created
    kafka:
      brokers: {bootstrap}
      topics: [orders]
      group: eventlake-e2e
      session_timeout: 6s   # the mock cluster rebalances a restarted member only after this
"""


def test_kafka_records_become_events_once_across_a_restart(server, kafka):
    srv = server(config=KAFKA_CONFIG.format(bootstrap=kafka.bootstrap))
    for i in range(6):
        kafka.produce("orders", f"customer-{i % 3}", f'{{"order":{i}}}')
    wait_for(lambda: len(events(srv, "orders")) >= 6, "six orders")
    got = events(srv, "orders")
    assert sorted(e["data"]["order"] for e in got) == list(range(6))
    for event in got:
        assert event["type"] == "order.created"
        assert event["subject"] == "orders"
        assert event["partitionkey"] == f"customer-{event['data']['order'] % 3}"
    # CloudEvents Kafka binding: ce_ headers are the event's attributes.
    kafka.produce("orders", "", '{"order":100}', ce_specversion="1.0", ce_id="order-100",
                  ce_source="/shop", ce_type="order.paid")
    paid = wait_for(lambda: [e for e in events(srv, "orders") if e["id"] == "order-100"],
                    "the binary-mode record")
    assert paid[0]["type"] == "order.paid" and paid[0]["source"] == "/shop"
    # Offsets are committed after the append: a restart resumes after them.
    srv.stop()
    kafka.produce("orders", "customer-9", '{"order":7}')
    srv.start()
    wait_for(lambda: any(e["data"].get("order") == 7 for e in events(srv, "orders")),
             "the record produced while eventlake was down")
    orders = [e["data"]["order"] for e in events(srv, "orders")]
    assert sorted(orders) == [0, 1, 2, 3, 4, 5, 7, 100], "each record exactly once"
