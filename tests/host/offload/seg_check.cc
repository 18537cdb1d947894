#include "seg_check.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mbufnic::offloadtest {

Frame FromHex(const std::string& hex) {
  Frame f;
  std::string digits;
  for (char c : hex)
    if (!std::isspace(static_cast<unsigned char>(c))) digits += c;
  if (digits.size() % 2 != 0) throw std::invalid_argument("odd number of hex digits");
  for (size_t i = 0; i < digits.size(); i += 2)
    f.push_back(static_cast<uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return f;
}

uint16_t Be16(std::span<const uint8_t> f, size_t at) {
  return static_cast<uint16_t>((f[at] << 8) | f[at + 1]);
}

uint32_t Be32(std::span<const uint8_t> f, size_t at) {
  return (uint32_t{Be16(f, at)} << 16) | Be16(f, at + 2);
}

uint16_t Rfc1071(std::span<const uint8_t> data, uint32_t initial) {
  uint32_t sum = initial;
  for (size_t i = 0; i < data.size(); i += 2) {
    const uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (uint32_t{data[i]} << 8) | lo;
    sum = (sum & 0xffff) + (sum >> 16);  // fold as we go: no overflow at any length
  }
  return static_cast<uint16_t>(sum);
}

::testing::AssertionResult ChecksumsValid(std::span<const uint8_t> seg, const SegRequest& req) {
  const size_t l2 = req.l2hlen, l3 = req.l3hlen, l4 = l2 + l3;
  const bool udp = req.kind == hw::SegKind::kUdp;
  const uint8_t proto = udp ? 17 : 6;
  if (seg.size() < l4 + req.l4hlen)
    return ::testing::AssertionFailure() << "segment shorter than its headers";
  const size_t l4len = seg.size() - l4;

  Frame pseudo;
  if (req.ipv6) {
    if (Be16(seg, l2 + 4) != seg.size() - l2 - 40)
      return ::testing::AssertionFailure() << "IPv6 payload length " << Be16(seg, l2 + 4) << " for "
                                           << seg.size() - l2 - 40 << " bytes";
    pseudo.assign(seg.begin() + l2 + 8, seg.begin() + l2 + 40);
    pseudo.insert(pseudo.end(),
                  {static_cast<uint8_t>(l4len >> 24), static_cast<uint8_t>(l4len >> 16),
                   static_cast<uint8_t>(l4len >> 8), static_cast<uint8_t>(l4len), 0, 0, 0, proto});
  } else {
    if (Rfc1071(seg.subspan(l2, l3)) != 0xffff)
      return ::testing::AssertionFailure() << "IPv4 header checksum does not verify";
    if (Be16(seg, l2 + 2) != seg.size() - l2)
      return ::testing::AssertionFailure()
             << "IPv4 total length " << Be16(seg, l2 + 2) << " for " << seg.size() - l2 << " bytes";
    pseudo.assign(seg.begin() + l2 + 12, seg.begin() + l2 + 20);
    pseudo.insert(pseudo.end(),
                  {0, proto, static_cast<uint8_t>(l4len >> 8), static_cast<uint8_t>(l4len)});
  }
  if (Rfc1071(seg.subspan(l4), Rfc1071(pseudo)) != 0xffff)
    return ::testing::AssertionFailure() << (udp ? "UDP" : "TCP") << " checksum does not verify";
  if (udp && Be16(seg, l4 + 6) == 0)
    return ::testing::AssertionFailure() << "UDP checksum 0 (no checksum)";
  if (udp && Be16(seg, l4 + 4) != l4len)
    return ::testing::AssertionFailure()
           << "UDP length " << Be16(seg, l4 + 4) << " for " << l4len << " bytes";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SegmentsFollowRules(std::span<const uint8_t> frame,
                                               const SegRequest& req, const Frames& segs,
                                               bool all) {
  const size_t l2 = req.l2hlen, l3 = req.l3hlen, l4 = l2 + l3, hdr = l4 + req.l4hlen;
  const bool tcp = req.kind == hw::SegKind::kTcp;
  const size_t mss = req.mss, pay = req.pay_len;
  const size_t n = pay == 0 ? 1 : (pay + mss - 1) / mss;
  if (all ? segs.size() != n : segs.size() > n)
    return ::testing::AssertionFailure() << segs.size() << " segments, expected " << n;

  for (size_t k = 0; k < segs.size(); ++k) {
    const Frame& s = segs[k];
    const size_t off = k * mss, len = std::min(mss, pay - off);
    auto fail = [k]() { return ::testing::AssertionFailure() << "segment " << k << ": "; };
    if (s.size() != hdr + len) return fail() << s.size() << " bytes, expected " << hdr + len;
    if (!std::equal(s.begin() + hdr, s.end(), frame.begin() + hdr + off))
      return fail() << "payload is not bytes [" << off << ", " << off + len << ")";

    // The header the rules give, from the request's; the checksums are checked by verifying.
    Frame want(frame.begin(), frame.begin() + hdr);
    auto put16 = [&want](size_t at, uint32_t v) {
      want[at] = static_cast<uint8_t>(v >> 8);
      want[at + 1] = static_cast<uint8_t>(v);
    };
    if (req.ipv6) {
      put16(l2 + 4, l3 - 40 + req.l4hlen + len);
    } else {
      put16(l2 + 2, l3 + req.l4hlen + len);
      put16(l2 + 4, Be16(frame, l2 + 4) + k);
      put16(l2 + 10, Be16(s, l2 + 10));
    }
    if (tcp) {
      const uint32_t seq = Be32(frame, l4 + 4) + static_cast<uint32_t>(off);
      put16(l4 + 4, seq >> 16);
      put16(l4 + 6, seq);
      if (k != 0) want[l4 + 13] &= 0x7f;          // CWR on the first segment only
      if (k != n - 1) want[l4 + 13] &= 0xff - 9;  // FIN and PSH on the last only
      put16(l4 + 16, Be16(s, l4 + 16));
    } else {
      put16(l4 + 4, 8 + len);
      put16(l4 + 6, Be16(s, l4 + 6));
    }
    const auto diff = std::mismatch(want.begin(), want.end(), s.begin());
    if (diff.first != want.end()) {
      const size_t at = diff.first - want.begin();
      return fail() << "header byte " << at << " is 0x" << std::hex << int{s[at]} << ", expected 0x"
                    << int{want[at]};
    }
    if (::testing::AssertionResult ok = ChecksumsValid(s, req); !ok) return fail() << ok.message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mbufnic::offloadtest
