// `mbufnic traffic` (traffic_cmd.h).
#include "traffic_cmd.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "workload.h"

namespace mbufnic::cli {

namespace {

constexpr std::uint64_t kDefaultSends = 10000;
constexpr int kIp4Hdr = 20, kIp6Hdr = 40, kTcpHdr = 32 /* with timestamps */, kUdpHdr = 8;
// The IP length fields: IPv4's counts its own header, IPv6's payload length does not.
constexpr std::uint32_t kIpMaxLen = 65535;

struct Range {
  std::uint32_t min = 1, max = 1;
};

// "N" or "MIN-MAX", both at least 1 and MIN <= MAX.
bool ParseSize(std::string_view s, Range *r, std::string *why) {
  auto number = [](std::string_view t, std::uint32_t *v) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
    return ec == std::errc() && end == t.data() + t.size() && !t.empty();
  };
  const std::size_t dash = s.find('-');
  const bool ok = dash == std::string_view::npos
                      ? number(s, &r->min) && number(s, &r->max)
                      : number(s.substr(0, dash), &r->min) && number(s.substr(dash + 1), &r->max);
  if (!ok) {
    *why = fmt::format("--size {}: want N or MIN-MAX, payload bytes per send", s);
  } else if (r->min == 0) {
    *why = fmt::format("--size {}: a send carries at least 1 byte", s);
  } else if (r->min > r->max) {
    *why = fmt::format("--size {}: the minimum is above the maximum", s);
  } else {
    return true;
  }
  return false;
}

// What one send of a flow may carry at most, and why, for the limit message.
std::uint32_t SendLimit(const FlowSpec &f, int mtu, std::string *why) {
  const bool v4 = f.l3 == L3::kIpv4;
  const int ip = v4 ? kIp4Hdr : kIp6Hdr;
  if (f.l4 == L4::kUdp) {
    *why = fmt::format("a UDP datagram over IPv{} fits the MTU {}", v4 ? 4 : 6, mtu);
    return static_cast<std::uint32_t>(mtu - ip - kUdpHdr);
  }
  if (!f.tso) {
    *why = fmt::format("a TCP send without TSO over IPv{} is one segment of at most its MSS {}",
                       v4 ? 4 : 6, f.mss);
    return f.mss;
  }
  *why = fmt::format("a TSO send over IPv{} fits the IP length field", v4 ? 4 : 6);
  return kIpMaxLen - kTcpHdr - (v4 ? kIp4Hdr : 0);
}

std::string Words(const std::string &choice, const char *one, const char *other) {
  if (choice == "mix") return fmt::format("{} and {}", one, other);
  return choice == "tcp" || choice == "4" ? one : other;
}

// The progress line on stderr: redrawn in place, wiped at the end.
class ProgressBar {
 public:
  ProgressBar(std::uint64_t sends, double duration) : sends_(sends), duration_(duration) {}

  void operator()(const WorkloadProgress &p) const {
    if (p.done) {
      std::fputs("\r\x1b[K", stderr);
      std::fflush(stderr);
      return;
    }
    double done = 0;
    if (sends_ != kNoSendLimit) done = static_cast<double>(p.sends) / static_cast<double>(sends_);
    if (duration_ > 0) done = std::max(done, p.wall_seconds / duration_);
    done = std::min(done, 1.0);
    constexpr int kWidth = 24;
    const int full = static_cast<int>(done * kWidth);
    const double sim_us = static_cast<double>(p.cycles) / p.clock_mhz;
    const double gbps = sim_us > 0 ? static_cast<double>(p.wire_bytes) * 8 / (sim_us * 1e3) : 0;
    const double pps = p.wall_seconds > 0 ? static_cast<double>(p.frames) / p.wall_seconds : 0;
    fmt::print(stderr,
               "\r[{:#<{}}{:.<{}}] {:3.0f}%  {} sends  {} frames back  {:.1f} Gb/s "
               "simulated  {:.0f} frames/s wall\x1b[K",
               "", full, "", kWidth - full, done * 100, p.sends, p.frames, gbps, pps);
    std::fflush(stderr);
  }

 private:
  std::uint64_t sends_;
  double duration_;
};

}  // namespace

FlowPlan PlanFlows(const TrafficOptions &o) {
  FlowPlan plan;
  Range want;
  const bool sized = !o.size.empty();
  if (sized && !ParseSize(o.size, &want, &plan.error)) return plan;
  if (o.mss + kIp4Hdr + kTcpHdr > o.mtu) {
    plan.error = fmt::format(
        "--mss {} does not fit the MTU {}: at most {} (each segment also carries 20 bytes of "
        "IPv4 header and 32 of TCP header with timestamps){}",
        o.mss, o.mtu, o.mtu - kIp4Hdr - kTcpHdr,
        o.mtu < 9000 ? "; --mtu up to 9000 gives jumbo frames" : "");
    return plan;
  }
  std::uint32_t most = 0;  // the largest send any flow can make
  std::string most_why;
  for (int i = 0; i < o.flows; ++i) {
    FlowSpec f;
    f.l4 = o.proto == "tcp"   ? L4::kTcp
           : o.proto == "udp" ? L4::kUdp
                              : (i % 2 == 0 ? L4::kTcp : L4::kUdp);
    // With both protocols, IP versions alternate every second flow so that each protocol gets
    // both: tcp4, udp4, tcp6, udp6, ...
    const int k = o.proto == "mix" ? i / 2 : i;
    f.l3 = o.ip == "4" ? L3::kIpv4 : o.ip == "6" ? L3::kIpv6 : (k % 2 == 0 ? L3::kIpv4 : L3::kIpv6);
    const bool v4 = f.l3 == L3::kIpv4;
    // The same MTU-sized frame for both versions: IPv6's header is 20 bytes longer.
    f.mss = static_cast<std::uint16_t>(v4 ? o.mss : o.mss - (kIp6Hdr - kIp4Hdr));
    f.tso = f.l4 == L4::kTcp && o.tso;
    f.vlan = static_cast<std::uint16_t>(o.vlan);
    f.name = fmt::format("{}{}-{}", f.l4 == L4::kTcp ? "tcp" : "udp", v4 ? 4 : 6, i);
    if (o.vlan != 0) f.name += fmt::format("-vlan{}", o.vlan);
    std::string why;
    const std::uint32_t limit = SendLimit(f, o.mtu, &why);
    if (limit > most) {
      most = limit;
      most_why = why;
    }
    f.min_len = sized ? std::min(want.min, limit) : 1;
    f.max_len = sized ? std::min(want.max, limit) : limit;
    f.tails = !sized;  // sizes asked for are the sizes sent
    plan.flows.push_back(f);
  }
  if (sized && want.max > most) {
    std::string hint;
    if (!o.tso && o.proto != "udp") hint += "; without --no-tso TCP sends go up to 64 KiB";
    if (o.mtu < 9000 && (!o.tso || o.proto == "udp")) {
      hint += "; --mtu up to 9000 gives jumbo frames (and --mss to match, for TCP)";
    }
    plan.error =
        fmt::format("--size {}: no flow here sends {} bytes at once; the most is {} ({}){}", o.size,
                    want.max, most, most_why, hint);
    plan.flows.clear();
  }
  return plan;
}

int RunTraffic(const TrafficOptions &o) {
  const FlowPlan plan = PlanFlows(o);
  if (!plan.error.empty()) {
    fmt::print(stderr, "mbufnic traffic: {}\n", plan.error);
    return 2;
  }
  WorkloadOptions w = WorkloadFor("traffic", o.common);
  w.pcap = o.pcap;
  w.offloads = o.offloads;
  w.duration = o.duration;
  w.fault_every = o.faults;
  w.mtu = static_cast<std::uint32_t>(o.mtu);
  w.sends = o.sends != 0 ? o.sends : o.duration > 0 ? kNoSendLimit : kDefaultSends;
  const bool show = o.progress == 1 || (o.progress == -1 && !o.common.json && isatty(2) != 0);
  ProgressFn progress;
  if (show) progress = ProgressBar(w.sends, w.duration);
  const WorkloadResult r = RunWorkload(w, plan.flows, progress);
  if (!r.opened) return 2;

  if (o.common.json) {
    nlohmann::json j = WorkloadJson(r, w);
    j["options"] = {{"flows", o.flows},
                    {"proto", o.proto},
                    {"ip", o.ip},
                    {"size", o.size},
                    {"mss", o.mss},
                    {"mtu", o.mtu},
                    {"vlan", o.vlan},
                    {"tso", o.tso},
                    {"sends", w.sends == kNoSendLimit ? nlohmann::json() : nlohmann::json(w.sends)},
                    {"duration", o.duration},
                    {"faults", o.faults}};
    j["frames_per_second"] = r.frames_per_second();
    j["stopped_by_time"] = r.stopped_by_time;
    if (o.stat) j["stat"] = StatJson(r);
    fmt::print("{}\n", j.dump(2));
  } else {
    std::string what = fmt::format("({} over {}; MSS {}, MTU {}", Words(o.proto, "TCP", "UDP"),
                                   Words(o.ip, "IPv4", "IPv6"), o.mss, o.mtu);
    if (o.vlan != 0) what += fmt::format(", VLAN {}", o.vlan);
    if (!o.tso && o.proto != "udp") what += ", no TSO";
    what += ")";
    PrintSummary(r, w,
                 {.what_flows = what, .rates = true, .verbose = o.common.verbose, .stat = o.stat});
  }
  return r.ok() ? 0 : 1;
}

}  // namespace mbufnic::cli
