#include "workload.h"

#include <sys/mbuf.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "frame_gen.h"
#include "mbufnic/sw_offload.hpp"
#include "seg_gen.h"

namespace mbufnic::systest {
namespace {

using drivertest::Layout;
using rtltest::FrameSpec;

constexpr std::size_t kMaxFrame = 9216;  // the card's max_frame: the receive side takes no more

// The csum_flags FreeBSD's stack sets for a transmit case (every checksum that applies).
std::uint32_t CsumFlags(const rtltest::TxCase &tc) {
  std::uint32_t f = tc.ip4_en ? CSUM_IP : 0;
  if (tc.l4_en) {
    f |= tc.ip4_en ? (tc.udp ? CSUM_IP_UDP : CSUM_IP_TCP) : (tc.udp ? CSUM_IP6_UDP : CSUM_IP6_TCP);
  }
  return f;
}

class Generator {
 public:
  explicit Generator(const WorkloadOptions &o) : o_(o), rng_(o.seed) {}

  std::vector<Item> Run() {
    std::vector<Item> items;
    items.reserve(static_cast<std::size_t>(o_.count));
    std::discrete_distribution<int> pick(std::begin(o_.weights), std::end(o_.weights));
    for (int i = 0; i < o_.count; ++i) {
      Item it;
      it.kind = static_cast<Kind>(pick(rng_));
      it.layout = drivertest::kAllLayouts[rng_() % std::size(drivertest::kAllLayouts)];
      it.chain_seed = rng_();
      switch (it.kind) {
        case Kind::kRaw:
          Raw(it, true);
          break;
        case Kind::kCorrupt:
          Raw(it, false);
          break;
        case Kind::kCsum:
          Csum(it);
          break;
        case Kind::kCsumPart:
          CsumPart(it);
          break;
        case Kind::kTso:
          Tso(it, false);
          break;
        case Kind::kVlanTag:
          VlanTag(it);
          break;
        case Kind::kJumbo:
          Jumbo(it);
          break;
      }
      // m_get3 has no storage above 16 KiB: such a packet comes as a chain.
      if (it.layout == Layout::kOneBuffer && it.bytes.size() > MJUM16BYTES) {
        it.layout = Layout::kClusters;
      }
      it.what = "item " + std::to_string(i) + " " + KindName(it.kind) + " " +
                drivertest::LayoutName(it.layout) + " " + it.what;
      items.push_back(std::move(it));
    }
    return items;
  }

 private:
  FrameSpec Clean(std::size_t max_len) {
    FrameSpec s = rtltest::RandomSpec(rng_, {.max_frame_len = max_len, .p_clean = 1.0});
    s.truncate = 0;
    return s;
  }

  void Raw(Item &it, bool clean) {
    FrameSpec s = rtltest::RandomSpec(rng_, {.max_frame_len = 9000, .p_clean = clean ? 1.0 : 0.0});
    // A frame cut short of its headers is a malformed-input case of its own (the injection
    // test); here the bytes stay whole.
    s.truncate = 0;
    it.bytes = rtltest::BuildFrame(s);
    it.wire = {it.bytes};
    it.checksums_valid = clean;
    it.what = s.Describe();
  }

  void Csum(Item &it) {
    const FrameSpec s = Clean(9000);
    const rtltest::TxCase tc = rtltest::MakeTxCase(s);
    it.bytes = tc.seeded;
    it.hdr_len = tc.csum_start + 20;
    it.csum_flags = CsumFlags(tc);
    if (tc.l4_en) it.l4_csum_off = tc.csum_offset;
    // Without l4_en (an IP fragment, another protocol) the L4 bytes are the generator's and only
    // the IPv4 header checksum is asked for: `expected` is right either way.
    it.wire = {tc.expected};
    it.what = s.Describe();
  }

  // IPv4 TCP/UDP with only one of its two checksums asked for: the other field leaves as the
  // stack seeded it (IPv4 checksum 0, or the L4 pseudo-header sum), so the frame on the wire is
  // deliberately wrong there.
  void CsumPart(Item &it) {
    FrameSpec s;
    rtltest::TxCase tc;
    do {
      s = Clean(3000);
      s.l3 = rtltest::L3Kind::kIpv4;
      s.ip4_mf = false;
      s.ip4_frag_offset = 0;
      if (s.l4 == rtltest::L4Kind::kOther) s.l4 = rtltest::L4Kind::kTcp;
      tc = rtltest::MakeTxCase(s);
    } while (!tc.l4_en || !tc.ip4_en);
    it.bytes = tc.seeded;
    it.hdr_len = tc.csum_start + 20;
    Frame wire = tc.seeded;
    if (rng_() % 2 == 0) {
      it.csum_flags = CSUM_IP;
      const std::size_t f = tc.l3_offset + 10u;
      std::copy_n(tc.expected.begin() + static_cast<std::ptrdiff_t>(f), 2,
                  wire.begin() + static_cast<std::ptrdiff_t>(f));
      it.what = "CSUM_IP only " + s.Describe();
    } else {
      it.csum_flags = tc.udp ? CSUM_IP_UDP : CSUM_IP_TCP;
      it.l4_csum_off = tc.csum_offset;
      const std::size_t f = std::size_t{tc.csum_start} + tc.csum_offset;
      std::copy_n(tc.expected.begin() + static_cast<std::ptrdiff_t>(f), 2,
                  wire.begin() + static_cast<std::ptrdiff_t>(f));
      it.what = "L4 only " + s.Describe();
    }
    it.wire = {std::move(wire)};
    it.checksums_valid = false;
  }

  // A random TCP request whose 4-tuple no other request of the workload has.
  rtltest::SegCase TsoCase(bool room_for_tag) {
    rtltest::RandomSegOptions so;
    so.max_payload = o_.max_tso_payload;
    so.max_segments = 64;
    so.max_mss = 8900;  // with up to 256 bytes of headers, within the receive side's 9216
    if (room_for_tag) so.max_hdr_bytes = 252;
    rtltest::SegCase sc = rtltest::RandomSegCase(rng_, so);
    FrameSpec spec = sc.spec;
    if (room_for_tag) spec.vlans.clear();
    spec.src_port = static_cast<std::uint16_t>(1024 + next_flow_ % 50000);
    spec.dst_port = static_cast<std::uint16_t>(5001 + next_flow_ / 50000);
    ++next_flow_;
    return rtltest::MakeSegCase(spec, hw::SegKind::kTcp, sc.req.mss);
  }

  static void Segment(const rtltest::SegCase &sc, Item &it) {
    if (SegmentFrame(sc.frame, sc.req, &it.wire) != hw::SegErr::kNone) {
      throw std::logic_error("the segment generator made a request SegmentFrame refuses");
    }
    for (const Frame &f : it.wire) {
      if (f.size() > kMaxFrame) throw std::logic_error("a segment longer than max_frame");
    }
    it.tso_seq = sc.spec.tcp_seq;
    it.tso_pay = sc.req.pay_len;
  }

  // The request as tcp_output leaves it: th_sum is the pseudo-header sum *with* the length,
  // which the driver replaces; any value will do, so it is garbled.
  static Frame StackTso(const rtltest::SegCase &sc) {
    Frame f = sc.frame;
    f[std::size_t{sc.req.l2hlen} + sc.req.l3hlen + 16] ^= 0xa5;
    return f;
  }

  void Tso(Item &it, bool tagged) {
    const rtltest::SegCase sc = TsoCase(tagged);
    it.csum_flags = sc.req.ipv6 ? CSUM_IP6_TCP | CSUM_IP6_TSO : CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
    it.mss = sc.req.mss;
    it.bytes = StackTso(sc);
    it.hdr_len = sc.req.l2hlen + sc.req.l3hlen + sc.req.l4hlen;
    if (!tagged) {
      Segment(sc, it);
      it.what = "mss " + std::to_string(sc.req.mss) + " pay " + std::to_string(sc.req.pay_len) +
                " " + sc.spec.Describe();
      return;
    }
    // The driver puts the tag in, then asks the card to segment the tagged frame.
    FrameSpec t = sc.spec;
    it.vtag = static_cast<std::uint16_t>(rng_());
    it.vlan_tag = true;
    t.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, it.vtag}};
    Segment(rtltest::MakeSegCase(t, hw::SegKind::kTcp, sc.req.mss), it);
    it.what = "tso mss " + std::to_string(sc.req.mss) + " pay " + std::to_string(sc.req.pay_len) +
              " " + t.Describe();
  }

  // M_VLANTAG on a plain frame, on a checksum request, or on a TSO request.
  void VlanTag(Item &it) {
    const int variant = static_cast<int>(rng_() % 3);
    if (variant == 2) {
      Tso(it, true);
      return;
    }
    FrameSpec s = Clean(8000);
    s.vlans.clear();
    s.pad_to_min = false;
    it.vlan_tag = true;
    it.vtag = static_cast<std::uint16_t>(rng_());
    FrameSpec t = s;
    t.vlans = {rtltest::VlanTag{rtltest::kTpidCustomer, it.vtag}};
    if (variant == 0) {
      it.bytes = rtltest::BuildFrame(s);
      it.wire = {rtltest::BuildFrame(t)};
      it.what = "plain " + t.Describe();
    } else {
      const rtltest::TxCase plain = rtltest::MakeTxCase(s);
      const rtltest::TxCase tagged = rtltest::MakeTxCase(t);
      it.bytes = plain.seeded;
      it.hdr_len = plain.csum_start + 20;
      it.csum_flags = CsumFlags(plain);
      if (plain.l4_en) it.l4_csum_off = plain.csum_offset;
      it.wire = {tagged.expected};
      it.what = "csum " + t.Describe();
    }
  }

  // 7000 bytes to max_frame, an eighth of them exactly max_frame; half with checksum offload.
  void Jumbo(Item &it) {
    FrameSpec s = Clean(9000);
    s.trailer_len = 0;
    s.pad_to_min = false;
    s.payload_len = 0;
    const std::size_t head = rtltest::BuildFrame(s).size();
    const std::size_t target =
        rng_() % 8 == 0 ? kMaxFrame : 7000 + static_cast<std::size_t>(rng_() % (kMaxFrame - 7000));
    s.payload_len = target - head;
    if (rng_() % 2 == 0) {
      it.bytes = rtltest::BuildFrame(s);
      it.wire = {it.bytes};
      it.what = "raw " + s.Describe();
    } else {
      const rtltest::TxCase tc = rtltest::MakeTxCase(s);
      it.bytes = tc.seeded;
      it.hdr_len = tc.csum_start + 20;
      it.csum_flags = CsumFlags(tc);
      if (tc.l4_en) it.l4_csum_off = tc.csum_offset;
      it.wire = {tc.expected};
      it.what = "csum " + s.Describe();
    }
  }

  const WorkloadOptions &o_;
  std::mt19937_64 rng_;
  std::uint32_t next_flow_ = 0;
};

}  // namespace

const char *KindName(Kind kind) {
  switch (kind) {
    case Kind::kRaw:
      return "raw";
    case Kind::kCorrupt:
      return "corrupt";
    case Kind::kCsum:
      return "csum";
    case Kind::kCsumPart:
      return "csum_part";
    case Kind::kTso:
      return "tso";
    case Kind::kVlanTag:
      return "vlan_tag";
    case Kind::kJumbo:
      return "jumbo";
  }
  return "?";
}

std::vector<Item> MakeWorkload(const WorkloadOptions &options) { return Generator(options).Run(); }

std::size_t WireFrames(const std::vector<Item> &items) {
  std::size_t n = 0;
  for (const Item &it : items) n += it.wire.size();
  return n;
}

}  // namespace mbufnic::systest
