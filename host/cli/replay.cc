// `mbufnic replay` (replay.h).
#include "replay.h"

#include <fmt/core.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <sys/mbuf.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "coalesce.h"
#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "workload.h"

namespace mbufnic::cli {

namespace {

constexpr int kBurst = 32;
constexpr std::uint64_t kPollCycles = 500;
constexpr std::uint64_t kStallCycles = 2'000'000;
constexpr std::size_t kEtherHdr = 14;

struct Capture {
  std::vector<Frame> frames;
  std::size_t snapped = 0;  // records holding less than the frame (snap length)
};

// Every frame of an Ethernet capture; throws std::runtime_error with a message a user can act
// on (file missing or not a capture, another link type, a record cut short).
Capture ReadCapture(const std::string &path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t *p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) throw std::runtime_error(fmt::format("cannot read {}: {}", path, err));
  const std::unique_ptr<pcap_t, void (*)(pcap_t *)> closer(p, pcap_close);
  const int link = pcap_datalink(p);
  if (link != DLT_EN10MB) {
    const char *name = pcap_datalink_val_to_name(link);
    throw std::runtime_error(
        fmt::format("{}: link type {} ({}) is not Ethernet; the card takes "
                    "Ethernet frames",
                    path, name != nullptr ? name : "unknown", link));
  }
  Capture c;
  for (;;) {
    struct pcap_pkthdr *h = nullptr;
    const u_char *data = nullptr;
    const int r = pcap_next_ex(p, &h, &data);
    if (r == PCAP_ERROR_BREAK) break;  // the end of the file
    if (r != 1) {
      throw std::runtime_error(fmt::format("{}: {} (after {} whole frames)", path, pcap_geterr(p),
                                           c.frames.size() + c.snapped));
    }
    if (h->caplen < h->len) {
      ++c.snapped;
      continue;
    }
    c.frames.emplace_back(data, data + h->caplen);
  }
  return c;
}

Frame Bytes(const struct mbuf *m) {
  Frame f(static_cast<std::size_t>(m->m_pkthdr.len));
  m_copydata(m, 0, m->m_pkthdr.len, reinterpret_cast<caddr_t>(f.data()));
  return f;
}

// Where two frames first differ, for a message.
std::string Difference(const Frame &want, const Frame &got) {
  if (want.size() != got.size()) {
    return fmt::format("{} bytes sent, {} came back", want.size(), got.size());
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] != got[i]) {
      return fmt::format("byte {} was {:#04x}, came back {:#04x}", i, want[i], got[i]);
    }
  }
  return "identical";
}

// The chain for one send: the frame as it is, or the TSO request with segmentation asked for as
// tcp_output and ip_output ask for it (the driver re-seeds th_sum).
struct mbuf *Chain(const std::vector<Frame> &frames, const Send &send) {
  const Frame &bytes = send.tso() ? send.request : frames[send.frames.front()];
  struct mbuf *m = m_devget(reinterpret_cast<char *>(const_cast<std::uint8_t *>(bytes.data())),
                            static_cast<int>(bytes.size()), 0, nullptr, nullptr);
  if (m == nullptr || !send.tso()) return m;
  m->m_pkthdr.csum_flags =
      send.ipv6 ? CSUM_IP6_TCP | CSUM_IP6_TSO : CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
  m->m_pkthdr.csum_data = offsetof(struct tcphdr, th_sum);
  m->m_pkthdr.tso_segsz = send.mss;
  m->m_pkthdr.l2hlen = send.l2hlen;
  m->m_pkthdr.l3hlen = send.l3hlen;
  m->m_pkthdr.l4hlen = send.l4hlen;
  return m;
}

// A frame expected back, with its place in the capture.
struct Expected {
  Frame bytes;
  std::size_t place;
};

}  // namespace

int RunReplay(const ReplayOptions &o) {
  const auto wall0 = std::chrono::steady_clock::now();
  Capture cap;
  try {
    cap = ReadCapture(o.in);
  } catch (const std::exception &e) {
    fmt::print(stderr, "mbufnic replay: {}\n", e.what());
    return 2;
  }

  std::unique_ptr<device::Device> dev =
      OpenLoopbackCard("replay", o.common.backend, o.common.seed, o.out, o.common.trace);
  if (dev == nullptr) return 2;

  // What goes in, in order; what is skipped, and why.
  std::size_t runts = 0, too_long = 0;
  std::deque<Expected> expected;
  std::uint64_t sent_bytes = 0;
  std::size_t sent = 0, chains = 0;
  std::size_t coalesced = 0, tso_sends = 0, csum_fixed = 0;  // --tso
  device::Counters cc;
  std::size_t received = 0, identical = 0, different = 0, vlan = 0;
  std::size_t l3_good = 0, l3_bad = 0, l4_good = 0, unchecked = 0;
  std::vector<std::string> diffs;
  std::uint64_t cycles = 0;
  bool stalled = false;
  {
    std::unique_ptr<driver::Nic> nic;
    driver::NicOptions nopt;
    nopt.rx_buf_size = MJUM9BYTES;  // a jumbo frame in one buffer
    try {
      nic = std::make_unique<driver::Nic>(*dev, nopt);
    } catch (const std::exception &e) {
      fmt::print(stderr, "mbufnic replay: cannot bring the card up: {}\n", e.what());
      return 2;
    }
    // The frames that can go, with their places in the capture.
    std::vector<Frame> frames;
    std::vector<std::size_t> place;
    for (std::size_t i = 0; i < cap.frames.size(); ++i) {
      Frame &f = cap.frames[i];
      if (f.size() < kEtherHdr) {
        ++runts;
      } else if (f.size() > nic->max_frame()) {
        ++too_long;
      } else {
        frames.push_back(std::move(f));
        place.push_back(i);
      }
    }
    std::vector<Send> sends;
    if (o.tso) {
      sends = Coalesce(frames, nic->max_frame());
    } else {
      for (std::size_t i = 0; i < frames.size(); ++i) sends.push_back(Send{{i}});
    }
    const auto handler = [&](int, struct mbuf *m) {
      ++received;
      if ((m->m_flags & M_VLANTAG) != 0) ++vlan;
      const std::uint32_t fl = m->m_pkthdr.csum_flags;
      if ((fl & CSUM_L3_CALC) != 0) ((fl & CSUM_L3_VALID) != 0 ? l3_good : l3_bad)++;
      if ((fl & CSUM_L4_VALID) != 0) {
        ++l4_good;
      } else {
        ++unchecked;  // not checked, or checked and bad: the stack looks again
      }
      const Frame got = Bytes(m);
      m_freem(m);
      if (expected.empty()) {
        ++different;
        diffs.push_back(
            fmt::format("a frame of {} bytes came back that was never sent", got.size()));
        return;
      }
      if (got == expected.front().bytes) {
        ++identical;
      } else {
        ++different;
        diffs.push_back(fmt::format("frame {}: {}", expected.front().place + 1,
                                    Difference(expected.front().bytes, got)));
      }
      expected.pop_front();
    };
    std::size_t next = 0;
    std::uint64_t last_progress = dev->Now();
    std::size_t last_received = 0;
    const std::uint64_t start = dev->Now();
    std::vector<struct mbuf *> burst;
    while (next < sends.size() || !expected.empty()) {
      burst.clear();
      while (next + burst.size() < sends.size() && burst.size() < kBurst) {
        struct mbuf *m = Chain(frames, sends[next + burst.size()]);
        if (m == nullptr) break;  // out of mbufs for now: try again after the card ran
        burst.push_back(m);
      }
      const int taken =
          burst.empty() ? 0 : nic->Transmit(0, burst.data(), static_cast<int>(burst.size()));
      for (std::size_t i = static_cast<std::size_t>(taken); i < burst.size(); ++i) {
        m_freem(burst[i]);  // not taken: sent again in the next round
      }
      for (int i = 0; i < taken; ++i, ++next) {
        const Send &send = sends[next];
        ++chains;
        for (const std::size_t f : send.frames) {
          Expected e{send.tso() ? WithTcpChecksums(frames[f]) : frames[f], place[f]};
          if (send.tso()) {
            ++coalesced;
            if (e.bytes != frames[f]) ++csum_fixed;
          }
          ++sent;
          sent_bytes += frames[f].size();
          expected.push_back(std::move(e));
        }
        if (send.tso()) ++tso_sends;
      }
      nic->Poll(kPollCycles, handler);
      if (received != last_received || taken > 0) {
        last_received = received;
        last_progress = dev->Now();
      } else if (dev->Now() - last_progress > kStallCycles) {
        stalled = true;
        break;
      }
    }
    for (int i = 0; i < 100 && nic->TxFree(0) < nopt.tx_ring_size - 1; ++i) {
      nic->Poll(kPollCycles, handler);
    }
    cycles = dev->Now() - start;
    cc = nic->ReadStats();
  }
  std::vector<std::string> violations;
  if (sim::HostMemory *mem = dev->memory()) violations = mem->violations();
  const double mhz = dev->ClockMhz();
  const std::string backend(dev->Name());
  dev.reset();  // closes the output capture
  const std::size_t missing = expected.size();
  const bool ok = different == 0 && missing == 0 && !stalled && violations.empty();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const std::size_t skipped = cap.snapped + runts + too_long;

  if (o.common.json) {
    nlohmann::json j;
    j["ok"] = ok;
    j["backend"] = backend;
    j["in"] = o.in;
    j["out"] = o.out;
    j["frames_in"] = cap.frames.size() + cap.snapped;
    j["skipped"] = {{"snapped", cap.snapped}, {"runts", runts}, {"too_long", too_long}};
    j["sent"] = sent;
    j["sent_bytes"] = sent_bytes;
    j["chains"] = chains;
    if (o.tso) {
      j["tso"] = {{"segments_coalesced", coalesced},  {"sends", tso_sends},
                  {"checksums_filled", csum_fixed},   {"card_requests", cc.tso_requests},
                  {"card_segments", cc.tso_segments}, {"card_errors", cc.tso_errors}};
    }
    j["received"] = received;
    j["identical"] = identical;
    j["different"] = different;
    j["missing"] = missing;
    j["vlan"] = vlan;
    j["rx_csum"] = {
        {"l3_good", l3_good}, {"l3_bad", l3_bad}, {"l4_good", l4_good}, {"l4_not_good", unchecked}};
    j["differences"] = diffs;
    j["dma_violations"] = violations.size();
    j["cycles"] = cycles;
    j["simulated_us"] = static_cast<double>(cycles) / mhz;
    j["wall_seconds"] = wall;
    fmt::print("{}\n", j.dump(2));
    return ok ? 0 : 1;
  }
  fmt::print("mbufnic replay: {} through the card on backend '{}'\n", o.in, backend);
  fmt::print(
      "  in        {} frames; {} skipped ({} captured short of their length, {} under 14 "
      "bytes, {} over the card's maximum)\n",
      cap.frames.size() + cap.snapped, skipped, cap.snapped, runts, too_long);
  fmt::print("  sent      {} frames, {} bytes (capture: {})\n", sent, sent_bytes,
             o.out.empty() ? "none" : o.out);
  if (o.tso) {
    fmt::print(
        "  tso       {} TCP segments coalesced into {} sends; the card cut {} requests into {} "
        "segments ({} refused); {} chains in all\n",
        coalesced, tso_sends, cc.tso_requests, cc.tso_segments, cc.tso_errors, chains);
    if (csum_fixed != 0) {
      fmt::print(
          "            {} of them had checksums unfilled or wrong in the capture (taken before "
          "the sender's offload): expected back with correct ones\n",
          csum_fixed);
    }
  }
  fmt::print("  received  {} frames: {} identical, {} different, {} missing\n", received, identical,
             different, missing);
  fmt::print(
      "  rx csum   IPv4 header good {} bad {}; TCP/UDP good {}, not good or not checked {}; "
      "{} with a VLAN tag\n",
      l3_good, l3_bad, l4_good, unchecked, vlan);
  fmt::print("  time      {} cycles = {:.1f} us at {:.0f} MHz; {:.2f} s wall\n", cycles,
             static_cast<double>(cycles) / mhz, mhz, wall);
  const std::size_t show =
      o.common.verbose ? diffs.size() : std::min<std::size_t>(diffs.size(), 10);
  for (std::size_t i = 0; i < show; ++i) fmt::print("  differs   {}\n", diffs[i]);
  if (show < diffs.size())
    fmt::print("  ... {} more (--verbose lists them)\n", diffs.size() - show);
  for (const std::string &v : violations) fmt::print("  DMA violation: {}\n", v);
  if (stalled) fmt::print("  the card stopped handing frames back ({} missing)\n", missing);
  fmt::print("  result    {}\n", ok ? "every frame came back as it went in" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace mbufnic::cli
