// The two CRC32C implementations behind crc32c::Extend, exposed so that tests
// can check that they agree. Not for use outside crc32c.cpp and its test.
#pragma once

#include <cstddef>
#include <cstdint>

namespace eventlake::log::crc32c::internal {

// Slicing-by-8 over compile-time tables; works on every CPU.
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);

// True when this CPU has the SSE4.2 crc32 instruction.
bool HardwareAvailable();
// The SSE4.2 version. Precondition: HardwareAvailable().
uint32_t ExtendHardware(uint32_t init_crc, const char* data, size_t n);

}  // namespace eventlake::log::crc32c::internal
