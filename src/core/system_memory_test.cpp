#include "core/system_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace eventlake {
namespace {

TEST(AvailableMemoryTest, IsSomeButNotMoreThanTheMachineHas) {
  const uint64_t bytes = AvailableMemoryBytes();
  EXPECT_GT(bytes, 64ull << 20);
  EXPECT_LE(bytes, static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE)));
}

}  // namespace
}  // namespace eventlake
