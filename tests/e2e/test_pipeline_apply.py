"""`eventlake apply` end to end (issue 6): pipelines added, changed and
removed on a running server through the CLI, each change a version; the
changed pipeline goes on from its group into the same table; applied
changes survive a restart; a pipeline that cannot run is refused with its
path and changes nothing."""

import subprocess

from lake_support import wait_for_rows
from pipeline_support import query, records, send, wait_for

CONFIG = """
streams:
  - name: clicks
    partitions: 2
  - name: clicks_out
sources:
  - name: web
    stream: clicks
tables:
  - name: curated.clicks
    max_age: 200ms
pipelines:
  - name: loader
    trigger: { stream: clicks, max_records: 100, max_wait: 100ms }
    sinks:
      - table: curated.clicks
"""

APPLIED = """
pipelines:
  - name: loader
    trigger: { stream: clicks, max_records: 100, max_wait: 100ms }
    steps:
      - map: { set: { v: 2 } }
    sinks:
      - table: curated.clicks
  - name: copier
    trigger: { stream: clicks, max_records: 100, max_wait: 100ms }
    sinks:
      - stream: clicks_out
"""


def click(i):
    return {"specversion": "1.0", "id": f"c{i}", "source": "/web", "type": "click", "data": {"n": i}}


def apply(eventlake_bin, srv, tmp_path, text, *flags):
    path = tmp_path / "apply.yaml"
    path.write_text(text)
    return subprocess.run([eventlake_bin, "--server", srv.url, "apply", str(path), *flags],
                          capture_output=True, text=True, timeout=120)


def versions(srv, name):
    r = srv.get(f"/v1/pipelines/{name}/versions")
    assert r.status_code == 200, r.text
    return [(v["version"], v["change"], v["source"]) for v in r.json()["versions"]]


def test_apply_adds_changes_and_prunes_pipelines_each_change_a_version(server, eventlake_bin, tmp_path):
    srv = server(CONFIG)
    send(srv, [click(i) for i in range(10)])
    wait_for_rows(srv, "curated.clicks", 10)

    done = apply(eventlake_bin, srv, tmp_path, APPLIED)
    assert done.returncode == 0, done.stderr
    assert "loader: changed (version 2)" in done.stdout and "copier: added (version 1)" in done.stdout
    send(srv, [click(i) for i in range(10, 20)])
    wait_for_rows(srv, "curated.clicks", 20)
    rows = query(srv, "SELECT n, v FROM curated.clicks ORDER BY n")
    assert [r[0] for r in rows] == list(range(20))  # the group went on: nothing twice, nothing lost
    assert {r[1] for r in rows[:10]} == {None} and {r[1] for r in rows[10:]} == {2}
    copied = wait_for(lambda: (lambda r: r if len(r) >= 20 else None)(records(srv, "clicks_out")), what="the copy")
    assert len(copied) == 20  # a new pipeline reads its stream from the start
    assert versions(srv, "loader") == [(1, "added", "config"), (2, "changed", "apply")]

    again = apply(eventlake_bin, srv, tmp_path, APPLIED)
    assert "loader: unchanged" in again.stdout and "copier: unchanged" in again.stdout

    srv.restart()  # the applied versions run, not the file's
    assert {p["name"] for p in srv.get("/v1/pipelines").json()["pipelines"]} == {"loader", "copier"}
    send(srv, [click(20)])
    wait_for_rows(srv, "curated.clicks", 21)
    assert query(srv, "SELECT v FROM curated.clicks WHERE n = 20") == [[2]]
    assert versions(srv, "loader") == [(1, "added", "config"), (2, "changed", "apply")]

    pruned = apply(eventlake_bin, srv, tmp_path, APPLIED.split("  - name: copier")[0], "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "copier: removed (version 2)" in pruned.stdout
    assert srv.get("/v1/pipelines/copier").status_code == 404
    assert versions(srv, "copier")[-1] == (2, "removed", "apply")
    srv.restart()
    assert srv.get("/v1/pipelines/copier").status_code == 404


def test_a_pipeline_that_cannot_run_is_refused_and_changes_nothing(server, eventlake_bin, tmp_path):
    srv = server(CONFIG)
    bad = APPLIED.replace("stream: clicks_out", "stream: nowhere")
    done = apply(eventlake_bin, srv, tmp_path, bad)
    assert done.returncode != 0
    assert "pipelines[1]" in done.stderr and "nowhere" in done.stderr, done.stderr
    invalid = apply(eventlake_bin, srv, tmp_path, APPLIED.replace("map: { set", "map: { sett"))
    assert invalid.returncode != 0 and "pipelines[0].steps[0].map.sett: unknown key" in invalid.stderr
    assert [p["name"] for p in srv.get("/v1/pipelines").json()["pipelines"]] == ["loader"]
    assert versions(srv, "loader") == [(1, "added", "config")]
