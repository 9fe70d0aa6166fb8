"""End-to-end tests of the sources besides plain HTTP posts (issue 3):
`file_drop` (JSON, NDJSON and CSV files dropped into a landing directory
become an object-created event plus one event per record, then move to
processed/ or, broken, to failed/ with a reason file) and
`s3_notifications` (MinIO- and AWS-shaped bucket notifications posted to
/v1/sources/{source}/s3 become com.amazonaws.s3.* events, redeliveries
deduplicated)."""

import copy
import datetime
import hashlib
import json
import os

import pytest

from ingest_support import accepted, assert_problem, record_count, stored_events, wait_for

# ---- file_drop ----


def file_drop_config(landing, schema=None):
    schemas = ""
    if schema is not None:
        schemas = f"""    schemas:
      - type: com.example.row
        schema: '{json.dumps(schema)}'
"""
    return f"""
streams:
  - name: landing
    partitions: 1
sources:
  - name: drops
    type: file_drop
    stream: landing
    event_type: com.example.row
{schemas}    file_drop:
      directory: {landing}
      poll_interval: 100ms
      settle_time: 0ms
"""


@pytest.fixture
def landing(tmp_path):
    path = tmp_path / "landing"
    path.mkdir()
    return path


def drop(landing, name, content):
    """Writes `content` under a hidden .part name, then renames it into place
    (the way producers are told to drop files)."""
    data = content.encode() if isinstance(content, str) else content
    part = landing / f".{name}.part"
    part.write_bytes(data)
    os.rename(part, landing / name)
    return data


def wait_moved(landing, subdirectory, *names):
    folder = landing / subdirectory
    wait_for(lambda: all((folder / n).exists() for n in names), timeout=20,
             what=f"{names} in {subdirectory}/")


def micros_rfc3339(ns):
    micros = ns // 1000
    moment = datetime.datetime.fromtimestamp(micros // 1_000_000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros % 1_000_000:06d}Z"


def expected_file_events(name, data, mtime_ns, records):
    """The events a dropped file becomes, in order."""
    digest = hashlib.sha256(data).hexdigest()
    common = {"specversion": "1.0", "source": "/eventlake/sources/drops", "subject": name,
              "time": micros_rfc3339(mtime_ns), "datacontenttype": "application/json"}
    events = [{**common, "id": f"{digest[:16]}-object", "type": "eventlake.object.created",
               "data": {"name": name, "size": len(data), "modified": micros_rfc3339(mtime_ns),
                        "records": len(records), "sha256": digest}}]
    for i, record in enumerate(records):
        events.append({**common, "id": f"{digest[:16]}-{i}", "type": "com.example.row",
                       "data": record})
    return events


def events_of_file(srv, name):
    return [e for e in stored_events(srv, "landing") if e.get("subject") == name]


FILES = {
    "orders.json": ('[{"order": 1, "total": 12.50, "tags": ["a"]},\n {"order": 2, "total": 7}]',
                    [{"order": 1, "total": 12.50, "tags": ["a"]}, {"order": 2, "total": 7}]),
    "clicks.ndjson": ('{"page": "/a", "ms": 12}\n\n{"page": "/b", "ms": 7}\r\n{"page": "/é"}\n',
                      [{"page": "/a", "ms": 12}, {"page": "/b", "ms": 7}, {"page": "/é"}]),
    "rows.csv": ('id,name,note\r\n007,"Smith, Jane","said ""hi"""\r\n8,Bob,\r\n',
                 [{"id": "007", "name": "Smith, Jane", "note": 'said "hi"'},
                  {"id": "8", "name": "Bob", "note": ""}]),
}


def test_json_ndjson_and_csv_files_become_events_and_move_to_processed(server, landing):
    srv = server(config=file_drop_config(landing))
    dropped = {name: drop(landing, name, text) for name, (text, _) in FILES.items()}
    mtimes = {name: (landing / name).stat().st_mtime_ns for name in FILES}
    wait_moved(landing, "processed", *FILES)
    for name, (_, records) in FILES.items():
        assert not (landing / name).exists()
        assert (landing / "processed" / name).read_bytes() == dropped[name]
        assert events_of_file(srv, name) == expected_file_events(name, dropped[name],
                                                                 mtimes[name], records), name
    assert record_count(srv, "landing") == sum(1 + len(r) for _, r in FILES.values())
    assert list((landing / "failed").iterdir()) == []


def test_broken_files_move_to_failed_with_a_reason_and_append_nothing(server, landing):
    srv = server(config=file_drop_config(landing))
    drop(landing, "broken.ndjson", '{"ok": 1}\n{"ok": \n{"ok": 3}\n')
    drop(landing, "ragged.csv", "a,b\n1,2\n3\n")
    drop(landing, "scalar.json", "[1, 2]")
    drop(landing, "good.json", '{"fine": true}')
    wait_moved(landing, "failed", "broken.ndjson", "ragged.csv", "scalar.json")
    wait_moved(landing, "processed", "good.json")
    for name in ("broken.ndjson", "ragged.csv", "scalar.json"):
        reason = (landing / "failed" / f"{name}.reason").read_text()
        assert f"file: {name}" in reason
        assert "nothing was delivered" in reason
        assert events_of_file(srv, name) == []
    assert "line 2" in (landing / "failed" / "broken.ndjson.reason").read_text()
    assert "line 3" in (landing / "failed" / "ragged.csv.reason").read_text()
    assert [e["type"] for e in stored_events(srv, "landing")] == [
        "eventlake.object.created", "com.example.row"]


def test_records_rejected_by_the_schema_fail_the_file_but_the_rest_is_kept(server, landing):
    schema = {"type": "object", "properties": {"qty": {"type": "integer"}}, "required": ["qty"]}
    srv = server(config=file_drop_config(landing, schema))
    drop(landing, "mixed.ndjson", '{"qty": 1}\n{"qty": "two"}\n{"qty": 3}\n')
    wait_moved(landing, "failed", "mixed.ndjson", "mixed.ndjson.reason")
    reason = (landing / "failed" / "mixed.ndjson.reason").read_text()
    assert "record 1 (line 2)" in reason and "/qty" in reason
    kept = events_of_file(srv, "mixed.ndjson")
    assert [e["type"] for e in kept] == ["eventlake.object.created", "com.example.row",
                                         "com.example.row"]
    assert [e["data"] for e in kept[1:]] == [{"qty": 1}, {"qty": 3}]


def test_same_bytes_dropped_again_append_nothing_and_other_files_are_left_alone(server, landing):
    srv = server(config=file_drop_config(landing))
    text = FILES["orders.json"][0]
    drop(landing, "first.json", text)
    wait_moved(landing, "processed", "first.json")
    count = record_count(srv, "landing")
    assert count == 3
    drop(landing, "notes.txt", "not ours")
    (landing / "later.json.tmp").write_text('{"still": "writing"}')
    drop(landing, "copy.json", text)
    wait_moved(landing, "processed", "copy.json")
    assert record_count(srv, "landing") == count
    # Dropped again under a name already in processed/: kept with a suffix.
    drop(landing, "first.json", text)
    wait_moved(landing, "processed", "first.json.1")
    assert record_count(srv, "landing") == count
    assert (landing / "notes.txt").exists() and (landing / "later.json.tmp").exists()


# ---- s3_notifications ----

S3_CONFIG = """
streams:
  - name: objects
    partitions: 2
sources:
  - name: uploads
    stream: objects
"""

S3_URL = "/v1/sources/uploads/s3"

MINIO_RECORD = {
    "eventVersion": "2.0",
    "eventSource": "minio:s3",
    "awsRegion": "",
    "eventTime": "2026-03-14T09:26:53.123Z",
    "eventName": "s3:ObjectCreated:Put",
    "userIdentity": {"principalId": "minioadmin"},
    "requestParameters": {"principalId": "minioadmin", "region": "",
                          "sourceIPAddress": "172.17.0.1"},
    "responseElements": {
        "x-amz-id-2": "dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8",
        "x-amz-request-id": "17C9F34E1D8E5B30",
        "x-minio-deployment-id": "3d4b9a5e-4e0f-4c38-9d6a-2b5c1a7f0e11",
        "x-minio-origin-endpoint": "http://172.17.0.2:9000",
    },
    "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "Config",
        "bucket": {"name": "landing", "ownerIdentity": {"principalId": "minioadmin"},
                   "arn": "arn:aws:s3:::landing"},
        "object": {"key": "photos%2F2026%2Fa+b.jpg", "size": 204800,
                   "eTag": "d41d8cd98f00b204e9800998ecf8427e", "contentType": "image/jpeg",
                   "userMetadata": {"content-type": "image/jpeg"},
                   "sequencer": "17C9F34E1E0C9D4B"},
    },
    "source": {"host": "172.17.0.1", "port": "",
               "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70 "
                            "mc/RELEASE.2024-05-03T11-21-07Z"},
}

MINIO_BODY = {"EventName": "s3:ObjectCreated:Put", "Key": "landing/photos/2026/a b.jpg",
              "Records": [MINIO_RECORD]}


def aws_record(key, request_id, host_id, sequencer, size):
    record = {
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-central-1",
        "eventTime": "2026-03-14T10:26:53.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.9"},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "to-eventlake",
               "bucket": {"name": "orders-prod",
                          "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": "arn:aws:s3:::orders-prod"},
               "object": {"key": key, "size": size, "eTag": "0123456789abcdef0123456789abcdef",
                          "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko", "sequencer": sequencer}},
    }
    if request_id is None:
        del record["responseElements"]
    return record


def test_minio_notification_becomes_an_object_created_event(server):
    srv = server(config=S3_CONFIG)
    sent = srv.post(S3_URL, json=MINIO_BODY)
    [entry] = accepted(sent)
    event_id = "17C9F34E1D8E5B30.dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8"
    assert entry["index"] == 0 and entry["id"] == event_id
    assert sent.json()["rejected"] == []
    assert stored_events(srv, "objects") == [{
        "specversion": "1.0", "id": event_id, "source": "arn:aws:s3:::landing",
        "type": "com.amazonaws.s3.ObjectCreated:Put", "subject": "photos/2026/a b.jpg",
        "time": "2026-03-14T09:26:53.123000Z", "datacontenttype": "application/json",
        "data": MINIO_RECORD,
    }]


def test_redelivered_notification_is_stored_once(server):
    srv = server(config=S3_CONFIG)
    [first] = accepted(srv.post(S3_URL, json=MINIO_BODY))
    [again] = accepted(srv.post(S3_URL, json=MINIO_BODY))
    assert again["duplicate"] is True
    assert (again["partition"], again["offset"]) == (first["partition"], first["offset"])
    srv.restart()
    [after_restart] = accepted(srv.post(S3_URL, json=MINIO_BODY))
    assert after_restart["duplicate"] is True
    assert record_count(srv, "objects") == 1


AWS_HOST_ID = "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"


def test_aws_notification_with_several_records_and_fallback_ids(server):
    srv = server(config=S3_CONFIG)
    records = [
        aws_record("orders/day+14.csv", "C3D13FE58DE4C810", AWS_HOST_ID, "0A1B2C3D4E5F678901",
                   48213),
        aws_record("reports/%E2%82%AC+%25+rate.pdf", None, None, "0055AED6DCD90281E5", 1024),
    ]
    answer = srv.post(S3_URL, json={"Records": records}).json()
    assert answer["rejected"] == []
    ids = [a["id"] for a in answer["accepted"]]
    fallback = "0055AED6DCD90281E5-" + hashlib.sha256(
        "orders-prod/reports/€ % rate.pdf".encode()).hexdigest()[:16]
    assert ids == ["C3D13FE58DE4C810." + AWS_HOST_ID, fallback]
    got = {e["id"]: e for e in stored_events(srv, "objects")}
    assert [got[i]["subject"] for i in ids] == ["orders/day 14.csv", "reports/€ % rate.pdf"]
    for event_id, record in zip(ids, records):
        event = got[event_id]
        assert (event["type"], event["source"], event["time"]) == (
            "com.amazonaws.s3.ObjectCreated:Put", "arn:aws:s3:::orders-prod",
            "2026-03-14T10:26:53.000000Z")
        assert event["data"] == record


def test_test_event_is_accepted_and_appends_nothing(server):
    srv = server(config=S3_CONFIG)
    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-03-14T09:00:00.000Z",
            "Bucket": "orders-prod", "RequestId": "5582815E1AEA5ADF",
            "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
    sent = srv.post(S3_URL, json=body)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"accepted": [], "rejected": []}
    assert record_count(srv, "objects") == 0


def test_bad_notification_is_400_naming_the_value_and_appends_nothing(server):
    srv = server(config=S3_CONFIG)
    bad_key = copy.deepcopy(MINIO_BODY)
    bad_key["Records"].append(copy.deepcopy(MINIO_RECORD))
    bad_key["Records"][1]["s3"]["object"]["key"] = "photos/a%zz.jpg"
    body = assert_problem(srv.post(S3_URL, json=bad_key), 400, "invalid_argument")
    assert body["detail"].startswith("/Records/1/s3/object/key: ")
    no_time = copy.deepcopy(MINIO_BODY)
    del no_time["Records"][0]["eventTime"]
    body = assert_problem(srv.post(S3_URL, json=no_time), 400, "invalid_argument")
    assert body["detail"].startswith("/Records/0/eventTime")
    assert_problem(srv.post(S3_URL, json={"Event": "something else"}), 400, "invalid_argument")
    assert_problem(srv.post(S3_URL, data=b"{not json",
                            headers={"Content-Type": "application/json"}),
                   400, "invalid_argument")
    assert record_count(srv, "objects") == 0
