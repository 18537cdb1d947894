// `mbufnic replay --tso`: segments back into sends (coalesce.h).
#include "coalesce.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "mbufnic/cksum.h"
#include "offload/wire.h"

namespace mbufnic::cli {

namespace {

using offload::Get16;
using offload::Get32;

// TCP flag bits (byte 13 of the header).
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kUrg = 0x20, kCwr = 0x80;
constexpr std::uint32_t kMaxMss = 9216;    // the segmenter's MaxMss
constexpr std::uint32_t kMaxHeader = 256;  // and MaxHdrBytes
constexpr std::uint32_t kMaxIpLength = 65535;

// A TCP segment as Coalesce takes it.
struct Segment {
  std::uint8_t l2 = 0, l3 = 0, l4 = 0;
  bool ipv6 = false;
  std::uint16_t ip_id = 0;
  std::uint32_t seq = 0;
  std::uint8_t flags = 0;
  std::uint32_t payload = 0;
  std::size_t hdr() const { return std::size_t{l2} + l3 + l4; }
};

// The segment in `f`, when it is one the segmenter could have made (coalesce.h).
std::optional<Segment> ParseSegment(const Frame &f) {
  Segment s;
  std::size_t l2 = 14;
  if (f.size() < l2) return std::nullopt;
  std::uint16_t type = Get16(&f[12]);
  for (int tags = 0; tags < 2 && (type == ETHERTYPE_VLAN || type == offload::kEtherTypeQinq);
       ++tags) {
    if (f.size() < l2 + 4) return std::nullopt;
    type = Get16(&f[l2 + 2]);
    l2 += 4;
  }
  const std::uint8_t *ip = f.data() + l2;
  std::size_t l3 = 0, ip_end = 0;
  if (type == ETHERTYPE_IP) {
    if (f.size() < l2 + 20 || (ip[0] >> 4) != 4) return std::nullopt;
    l3 = std::size_t{ip[0] & 15u} * 4;
    const bool fragment = (Get16(ip + 6) & 0x3fff) != 0;  // MF or an offset
    if (l3 < 20 || ip[9] != IPPROTO_TCP || fragment) return std::nullopt;
    ip_end = l2 + Get16(ip + 2);
    s.ip_id = Get16(ip + 4);
  } else if (type == ETHERTYPE_IPV6) {
    if (f.size() < l2 + 40 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP) return std::nullopt;
    l3 = 40;
    ip_end = l2 + 40 + Get16(ip + 4);
    s.ipv6 = true;
  } else {
    return std::nullopt;
  }
  // The frame must end where IP says: padding or a trailer would not come back from the card.
  if (ip_end != f.size() || f.size() < l2 + l3 + 20) return std::nullopt;
  const std::uint8_t *th = ip + l3;
  const std::size_t l4 = std::size_t{th[12]} >> 4 << 2;
  if (l4 < 20 || l2 + l3 + l4 > f.size() || l2 + l3 + l4 > kMaxHeader) return std::nullopt;
  s.l2 = static_cast<std::uint8_t>(l2);
  s.l3 = static_cast<std::uint8_t>(l3);
  s.l4 = static_cast<std::uint8_t>(l4);
  s.seq = Get32(th + 4);
  s.flags = th[13];
  s.payload = static_cast<std::uint32_t>(f.size() - s.hdr());
  return s;
}

// Whether two segments' headers agree apart from the fields the segmenter writes.
bool SameHeaders(const Frame &a, const Frame &b, const Segment &s) {
  const std::size_t ip = s.l2, th = std::size_t{s.l2} + s.l3;
  for (std::size_t i = 0; i < s.hdr(); ++i) {
    const bool written = (s.ipv6 ? (i == ip + 4 || i == ip + 5)
                                 : (i >= ip + 2 && i <= ip + 5) || i == ip + 10 || i == ip + 11) ||
                         (i >= th + 4 && i <= th + 7) || i == th + 13 || i == th + 16 ||
                         i == th + 17;
    if (!written && a[i] != b[i]) return false;
  }
  return true;
}

// The flow a segment belongs to: Ethernet header with its tags, IP addresses and TCP ports.
std::string FlowKey(const Frame &f, const Segment &s) {
  std::string key(f.begin(), f.begin() + s.l2);
  const std::size_t addr = s.l2 + (s.ipv6 ? 8u : 12u), addr_len = s.ipv6 ? 32u : 8u;
  key.append(f.begin() + static_cast<std::ptrdiff_t>(addr),
             f.begin() + static_cast<std::ptrdiff_t>(addr + addr_len));
  const std::size_t th = std::size_t{s.l2} + s.l3;
  key.append(f.begin() + static_cast<std::ptrdiff_t>(th),
             f.begin() + static_cast<std::ptrdiff_t>(th + 4));
  return key;
}

void Put16(std::uint8_t *p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// The request of a send of several segments (coalesce.h).
void BuildRequest(const std::vector<Frame> &frames, Send &send, const Segment &first,
                  const Segment &last) {
  const Frame &head = frames[send.frames.front()];
  Frame &r = send.request;
  r.assign(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(first.hdr()));
  std::uint32_t payload = 0;
  for (const std::size_t i : send.frames) {
    const Frame &f = frames[i];
    r.insert(r.end(), f.begin() + static_cast<std::ptrdiff_t>(first.hdr()), f.end());
    payload += static_cast<std::uint32_t>(f.size() - first.hdr());
  }
  std::uint8_t *ip = r.data() + first.l2;
  std::uint8_t *th = ip + first.l3;
  if (first.ipv6) {
    Put16(ip + 4, first.l4 + payload);
  } else {
    Put16(ip + 2, std::uint32_t{first.l3} + first.l4 + payload);
    Put16(ip + 10, 0);
  }
  th[13] = static_cast<std::uint8_t>(first.flags | (last.flags & (kFin | kPsh)));
  Put16(th + 16, 0);
  send.mss = static_cast<std::uint16_t>(first.payload);
  send.l2hlen = first.l2;
  send.l3hlen = first.l3;
  send.l4hlen = first.l4;
  send.ipv6 = first.ipv6;
}

}  // namespace

std::vector<Send> Coalesce(const std::vector<Frame> &frames, std::size_t max_frame) {
  struct Open {
    std::size_t send;  // index into sends
    Segment first, last;
    std::uint32_t payload = 0;
  };
  std::vector<Send> sends;
  std::vector<Segment> firsts, lasts;  // per send, for its request
  std::map<std::string, Open> open;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Frame &f = frames[i];
    const std::optional<Segment> seg = f.size() <= max_frame ? ParseSegment(f) : std::nullopt;
    const bool joinable = seg && seg->payload > 0 && (seg->flags & (kSyn | kRst | kUrg)) == 0;
    if (!joinable) {
      sends.push_back(Send{{i}, {}, 0, 0, 0, 0, false});
      firsts.emplace_back();
      lasts.emplace_back();
      continue;
    }
    const std::string key = FlowKey(f, *seg);
    auto it = open.find(key);
    if (it != open.end()) {
      Open &o = it->second;
      const Segment &s0 = o.first;
      const Send &send = sends[o.send];
      const std::uint32_t k = static_cast<std::uint32_t>(send.frames.size());
      const bool fits = seg->l2 == s0.l2 && seg->l3 == s0.l3 && seg->l4 == s0.l4 &&
                        seg->ipv6 == s0.ipv6 && seg->payload <= s0.payload &&
                        std::uint32_t{s0.l3} + s0.l4 + o.payload + seg->payload <= kMaxIpLength &&
                        seg->seq == s0.seq + k * s0.payload &&
                        (s0.ipv6 || seg->ip_id == static_cast<std::uint16_t>(s0.ip_id + k)) &&
                        (seg->flags & ~(kFin | kPsh)) == (s0.flags & ~kCwr) &&
                        SameHeaders(frames[send.frames.front()], f, s0);
      if (fits) {
        sends[o.send].frames.push_back(i);
        o.last = *seg;
        o.payload += seg->payload;
        if (seg->payload < s0.payload || (seg->flags & (kFin | kPsh)) != 0) {
          lasts[o.send] = o.last;
          open.erase(it);
        }
        continue;
      }
      lasts[o.send] = o.last;
      open.erase(it);
    }
    // The first segment of a send.
    sends.push_back(Send{{i}, {}, 0, 0, 0, 0, false});
    firsts.push_back(*seg);
    lasts.push_back(*seg);
    const bool may_grow = (seg->flags & (kFin | kPsh)) == 0 && seg->payload <= kMaxMss;
    if (may_grow) open[key] = Open{sends.size() - 1, *seg, *seg, seg->payload};
  }
  for (const auto &[key, o] : open) lasts[o.send] = o.last;
  for (std::size_t s = 0; s < sends.size(); ++s) {
    if (sends[s].tso()) BuildRequest(frames, sends[s], firsts[s], lasts[s]);
  }
  return sends;
}

Frame WithTcpChecksums(const Frame &frame) {
  const std::optional<Segment> s = ParseSegment(frame);
  if (!s) return frame;
  Frame f = frame;
  std::uint8_t *ip = f.data() + s->l2;
  std::uint8_t *th = ip + s->l3;
  const std::uint32_t l4_len = s->l4 + s->payload;
  // Sums in memory order (cksum.h): constants go in network order, results are stored as they
  // come.
  std::uint32_t pseudo =
      std::uint32_t{htons(IPPROTO_TCP)} + htons(static_cast<std::uint16_t>(l4_len));
  std::uint16_t sum = 0;
  if (s->ipv6) {
    pseudo += mbufnic_cksum_raw(ip + 8, 32, 0);
  } else {
    std::memcpy(ip + 10, &sum, 2);
    sum = static_cast<std::uint16_t>(~mbufnic_cksum_raw(ip, s->l3, 0));
    std::memcpy(ip + 10, &sum, 2);
    pseudo += mbufnic_cksum_raw(ip + 12, 8, 0);
  }
  sum = 0;
  std::memcpy(th + 16, &sum, 2);
  sum = static_cast<std::uint16_t>(~mbufnic_cksum_raw(th, l4_len, pseudo));
  std::memcpy(th + 16, &sum, 2);
  return f;
}

}  // namespace mbufnic::cli
