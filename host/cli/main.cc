// mbufnic: the command-line front end.
//
// Until the card exists, `mbufnic demo` is a tour of the host runtime: it builds TCP/IPv4 packets
// the way FreeBSD's tcp_output and ip_output do (payload in clusters, headers prepended,
// checksums left to "hardware" with csum_flags), keeps a retransmission copy, does the work a
// driver without offload would do in software, checks every packet, and prints netstat -m.
#include <fmt/core.h>
#include <machine/in_cksum.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/mbuf.h>
#include <sys/param.h>
#include <sys/systm.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "mbufnic/runtime.h"

namespace {

constexpr int kEtherHdr = 14;
constexpr int kIpHdr = 20;
constexpr int kTcpHdr = 20;
constexpr int kHdrs = kEtherHdr + kIpHdr + kTcpHdr;

struct DemoResult {
  int packets = 0, segments = 0, bad_checksums = 0, content_errors = 0, defragged = 0;
  long long bytes = 0;
};

// A TCP segment as tcp_output hands it to ip_output and the driver: payload in a chain of
// clusters, Ethernet/IPv4/TCP headers prepended, th_sum seeded with the pseudo-header sum and
// the checksum work requested through csum_flags/csum_data.
struct mbuf *BuildTcpPacket(const std::vector<uint8_t> &payload, uint32_t seq, int mss) {
  struct mbuf *m = m_getm2(nullptr, static_cast<int>(payload.size()), M_NOWAIT, MT_DATA, M_PKTHDR);
  if (m == nullptr) return nullptr;
  // Leave room for the headers in front of the data, as tcp_output does with max_linkhdr.
  int off = 0;
  for (struct mbuf *n = m; n; n = n->m_next) {
    const int take = std::min<int>(M_TRAILINGSPACE(n), static_cast<int>(payload.size()) - off);
    std::memcpy(mtod(n, char *), payload.data() + off, take);
    n->m_len = take;
    off += take;
  }
  m->m_pkthdr.len = off;

  M_PREPEND(m, kIpHdr + kTcpHdr, M_NOWAIT);
  if (m == nullptr) return nullptr;
  auto *ip = mtod(m, struct ip *);
  std::memset(ip, 0, kIpHdr + kTcpHdr);
  ip->ip_v = IPVERSION;
  ip->ip_hl = kIpHdr >> 2;
  ip->ip_ttl = 64;
  ip->ip_p = IPPROTO_TCP;
  ip->ip_len = htons(static_cast<uint16_t>(m->m_pkthdr.len));
  ip->ip_src.s_addr = htonl(0x0a000001);
  ip->ip_dst.s_addr = htonl(0x0a000002);
  auto *th = reinterpret_cast<struct tcphdr *>(ip + 1);
  th->th_sport = htons(49152);
  th->th_dport = htons(5001);
  th->th_seq = htonl(seq);
  th->th_off = kTcpHdr >> 2;
  th->th_flags = TH_ACK | TH_PUSH;
  th->th_win = htons(65535);
  // Pseudo-header sum including the TCP length, as tcp_output seeds it for the hardware.
  th->th_sum = in_pseudo(ip->ip_src.s_addr, ip->ip_dst.s_addr,
                         htons(static_cast<uint16_t>(m->m_pkthdr.len - kIpHdr + IPPROTO_TCP)));
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_TCP;
  m->m_pkthdr.csum_data = offsetof(struct tcphdr, th_sum);
  if (m->m_pkthdr.len - kIpHdr - kTcpHdr > mss) {
    m->m_pkthdr.csum_flags |= CSUM_IP_TSO;
    m->m_pkthdr.tso_segsz = static_cast<uint16_t>(mss);
  }
  M_PREPEND(m, kEtherHdr, M_NOWAIT);
  if (m == nullptr) return nullptr;
  static const uint8_t kEther[kEtherHdr] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
  std::memcpy(mtod(m, void *), kEther, kEtherHdr);
  m->m_pkthdr.l2hlen = kEtherHdr;
  m->m_pkthdr.l3hlen = kIpHdr;
  m->m_pkthdr.l4hlen = kTcpHdr;
  return m;
}

// What ip_output/in_delayed_cksum do when the interface cannot: finish the TCP checksum from the
// seed and fill the IP header checksum.  The headers are made contiguous first; the IP header
// is worked on through a local copy because after the 14-byte Ethernet header it is not
// 4-byte aligned (a real driver would reserve ETHER_ALIGN bytes in front).
struct mbuf *SoftwareChecksum(struct mbuf *m) {
  if (m->m_len < kHdrs && (m = m_pullup(m, kHdrs)) == nullptr) return nullptr;
  const int l4off = kEtherHdr + kIpHdr;
  uint16_t sum = in_cksum_skip(m, m->m_pkthdr.len, l4off);
  m_copyback(m, l4off + static_cast<int>(m->m_pkthdr.csum_data), 2,
             reinterpret_cast<c_caddr_t>(&sum));
  struct ip ip;
  m_copydata(m, kEtherHdr, kIpHdr, reinterpret_cast<caddr_t>(&ip));
  ip.ip_sum = 0;
  ip.ip_sum = static_cast<uint16_t>(in_cksum_hdr(&ip));
  m_copyback(m, kEtherHdr, kIpHdr, reinterpret_cast<c_caddr_t>(&ip));
  m->m_pkthdr.csum_flags &= ~(CSUM_IP | CSUM_TCP);
  return m;
}

// The receive side's check: IP header sums to 0xffff; TCP with the pseudo header sums to 0xffff.
bool ChecksumsValid(struct mbuf *m) {
  struct ip ip;
  m_copydata(m, kEtherHdr, kIpHdr, reinterpret_cast<caddr_t>(&ip));
  if (in_cksum_hdr(&ip) != 0) return false;
  const int tcplen = ntohs(ip.ip_len) - kIpHdr;
  // The complemented sum over pseudo header + segment is zero for a valid segment.
  const uint16_t seed = in_pseudo(ip.ip_src.s_addr, ip.ip_dst.s_addr, htons(tcplen + IPPROTO_TCP));
  return static_cast<uint16_t>(~mbufnic_cksum_mbuf(m, kEtherHdr + kIpHdr, tcplen, seed)) == 0;
}

int RunDemo(int npackets, uint32_t seed, int max_segments) {
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937 rng(seed);
  struct mbufnic_arena_info ai {};
  mbufnic_arena_get_info(&ai);
  fmt::print("mbufnic demo: host runtime (the card is not built yet)\n");
  fmt::print("  DMA arena: {} MiB reserved at bus {:#x}, {}\n", ai.reserved >> 20, ai.bus_base,
             ai.hugepages ? "reserved 2 MiB hugepages"
                          : "ordinary pages, transparent huge pages requested");

  DemoResult r;
  struct mbufq sendq, retransq;
  mbufq_init(&sendq, 0);
  mbufq_init(&retransq, 0);
  uint32_t seq = 1000;
  for (int i = 0; i < npackets; ++i) {
    // Mostly full-size segments, some small, some TSO-sized sends.
    const int kind = static_cast<int>(rng() % 10);
    const int len = kind < 6   ? 1448
                    : kind < 9 ? 1 + static_cast<int>(rng() % 600)
                               : 8000 + static_cast<int>(rng() % 56000);
    std::vector<uint8_t> payload(len);
    for (auto &b : payload) b = static_cast<uint8_t>(rng());
    struct mbuf *m = BuildTcpPacket(payload, seq, 1448);
    if (m == nullptr) {
      fmt::print(stderr, "demo: out of mbufs building packet {}\n", i);
      return 1;
    }
    seq += len;
    // TCP keeps a copy for retransmission: shared clusters, no data copied.
    struct mbuf *copy = m_copypacket(m, M_NOWAIT);
    if (copy) mbufq_enqueue(&retransq, copy);
    mbufq_enqueue(&sendq, m);
    r.bytes += len;
  }

  // The "driver": software TSO (m_split at MSS boundaries, headers copied to each segment),
  // checksums in software, chains over the segment limit defragmented, then "transmitted".
  while (struct mbuf *m = mbufq_dequeue(&sendq)) {
    std::vector<struct mbuf *> segs;
    if (m->m_pkthdr.csum_flags & CSUM_IP_TSO) {
      const int mss = m->m_pkthdr.tso_segsz;
      // Two bytes in front keep the IP header 4-byte aligned after the Ethernet header.
      alignas(8) uint8_t hdrbuf[2 + kHdrs];
      uint8_t *const hdr = hdrbuf + 2;
      m_copydata(m, 0, kHdrs, reinterpret_cast<caddr_t>(hdr));
      m_adj(m, kHdrs);
      uint32_t sseq = ntohl(reinterpret_cast<struct tcphdr *>(hdr + kEtherHdr + kIpHdr)->th_seq);
      while (m != nullptr) {
        struct mbuf *rest = nullptr;
        if (m->m_pkthdr.len > mss && (rest = m_split(m, mss, M_NOWAIT)) == nullptr) {
          fmt::print(stderr, "demo: out of mbufs splitting a TSO send\n");
          m_freem(m);
          return 1;
        }
        const int plen = m->m_pkthdr.len;
        auto *ip = reinterpret_cast<struct ip *>(hdr + kEtherHdr);
        auto *th = reinterpret_cast<struct tcphdr *>(ip + 1);
        ip->ip_len = htons(static_cast<uint16_t>(kIpHdr + kTcpHdr + plen));
        th->th_seq = htonl(sseq);
        th->th_sum = in_pseudo(ip->ip_src.s_addr, ip->ip_dst.s_addr,
                               htons(static_cast<uint16_t>(kTcpHdr + plen + IPPROTO_TCP)));
        M_PREPEND(m, kHdrs, M_NOWAIT);
        if (m == nullptr) {  // M_PREPEND freed the segment
          fmt::print(stderr, "demo: out of mbufs prepending headers\n");
          m_freem(rest);
          return 1;
        }
        m_copyback(m, 0, kHdrs, reinterpret_cast<c_caddr_t>(hdr));
        m->m_pkthdr.csum_flags = CSUM_IP | CSUM_TCP;
        m->m_pkthdr.csum_data = offsetof(struct tcphdr, th_sum);
        segs.push_back(m);
        sseq += plen;
        m = rest;
      }
    } else {
      segs.push_back(m);
    }
    r.packets++;
    for (struct mbuf *s : segs) {
      int nsegs = 0;
      for (struct mbuf *n = s; n; n = n->m_next) ++nsegs;
      if (nsegs > max_segments) {
        struct mbuf *d = m_collapse(s, M_NOWAIT, max_segments);
        if (d == nullptr) d = m_defrag(s, M_NOWAIT);
        if (d != nullptr) s = d;
        r.defragged++;
      }
      s = SoftwareChecksum(s);
      if (s == nullptr) {
        fmt::print(stderr, "demo: out of mbufs in the checksum path\n");
        return 1;
      }
      r.segments++;
      if (!ChecksumsValid(s)) r.bad_checksums++;
      m_freem(s);
    }
  }
  // The peer acknowledges everything: the retransmission queue is released.
  int retained = mbufq_len(&retransq);
  mbufq_drain(&retransq);

  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("  sent {} TCP/IPv4 packets ({} payload bytes) as {} wire segments\n", r.packets,
             r.bytes, r.segments);
  fmt::print("  software TSO (m_split at MSS 1448), checksums in software (in_cksum)\n");
  fmt::print("  {} chains over the {}-segment limit collapsed/defragmented\n", r.defragged,
             max_segments);
  fmt::print("  {} retransmission copies shared clusters (m_copypacket) and were released\n",
             retained);
  if (r.bad_checksums == 0)
    fmt::print("  checksum check: all {} segments valid\n", r.segments);
  else
    fmt::print("  checksum check: {} of {} segments INVALID\n", r.bad_checksums, r.segments);
  fmt::print("  wall time {:.1f} ms\n\n", ms);
  std::fflush(stdout);
  mbufnic_thread_cache_drain();
  mbufnic_print_netstat_m(stdout);
  return r.bad_checksums == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"mbufnic: SmartNIC offload co-design, host runtime and card"};
  app.require_subcommand(1);
  int npackets = 200;
  uint32_t seed = 1;
  int max_segments = 8;
  CLI::App *demo =
      app.add_subcommand("demo", "Build packets the FreeBSD way and run them through the runtime");
  demo->add_option("-n,--packets", npackets, "Number of TCP sends")->check(CLI::Range(1, 1000000));
  demo->add_option("--seed", seed, "Random seed (runs are reproducible)");
  demo->add_option("--max-segments", max_segments, "Per-packet DMA segment limit")
      ->check(CLI::Range(2, 64));
  CLI::App *stat = app.add_subcommand("stat", "Print netstat -m and vmstat -z style statistics");
  CLI11_PARSE(app, argc, argv);
  if (*demo) return RunDemo(npackets, seed, max_segments);
  if (*stat) {
    mbufnic_print_netstat_m(stdout);
    std::printf("\n");
    mbufnic_print_vmstat_z(stdout);
  }
  return 0;
}
