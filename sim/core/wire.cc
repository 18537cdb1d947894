#include "core/wire.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace mbufnic::sim {

namespace {

constexpr int kSnapLen = 65535;
// Preamble (7), start delimiter (1) and the minimum inter-frame gap (12): what a frame holds
// the link for beyond its own bytes.
constexpr std::uint32_t kOverhead = 20;
// The transmit budget saves up at most one maximal frame (the card's 9216-byte limit plus its
// overhead): after an idle spell the MAC's buffer takes one frame at stream speed, no more.
constexpr double kMaxFrameBytes = 9216 + kOverhead;
// pcap timestamps count from a fixed, arbitrary second, so captures are reproducible.
constexpr std::int64_t kFirstSecond = 1'700'000'000;

}  // namespace

struct Wire::Impl {
  WireConfig cfg;
  double bytes_per_cycle = 0;  // 0: unlimited

  // Transmit.
  double tx_budget = 0;
  std::uint64_t tx_cycle = 0;  // cycle tx_budget was last brought up to date
  std::vector<WireFrame> sent;
  std::uint64_t sent_frames = 0, sent_bytes = 0;
  // Link pauses: [from, to) windows in the order they were set; those over by the time a new
  // one is set are dropped then.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> paused;
  std::uint64_t pauses = 0;
  pcap_t* pcap = nullptr;
  pcap_dumper_t* dumper = nullptr;

  // Receive, in the order frames enter the port.
  std::deque<WireFrame> rx;
  double rx_next = 0;  // earliest cycle the link lets the next frame start
  // The port takes one frame start a cycle: the cycle the last frame was taken, if any.
  std::uint64_t rx_last = 0;
  bool rx_taken = false;

  bool unlimited() const { return bytes_per_cycle <= 0; }

  double Budget(std::uint64_t cycle) const {
    if (cycle <= tx_cycle) return tx_budget;
    return std::min(kMaxFrameBytes,
                    tx_budget + bytes_per_cycle * static_cast<double>(cycle - tx_cycle));
  }

  void Spend(std::uint64_t cycle, double bytes) {
    tx_budget = Budget(cycle) - bytes;
    tx_cycle = std::max(tx_cycle, cycle);
  }

  // Cycles a frame of n bytes holds the link.
  double LinkCycles(std::size_t n) const {
    return unlimited() ? 0.0 : static_cast<double>(n + kOverhead) / bytes_per_cycle;
  }

  std::uint64_t DueCycle(const WireFrame& f) const {
    const auto free = static_cast<std::uint64_t>(std::ceil(rx_next));
    return std::max({f.cycle, free, rx_taken ? rx_last + 1 : 0});
  }

  void WritePcap(std::span<const std::uint8_t> frame, std::uint64_t cycle) {
    // Nanoseconds from the cycle: cycle * 1000 / clock_mhz.
    const double ns = static_cast<double>(cycle) * 1000.0 / cfg.clock_mhz;
    const auto whole = static_cast<std::int64_t>(ns);
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(kFirstSecond + whole / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(whole % 1'000'000'000);  // ns: nano precision
    h.len = static_cast<bpf_u_int32>(frame.size());
    h.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(frame.size(), kSnapLen));
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, frame.data());
    // Flushed per frame, so a test may read the capture while the wire still exists.
    pcap_dump_flush(dumper);
  }
};

Wire::Wire(WireConfig config) : impl_(std::make_unique<Impl>()) {
  Impl& w = *impl_;
  w.cfg = std::move(config);
  if (w.cfg.clock_mhz <= 0) throw std::invalid_argument("wire: clock_mhz must be positive");
  if (w.cfg.link_gbps < 0) throw std::invalid_argument("wire: link_gbps must not be negative");
  // Gb/s -> bytes per card cycle: link_gbps * 1e9 / 8 bytes/s over clock_mhz * 1e6 cycles/s.
  w.bytes_per_cycle = w.cfg.link_gbps * 1e3 / 8.0 / w.cfg.clock_mhz;
  if (!w.cfg.pcap_out.empty()) {
    w.pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kSnapLen, PCAP_TSTAMP_PRECISION_NANO);
    if (!w.pcap) throw std::runtime_error("wire: pcap_open_dead failed");
    w.dumper = pcap_dump_open(w.pcap, w.cfg.pcap_out.c_str());
    if (!w.dumper) {
      std::string err = pcap_geterr(w.pcap);
      pcap_close(w.pcap);
      throw std::runtime_error("wire: cannot create " + w.cfg.pcap_out + ": " + err);
    }
  }
}

Wire::~Wire() {
  if (impl_->dumper) {
    pcap_dump_flush(impl_->dumper);
    pcap_dump_close(impl_->dumper);
  }
  if (impl_->pcap) pcap_close(impl_->pcap);
}

const WireConfig& Wire::config() const { return impl_->cfg; }

bool Wire::TxCredit(std::uint64_t cycle, std::uint32_t bytes) const {
  if (!impl_->paused.empty() && ResumeAt(cycle) != cycle) return false;
  if (impl_->unlimited()) return true;
  return impl_->Budget(cycle) >= static_cast<double>(bytes);
}

void Wire::TxConsume(std::uint64_t cycle, std::uint32_t bytes) {
  if (impl_->unlimited()) return;
  impl_->Spend(cycle, bytes);
}

void Wire::Pause(std::uint64_t cycle, std::uint64_t cycles) {
  if (cycles == 0) return;
  Impl& w = *impl_;
  // Pauses over by now are forgotten (the backends ask about the present and the future).
  while (!w.paused.empty() && w.paused.front().second <= cycle) w.paused.pop_front();
  w.paused.emplace_back(cycle, cycle + cycles);
  ++w.pauses;
}

std::uint64_t Wire::ResumeAt(std::uint64_t cycle) const {
  // Overlapping windows: step past each one that holds `cycle` until none does.
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [from, to] : impl_->paused) {
      if (cycle >= from && cycle < to) {
        cycle = to;
        moved = true;
      }
    }
  }
  return cycle;
}

std::uint64_t Wire::pauses() const { return impl_->pauses; }

void Wire::Sent(std::span<const std::uint8_t> frame, std::uint64_t cycle) {
  Impl& w = *impl_;
  if (!w.unlimited()) w.Spend(cycle, kOverhead);
  ++w.sent_frames;
  w.sent_bytes += frame.size();
  if (w.dumper) w.WritePcap(frame, cycle);
  WireFrame f;
  f.data.assign(frame.begin(), frame.end());
  f.cycle = cycle;
  if (w.cfg.loopback) Inject(f.data, cycle + w.cfg.loopback_delay);
  w.sent.push_back(std::move(f));
}

std::vector<WireFrame> Wire::TakeSent() {
  std::vector<WireFrame> out;
  out.swap(impl_->sent);
  return out;
}

std::uint64_t Wire::sent_frames() const { return impl_->sent_frames; }
std::uint64_t Wire::sent_bytes() const { return impl_->sent_bytes; }

void Wire::Inject(std::vector<std::uint8_t> frame, std::uint64_t cycle, bool bad) {
  WireFrame f;
  f.data = std::move(frame);
  f.cycle = cycle;
  f.bad = bad;
  // Frames enter in time order; frames injected for the same cycle keep their order.
  auto& rx = impl_->rx;
  auto at = std::upper_bound(rx.begin(), rx.end(), cycle,
                             [](std::uint64_t c, const WireFrame& x) { return c < x.cycle; });
  rx.insert(at, std::move(f));
}

std::size_t Wire::InjectPcap(const std::string& path, std::uint64_t cycle) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) throw std::runtime_error("wire: cannot open " + path + ": " + err);
  if (pcap_datalink(p) != DLT_EN10MB) {
    pcap_close(p);
    throw std::runtime_error("wire: " + path + " is not an Ethernet capture");
  }
  std::vector<std::vector<std::uint8_t>> frames;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) frames.emplace_back(data, data + h->caplen);
  std::string why = rc == PCAP_ERROR ? pcap_geterr(p) : "";
  pcap_close(p);
  if (rc != PCAP_ERROR_BREAK) throw std::runtime_error("wire: error reading " + path + ": " + why);
  double at = static_cast<double>(cycle);
  for (auto& f : frames) {
    const double hold = impl_->LinkCycles(f.size());
    Inject(std::move(f), static_cast<std::uint64_t>(std::ceil(at)));
    at += hold;
  }
  return frames.size();
}

const WireFrame* Wire::RxDue(std::uint64_t cycle) const {
  const Impl& w = *impl_;
  if (w.rx.empty() || w.DueCycle(w.rx.front()) > cycle) return nullptr;
  return &w.rx.front();
}

void Wire::RxPop(std::uint64_t cycle) {
  Impl& w = *impl_;
  if (w.rx.empty()) return;
  const WireFrame& f = w.rx.front();
  // The link carries the frame from when it was free or the frame arrived, whichever is
  // later, for its bytes and overhead.  Kept in fractions of a cycle, so frames that hold the
  // link for 30.4 (or 1.68) cycles come 30.4 (1.68) cycles apart on average, not 31 (2); the
  // one-start-a-cycle rule is kept apart (rx_last), so it does not round the link time up.
  const double start = std::max(w.rx_next, static_cast<double>(f.cycle));
  w.rx_next = start + w.LinkCycles(f.data.size());
  w.rx_last = cycle;
  w.rx_taken = true;
  w.rx.pop_front();
}

std::size_t Wire::rx_pending() const { return impl_->rx.size(); }

std::uint64_t Wire::NextEvent() const {
  const Impl& w = *impl_;
  if (w.rx.empty()) return std::numeric_limits<std::uint64_t>::max();
  return w.DueCycle(w.rx.front());
}

}  // namespace mbufnic::sim
