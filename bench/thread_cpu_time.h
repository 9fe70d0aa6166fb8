// The measuring thread's CPU time, for the in-process benchmarks: their
// figures are per core even on a busy machine.
#pragma once

#include <time.h>

namespace eventlake::bench {

// Seconds of CPU time this thread has used.
inline double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace eventlake::bench
