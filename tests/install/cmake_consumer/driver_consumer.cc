// A program on the installed package that drives a card: the C++ model of the card opened by
// name, the host driver attached to it, one UDP frame sent with checksum offload, looped back
// on the model's wire and received with the card's checksum verdict.
#include <netinet/in.h>
#include <sys/mbuf.h>

#include <core/wire.h>
#include <cstdio>
#include <cstring>
#include <mbufnic/device.hpp>
#include <mbufnic/driver.hpp>

int main() {
  auto dev = mbufnic::device::Open("model", {.loopback = true});
  int got = 0;
  {
    mbufnic::driver::Nic nic(*dev);
    // Ethernet, IPv4 (checksum left to the card), UDP (seeded with the pseudo-header sum).
    const unsigned char hdr[42] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
                                   0x45, 0, 0, 128, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1,
                                   10, 0, 0, 2, 0x9c, 0x40, 0, 9, 0, 108, 0, 0};
    struct mbuf *m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
    if (m == nullptr) return 1;
    std::memset(mtod(m, char *), 0x5a, 142);
    std::memcpy(mtod(m, char *), hdr, sizeof hdr);
    // 10.0.0.1 + 10.0.0.2 + protocol 17 + UDP length 108, folded.
    const unsigned seed = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 108;
    mtod(m, unsigned char *)[40] = static_cast<unsigned char>(seed >> 8);
    mtod(m, unsigned char *)[41] = static_cast<unsigned char>(seed);
    m->m_len = m->m_pkthdr.len = 142;
    m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_UDP;
    m->m_pkthdr.csum_data = 6;
    if (nic.Transmit(0, &m, 1) != 1) return 2;
    nic.Poll(20000, [&](int, struct mbuf *r) {
      if (r->m_pkthdr.len == 142 &&
          (r->m_pkthdr.csum_flags & (CSUM_L3_VALID | CSUM_L4_VALID)) ==
              (CSUM_L3_VALID | CSUM_L4_VALID)) {
        ++got;
      }
      m_freem(r);
    });
  }
  if (got != 1 || dev->wire()->sent_frames() != 1) return 3;
  std::printf("ok driver %d\n", got);
  return 0;
}
