// The memory this process may use: the machine's RAM, or less when its
// cgroup (v2 memory.max, v1 memory.limit_in_bytes) says so. Engines size
// their default limits from it, as DuckDB does (80% of it).
#pragma once

#include <cstdint>

namespace eventlake {

uint64_t AvailableMemoryBytes();

}  // namespace eventlake
