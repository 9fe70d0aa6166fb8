// CRC32C (Castagnoli, reflected polynomial 0x82F63B78). The SSE4.2 crc32
// instruction is used when the CPU has it; the build targets baseline x86-64,
// so that path is compiled with a per-function target attribute and chosen at
// run time. Other CPUs use slicing-by-8 tables computed at compile time.
#include "log/crc32c.h"

#include <array>
#include <cstring>

#include "log/crc32c_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define EVENTLAKE_CRC32C_X86 1
#endif

namespace eventlake::log::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of
// byte b followed by k zero bytes, which lets the loop fold 8 bytes per step.
constexpr Tables MakeTables() {
  Tables tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    tables[0][b] = crc;
  }
  for (size_t k = 1; k < tables.size(); ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
}

constexpr Tables kTables = MakeTables();
static_assert(kTables[0][1] == 0xF26B8303u, "CRC32C table generation is wrong");

inline uint32_t LoadLittleEndian32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

using ExtendFunction = uint32_t (*)(uint32_t, const char*, size_t);

ExtendFunction ChooseImplementation() {
  return internal::HardwareAvailable() ? internal::ExtendHardware : internal::ExtendPortable;
}

}  // namespace

namespace internal {

uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t crc = ~init_crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t lo = LoadLittleEndian32(p) ^ crc;
    uint32_t hi = LoadLittleEndian32(p + 4);
    crc = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
          kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xff];
  return ~crc;
}

#ifdef EVENTLAKE_CRC32C_X86

bool HardwareAvailable() {
  __builtin_cpu_init();  // needed if this runs before libgcc's own constructor
  return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t init_crc, const char* data,
                                                          size_t n) {
#if defined(__x86_64__)
  uint64_t crc64 = ~init_crc;
  for (; n >= 8; n -= 8, data += 8) {
    uint64_t word;
    std::memcpy(&word, data, sizeof(word));  // unaligned load; x86 is little-endian
    crc64 = _mm_crc32_u64(crc64, word);
  }
  auto crc = static_cast<uint32_t>(crc64);
#else
  uint32_t crc = ~init_crc;
#endif
  for (; n > 0; --n, ++data) crc = _mm_crc32_u8(crc, static_cast<unsigned char>(*data));
  return ~crc;
}

#else  // not x86

bool HardwareAvailable() { return false; }

uint32_t ExtendHardware(uint32_t init_crc, const char* data, size_t n) {
  return ExtendPortable(init_crc, data, n);
}

#endif

}  // namespace internal

uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  static const ExtendFunction extend = ChooseImplementation();
  return extend(init_crc, data, n);
}

}  // namespace eventlake::log::crc32c
