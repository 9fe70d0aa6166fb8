#!/usr/bin/env bash
# bench/pipeline, counted rather than timed: the instructions one event
# costs in a step kind of bench_pipeline_steps (issue 6), run under
# valgrind's callgrind and counted only inside BatchRunner::Run. Timed
# figures on this shared 2-core machine move by 20-50% from run to run; an
# instruction count moves by well under 1% (when the code is
# deterministic), so a change's effect is seen in one run. It is not
# time: cache misses and IPC are not in it; report it beside the timed
# figures, never instead.
#
# Steady state: the count over 30 batches of 1,000 less the count over 10
# (what the first batches pay once, views and statements, falls out),
# divided by the 20,000 events between.
#
# Usage: bench/pipeline_instructions.sh BUILD_DIR [KIND]   (KIND: a row of
# bench_pipeline_steps, "validate + lua + sql" by default)
set -euo pipefail
build=${1:?usage: bench/pipeline_instructions.sh BUILD_DIR [KIND]}
kind=${2:-validate + lua + sql}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --toggle-collect='eventlake::pipeline::BatchRunner::Run(*' \
    "$build/bench/bench_pipeline_steps" 1000 "$1" 1 "$kind" 2>&1 | awk '/Collected/ {print $4}'
}
few=$(count 10)
many=$(count 30)
echo "$kind: $(( (many - few) / 20000 )) instructions per event (10 batches: $few, 30 batches: $many)"
