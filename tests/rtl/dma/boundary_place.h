// Rings placed across a power-of-two boundary of the bus address, for the DMA path benches:
// where the card adds an offset to a ring base in two parts (low bits, then a carry into the
// high bits), only a ring across such a boundary exercises the carry.
#pragma once

#include <mbufnic/runtime.h>
#include <sys/mbuf.h>

#include <cstdint>
#include <cstring>
#include <map>

namespace mbufnic::rtltest {

// below + above bytes of the arena around a multiple of `boundary` (a power of two) in bus
// space: in one 16 KiB cluster that holds them, or in two clusters that meet at the boundary
// (the arena is one range in bus space, carved into clusters in order, not always on 16 KiB
// boundaries).  Returns the address `below` bytes under the boundary, with the clusters zeroed
// (in m[0] and m[1], which may be null; the caller frees them with m_free), or nullptr; the
// clusters tried on the way are given back.  below and above are each at most 16 KiB.
inline uint8_t* AcrossBoundary(uint64_t boundary, uint64_t below, uint64_t above,
                               struct mbuf* m[2]) {
  constexpr uint64_t kLen = MJUM16BYTES;
  std::map<uint64_t, struct mbuf*> by_bus;
  uint8_t* at = nullptr;
  m[0] = m[1] = nullptr;
  // Enough clusters to cover two boundaries' distance.
  const uint64_t tries = 2 * boundary / kLen + 16;
  for (uint64_t i = 0; i < tries && at == nullptr; ++i) {
    struct mbuf* c = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES);
    if (c == nullptr) break;
    const uint64_t bus = mbufnic_vtobus(mtod(c, uint8_t*));
    // The first boundary at least `below` into the cluster.
    const uint64_t inside = (bus + below + boundary - 1) & ~(boundary - 1);
    if (inside + above <= bus + kLen) {
      m[0] = c;
      at = mtod(c, uint8_t*) + (inside - below - bus);
      break;
    }
    by_bus[bus] = c;
    const uint64_t b = (bus % boundary == 0) ? bus : bus + kLen;  // a boundary it may meet
    if (b % boundary != 0) continue;
    auto lo = by_bus.find(b - kLen);
    auto hi = by_bus.find(b);
    if (lo == by_bus.end() || hi == by_bus.end()) continue;
    m[0] = lo->second;
    m[1] = hi->second;
    by_bus.erase(lo);
    by_bus.erase(hi);
    at = mtod(m[0], uint8_t*) + kLen - below;
  }
  for (auto& [bus, c] : by_bus) m_free(c);
  for (int k = 0; k < 2; ++k) {
    if (m[k] != nullptr) std::memset(mtod(m[k], void*), 0, kLen);
  }
  return at;
}

}  // namespace mbufnic::rtltest
