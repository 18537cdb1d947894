// device::ArenaDma, the firmware's DMA where the card reaches host memory itself (the xrt
// backend): host copies into and out of the runtime's arena by bus address, and nothing outside
// it.  The driver's unit tests run the whole firmware through it (tests/host/driver/fake_card.h).
#include "firmware_host.h"

#include <gtest/gtest.h>
#include <sys/mbuf.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

#include "mbufnic/runtime.h"

namespace mbufnic::device {
namespace {

struct Cluster {
  Cluster() : m(m_getcl(M_WAITOK, MT_DATA, M_PKTHDR)) {}
  ~Cluster() { m_freem(m); }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  std::uint8_t* data() const { return mtod(m, std::uint8_t*); }
  std::uint64_t bus() const { return mbufnic_vtobus(data()); }
  struct mbuf* m;
};

TEST(ArenaDma, ReadsAndWritesAClusterByItsBusAddress) {
  const FirmwareDma dma = ArenaDma();
  Cluster c;
  ASSERT_NE(c.bus(), MBUFNIC_BUSADDR_INVALID);
  for (int i = 0; i < 128; ++i) c.data()[i] = static_cast<std::uint8_t>(i * 3);

  std::array<std::uint8_t, 32> got{};
  ASSERT_TRUE(dma.read(c.bus() + 16, got.data(), got.size()));
  for (int i = 0; i < 32; ++i) EXPECT_EQ(got[i], static_cast<std::uint8_t>((i + 16) * 3)) << i;

  const std::array<std::uint8_t, 4> put{0xde, 0xad, 0xbe, 0xef};
  ASSERT_TRUE(dma.write(c.bus() + 60, put.data(), put.size()));
  EXPECT_EQ(std::memcmp(c.data() + 60, put.data(), put.size()), 0);
  EXPECT_EQ(c.data()[59], static_cast<std::uint8_t>(59 * 3)) << "a byte before the write changed";
  EXPECT_EQ(c.data()[64], static_cast<std::uint8_t>(64 * 3)) << "the write went past its length";
}

TEST(ArenaDma, RefusesWhatIsNotWhollyInTheArena) {
  const FirmwareDma dma = ArenaDma();
  Cluster c;  // makes the arena
  mbufnic_arena_info info{};
  mbufnic_arena_get_info(&info);
  const std::uint64_t end = info.bus_base + info.reserved;  // one past the arena's last byte

  struct Case {
    const char* what;
    std::uint64_t bus;
    std::uint32_t len;
  };
  const Case refused[] = {
      {"the invalid bus address", MBUFNIC_BUSADDR_INVALID, 8},
      {"just below the arena", info.bus_base - 8, 8},
      {"from below into the arena", info.bus_base - 8, 16},
      {"from the arena's end past it", end - 8, 16},
      {"just past the arena", end, 8},
      {"round the end of the address space", std::numeric_limits<std::uint64_t>::max() - 3, 8},
  };
  for (const Case& k : refused) {
    std::array<std::uint8_t, 16> buf;
    buf.fill(0x5a);
    EXPECT_FALSE(dma.read(k.bus, buf.data(), k.len)) << k.what;
    for (std::uint8_t b : buf) ASSERT_EQ(b, 0x5a) << k.what << ": a refused read copied";
    EXPECT_FALSE(dma.write(k.bus, buf.data(), k.len)) << k.what;
  }
  // The arena's last bytes are its own, and a refused write that reached into them left them.
  auto* const last = static_cast<std::uint8_t*>(mbufnic_bustov(end - 8));
  ASSERT_NE(last, nullptr);
  std::memset(last, 0x11, 8);
  const std::array<std::uint8_t, 16> ones{};
  EXPECT_FALSE(dma.write(end - 8, ones.data(), 16));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(last[i], 0x11) << i;
  EXPECT_TRUE(dma.write(end - 8, ones.data(), 8));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(last[i], 0) << i;
}

}  // namespace
}  // namespace mbufnic::device
