#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.

The seeds are committed; run this only to regenerate them after a format
change. It encodes by following docs/formats/log.md, independently of the C++
code, so the seeds double as a check that both agree.
"""
import base64
import gzip
import hashlib
import hmac
import pathlib
import struct


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(value) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return varint(len(raw)) + raw


def zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63) if value < 0 else value << 1


def event(id, source, type, data=b"", binary=False, content_type=None, schema=None,
          subject=None, time=None, extensions=()) -> bytes:
    flags = ((1 if binary else 0) | (2 if content_type is not None else 0) |
             (4 if schema is not None else 0) | (8 if subject is not None else 0) |
             (16 if time is not None else 0))
    out = bytes([1, flags]) + string(id) + string(source) + string("1.0") + string(type)
    for optional in (content_type, schema, subject):
        if optional is not None:
            out += string(optional)
    if time is not None:
        out += struct.pack("<q", time)
    out += varint(len(extensions))
    for name, value in extensions:
        out += string(name)
        if isinstance(value, bool):
            out += bytes([0, int(value)])
        elif isinstance(value, int):
            out += bytes([1]) + varint(zigzag(value) & (2**64 - 1))
        else:
            out += bytes([2]) + string(value)
    return out + string(data)


def offsets(values) -> bytes:
    body = f"eventlake-offsets 1\npartitions {len(values)}\n"
    body += "".join(f"{i} {v}\n" for i, v in enumerate(values))
    return (body + f"crc32c {crc32c(body.encode()):08x}\n").encode()


def mask(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame(payload: bytes, offset: int, time: int) -> bytes:
    """One record frame (docs/formats/log.md, "Segment files")."""
    trailer = struct.pack("<IQq", len(payload), offset, time)
    return struct.pack("<I", mask(crc32c(payload + trailer))) + trailer + payload


MINIMAL = event("1", "s", "t")
JSON = event("a3f6", "/web", "click", data=b'{"page":"/","ms":12}',
             content_type="application/json", time=1764036415123456)

SEEDS = {
    "event_codec": {
        "minimal": event("1", "s", "t"),
        "json": event("a3f6", "/web", "click", data=b'{"page":"/","ms":12}',
                      content_type="application/json", time=1764036415123456),
        "all_fields": event("id-7", "https://example.com", "order.created",
                            data=b"\x00\x01\xff\x00", binary=True,
                            content_type="application/octet-stream",
                            schema="https://example.com/order.json", subject="orders/42",
                            time=-1, extensions=[("partitionkey", "customer-17"),
                                                 ("retry", True), ("count", -65),
                                                 ("big", 2**63 - 1), ("empty", "")]),
    },
    "record": {
        "minimal": frame(MINIMAL, 0, 1),
        "json": frame(JSON, 42, 1764036415123456),
    },
    # A segment after its 16-byte header: records back to back, then a torn one.
    "segment": {
        "three": frame(MINIMAL, 0, 5) + frame(JSON, 1, 6) + frame(MINIMAL, 2, 6),
        "torn_tail": frame(JSON, 0, 1) + frame(JSON, 1, 2)[:30],
        "zero_tail": frame(MINIMAL, 0, 1) + bytes(40),
    },
    "offsets": {
        "empty": offsets([]),
        "one": offsets([0]),
        "documented": offsets([1234, 0, 77, 9000]),
        "max": offsets([2**64 - 1, 10, 100]),
    },
}


# Ingest (src/ingest/event_decoder.h, decompress.h): HTTP bodies and headers.
def zstd_frame(content: bytes, rle: int = 0) -> bytes:
    """One zstd frame (RFC 8878) holding one raw block, or one RLE block of `rle` bytes."""
    size = rle or len(content)
    header = b"\x28\xb5\x2f\xfd" + bytes([0x20 if size < 256 else 0x60])
    header += bytes([size]) if size < 256 else struct.pack("<H", size - 256)
    block = (size << 3) | (2 if rle else 0) | 1
    return header + struct.pack("<I", block)[:3] + (content[:1] if rle else content)


CE = (b'{"specversion":"1.0","id":"a1","source":"/web","type":"page.viewed",'
      b'"time":"2026-11-25T02:06:55.123Z","tenant":"acme","attempt":3,"replay":false,'
      b'"datacontenttype":"application/json","data":{"page":"/","ms":12.50}}')
SEEDS.update({
    "cloudevent_json": {
        "event": CE,
        "batch": b"[" + CE + b',{"specversion":"1.0","id":"2","source":"s","type":"t",'
                 b'"data_base64":"AAH/"},7]',
        "text_data": b'{"specversion":"1.0","id":"3","source":"#f","type":"t",'
                     b'"datacontenttype":"text/plain","data":"hi","subject":null}',
    },
    "binary_headers": {
        "json": b"ce-specversion: 1.0\nce-id: 1\nce-source: /s\nce-type: t\n"
                b"ce-subject: Euro%20%E2%82%AC\ncontent-type: application/json\n\n"
                b'{"a": [1, 2]}',
        "plain": b"content-type: application/x-ndjson\nce-type: t\n\n{}\n{\"b\":1}\n",
    },
    "ndjson": {
        "lines": b'{"id":"1","a":1}\r\n\n{"id":2,"b":[true,null]}\nnot json\n[1]\n',
        "array": b'[{"id":"x"},{"n":1.5e3},"s"]',
    },
    "decompress": {
        "gzip": gzip.compress(CE, mtime=0),
        "zstd": zstd_frame(CE),
        "zstd_rle": zstd_frame(b"x", rle=200),
    },
})


# MQTT 3.1.1 (src/ingest/sources/mqtt_packet.h): what a broker sends a
# subscriber. A seed is one byte giving the size of the pieces the stream is
# fed in, one selecting max_publish_bytes (0: 1 MiB, else 4 times it), then
# the stream.
def mqtt_packet(first: int, rest: bytes) -> bytes:
    out = bytearray([first])
    length = len(rest)
    while True:
        digit = length % 128
        length //= 128
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out) + rest


def mqtt_publish(topic: bytes, payload: bytes, qos: int = 0, packet_id: int = 0,
                 dup: bool = False, retain: bool = False) -> bytes:
    first = 0x30 | (qos << 1) | (8 if dup else 0) | (1 if retain else 0)
    rest = struct.pack(">H", len(topic)) + topic
    if qos:
        rest += struct.pack(">H", packet_id)
    return mqtt_packet(first, rest + payload)


CONNACK = mqtt_packet(0x20, b"\x01\x00")
SUBACK = mqtt_packet(0x90, b"\x00\x01\x01\x00\x80")
PINGRESP = mqtt_packet(0xD0, b"")
SEEDS["mqtt_packet"] = {
    "session": bytes([7, 0]) + CONNACK + SUBACK
    + mqtt_publish(b"sensors/1/temp", b'{"t":21.5}', qos=1, packet_id=1)
    + mqtt_publish(b"a/b", b"raw", retain=True) + PINGRESP,
    "oversized": bytes([3, 4]) + mqtt_publish(b"big", b"x" * 300, qos=1, packet_id=9, dup=True)
    + mqtt_publish(b"small", b"ok", qos=1, packet_id=10),
    "long_length": bytes([255, 0]) + mqtt_publish(b"t", b"y" * 20000),
}


# The Kafka binding (src/ingest/sources/kafka_binding.h): one byte choosing
# the format (0 auto, 1 cloudevents, 2 json, 3 raw), "name=value" header
# lines ("key=..." is the record key), a blank line, the record value.
SEEDS["kafka_record"] = {
    "binary": b"\x00ce_specversion=1.0\nce_id=order-1\nce_source=/shop\nce_type=order.paid\n"
    b"content-type=application/json\nkey=customer-7\n\n" + b'{"order":1}',
    "structured": b"\x00content-type=application/cloudevents+json\n\n" + CE,
    "plain_json": b"\x02key=k\n\n" + b'{"order":2,"items":[1,2]}',
    "raw_bytes": b"\x03null_header\n\n\xff\xfe raw",
}


# S3 answers (src/lake/s3_xml.h).
SEEDS["s3_xml"] = {
    "list": b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Name>lake</Name><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
    b"<Contents><Key>a/b&amp;c</Key><Size>12</Size><LastModified>2026-12-02T01:02:03.000Z</LastModified>"
    b"</Contents><CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes></ListBucketResult>",
    "error": b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
    b"<Key>x</Key><RequestId>1</RequestId></Error>",
    "upload": b"<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
    b"<UploadId>abc&#x41;</UploadId></InitiateMultipartUploadResult>",
}


# Postgres wire protocol 3.0 sessions (src/query/pgwire_messages.h): a startup
# packet, then typed messages, as a client sends them.
def pg_startup(params):
    body = struct.pack(">i", 196608) + b"".join(k + b"\0" + v + b"\0" for k, v in params) + b"\0"
    return struct.pack(">i", len(body) + 4) + body


def pg_message(kind, payload):
    return kind + struct.pack(">i", len(payload) + 4) + payload


PG_STARTUP = pg_startup([(b"user", b"me"), (b"database", b"lake")])
SEEDS["pgwire_messages"] = {
    "ssl_then_startup": struct.pack(">ii", 8, 80877103) + PG_STARTUP,
    "simple_query": PG_STARTUP + pg_message(b"Q", b"SELECT 1; SELECT 'a;b'\0") + pg_message(b"X", b""),
    "extended": PG_STARTUP
    + pg_message(b"P", b"s1\0SELECT $1::INT\0" + struct.pack(">hi", 1, 23))
    + pg_message(b"B", b"p1\0s1\0" + struct.pack(">hh", 1, 0) + struct.pack(">hi", 1, 2) + b"42"
                 + struct.pack(">hh", 1, 1))
    + pg_message(b"D", b"Pp1\0")
    + pg_message(b"E", b"p1\0" + struct.pack(">i", 0))
    + pg_message(b"C", b"Ss1\0")
    + pg_message(b"S", b""),
    "cancel": struct.pack(">iiii", 16, 80877102, 7, 12345),
    "password": PG_STARTUP + pg_message(b"p", b"el_secret\0"),
    "sasl": PG_STARTUP + pg_message(b"p", b"SCRAM-SHA-256\0" + struct.pack(">i", 22) + b"n,,n=,r=rOprNGfwEbeRWg")
    + pg_message(b"p", b"c=biws,r=rOprNGfwEbeRWgservernonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
}

def scram_exchange(header, binding_data):
    """A client-first NUL client-final exchange that the fuzz target's
    verifier (password elk_fuzz, salt fixed-salt, 1000 iterations, server
    nonce servernonce) accepts, computed here by RFC 5802."""
    bare = b"n=,r=abc"
    server_first = b"r=abcservernonce,s=" + base64.b64encode(b"fixed-salt") + b",i=1000"
    without_proof = b"c=" + base64.b64encode(header + binding_data) + b",r=abcservernonce"
    salted = hashlib.pbkdf2_hmac("sha256", b"elk_fuzz", b"fixed-salt", 1000)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    auth_message = bare + b"," + server_first + b"," + without_proof
    signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    return header + bare + b"\0" + without_proof + b",p=" + base64.b64encode(proof)


# SCRAM-SHA-256 (src/security/scram.h): client-first NUL client-final, and verifiers.
SEEDS["scram"] = {
    "exchange": b"n,,n=,r=rOprNGfwEbeRWg\0c=biws,r=rOprNGfwEbeRWgservernonce,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "yflag": b"y,,n=user,r=abc\0c=eSws,r=abcservernonce,p=AAAA",
    # SCRAM-SHA-256-PLUS, accepted: the fuzz target's certificate hash is 32 bytes of 0x5c.
    "plus": scram_exchange(b"p=tls-server-end-point,,", b"\x5c" * 32),
    # The same with its proof unpadded: refused, as RFC 5802 spells base64 padded
    # (a crash of the target's oracle when the server took it).
    "plus_unpadded_proof": scram_exchange(b"p=tls-server-end-point,,", b"\x5c" * 32).rstrip(b"="),
    "verifier": b"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    b"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
}

# Schedules of the schedule trigger (src/pipeline/schedule.h).
SEEDS["schedule"] = {
    "cron": b"*/15 9-17 * * MON-FRI",
    "lists": b"5,10-12/2 0 1,15 jan-jun 0,7",
    "macro": b"@hourly",
    "rate": b"rate(5 minutes)",
    "every": b"@every 90s",
}


# What external functions answer (src/pipeline/sqs_event.h, function_error.h).
SEEDS["function_response"] = {
    "null": b"null",
    "failures": b'{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}',
    "unknown_id": b'{"batchItemFailures":[{"itemIdentifier":"zz"}]}',
    "events": b'{"events":[{"specversion":"1.0","id":"x","source":"/f","type":"t","data":{"k":[1,2]}}]}',
    "error": b'{"errorMessage":"boom","errorType":"ValueError","stackTrace":["a","b"]}',
}


# JSON Schema patterns and texts (src/ingest/json_schema_pattern.h): pattern NUL text.
SEEDS["schema_pattern"] = {
    "user": b"^user-[0-9]+$\0user-12345",
    "uuid": b"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$\0"
            b"123e4567-e89b-12d3-a456-426614174000",
    "country": b"^[A-Z]{2}$\0FR",
    "classes": b"^[-a-z_\\]]*\\d{2,}\\W?\\.x+$\0ab_]12.xx",
    "unanchored": b"b+c*d?\0aabbccd",
    "dot": b"^a.c$\0a\nc",
    "regex_only": b"^(a|b)+\\s$\0abba ",
    "non_ascii": b"^[^a].$\0\xc3\xa9\xc3\xa9",
}

# Parquet footers (src/lake/parquet_concat.h): a FileMetaData in Thrift's
# compact protocol, encoded here from parquet.thrift's field ids.
def tc_field(last_id, field_id, type_code, value=b""):
    delta = field_id - last_id
    if 0 < delta <= 15:
        return bytes([delta << 4 | type_code]) + value
    return bytes([type_code]) + varint(zigzag(field_id)) + value


def tc_struct(fields):  # fields: [(id, type code, encoded value)], ascending ids
    out, last = b"", 0
    for field_id, type_code, value in fields:
        out += tc_field(last, field_id, type_code, value)
        last = field_id
    return out + b"\0"


def tc_int(value):
    return varint(zigzag(value))


def tc_list(type_code, elements):
    head = bytes([len(elements) << 4 | type_code]) if len(elements) < 15 else \
        bytes([0xF0 | type_code]) + varint(len(elements))
    return head + b"".join(elements)


I32, I64, BINARY, LIST, STRUCT = 5, 6, 8, 9, 12


def parquet_column_chunk(name, offset, rows):
    meta = tc_struct([(1, I32, tc_int(2)), (2, LIST, tc_list(I32, [tc_int(0)])),
                      (3, LIST, tc_list(BINARY, [string(name)])), (4, I32, tc_int(6)),
                      (5, I64, tc_int(rows)), (6, I64, tc_int(100)), (7, I64, tc_int(90)),
                      (9, I64, tc_int(offset)), (11, I64, tc_int(offset))])
    return tc_struct([(2, I64, tc_int(offset)), (3, STRUCT, meta)])


def parquet_footer(row_groups):
    schema = [tc_struct([(4, BINARY, string("duckdb_schema")), (5, I32, tc_int(2))]),
              tc_struct([(1, I32, tc_int(2)), (3, I32, tc_int(1)), (4, BINARY, string("n"))]),
              tc_struct([(1, I32, tc_int(6)), (3, I32, tc_int(1)), (4, BINARY, string("id"))])]
    groups = [tc_struct([(1, LIST, tc_list(STRUCT, [parquet_column_chunk("n", offset, rows),
                                                    parquet_column_chunk("id", offset + 50, rows)])),
                         (2, I64, tc_int(200)), (3, I64, tc_int(rows)), (5, I64, tc_int(offset)),
                         (7, 4, tc_int(ordinal))])
              for ordinal, (offset, rows) in enumerate(row_groups)]
    return tc_struct([(1, I32, tc_int(1)), (2, LIST, tc_list(STRUCT, schema)),
                      (3, I64, tc_int(sum(rows for _, rows in row_groups))),
                      (4, LIST, tc_list(STRUCT, groups)), (6, BINARY, string("seed version 1"))])


SEEDS["parquet_footer"] = {
    "one_group": parquet_footer([(4, 10)]),
    "three_groups": parquet_footer([(4, 10), (200, 5), (400, 0)]),
    "sixteen_groups": parquet_footer([(4 + 100 * g, g) for g in range(16)]),
    "no_groups": parquet_footer([]),
}


def main():
    root = pathlib.Path(__file__).resolve().parent / "corpus"
    for target, seeds in SEEDS.items():
        directory = root / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in seeds.items():
            (directory / name).write_bytes(content)


if __name__ == "__main__":
    main()
