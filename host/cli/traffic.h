// Traffic as a FreeBSD stack hands it to a driver, and the receiving end that checks it.
//
// A Flow is one TCP connection or UDP socket over IPv4 or IPv6, optionally on a VLAN.  Its sends
// are built the way the stack builds them:
//
//   TCP  the data sits in the socket's send buffer (so_snd, page-sized clusters); tcp_output
//        takes a header mbuf with max_linkhdr bytes left in front, copies a small send into
//        it or hangs m_copym() of the send buffer (shared clusters, no data copied) behind it,
//        fills IP and TCP headers (timestamps option), seeds th_sum with the pseudo-header sum
//        and asks for CSUM_IP|CSUM_IP_TCP or CSUM_IP6_TCP, plus CSUM_IP_TSO / CSUM_IP6_TSO
//        with tso_segsz when the send is longer than the MSS.  Data stays in so_snd until the
//        peer has it (sbdrop after the receiving end checked it).
//   UDP  the datagram's data in a fresh chain (as sosend leaves it), IP and UDP headers put in
//        front with M_PREPEND, uh_sum seeded, CSUM_IP|CSUM_IP_UDP or CSUM_IP6_UDP.
//   both ether_output's M_PREPEND of the Ethernet header; a VLAN interface with hardware
//        tagging sets M_VLANTAG and ether_vtag instead of writing the tag.
//
// The payload bytes are a function of the flow and the stream offset (Pattern), so the
// receiving end checks every byte without keeping a copy: Receiver::Check takes each frame the
// driver hands up and verifies its headers, the card's checksum flags, the checksums again in
// software (the host's in_cksum code), the VLAN tag, that it belongs to a flow and comes in
// order, and its payload.
#ifndef MBUFNIC_HOST_CLI_TRAFFIC_H_
#define MBUFNIC_HOST_CLI_TRAFFIC_H_

#include <sys/mbuf.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mbufnic::cli {

enum class L3 { kIpv4, kIpv6 };
enum class L4 { kTcp, kUdp };

struct FlowSpec {
  std::string name;
  L3 l3 = L3::kIpv4;
  L4 l4 = L4::kTcp;
  bool tso = false;  // TCP sends longer than the MSS go as one segmentation request
  std::uint16_t mss = 1448;
  std::uint16_t vlan = 0;  // VLAN id (1 to 4094) the stack tags with M_VLANTAG; 0: untagged
  std::uint32_t min_len = 1, max_len = 1448;  // payload bytes of a send
  int weight = 1;                             // share of the sends
  // A TSO flow's sends end a write now and then (one in eight): a short tail of 1 byte to the
  // MSS, whatever min_len says.  Off: every send is min_len to max_len bytes.
  bool tails = true;
};

// The demo's flows: bulk TCP with TSO over IPv4 and IPv6, small TCP sends, UDP over IPv4 and
// IPv6, and TCP with TSO on VLAN 100.
std::vector<FlowSpec> DemoFlows();

// The payload byte at stream offset `off` of flow `flow`.
std::uint8_t Pattern(unsigned flow, std::uint64_t off);

// What was sent, in the units a user counts.
struct SendStats {
  std::uint64_t sends = 0;            // chains handed to the driver
  std::uint64_t payload_bytes = 0;    // TCP/UDP payload in them
  std::uint64_t tso_sends = 0;        // with a segmentation request
  std::uint64_t csum_sends = 0;       // with a checksum request (all of them here)
  std::uint64_t vlan_sends = 0;       // with M_VLANTAG
  std::uint64_t expected_frames = 0;  // frames the wire must carry for them
};

struct RecvStats {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;          // frame bytes (m_pkthdr.len)
  std::uint64_t payload_bytes = 0;  // TCP/UDP payload, checked byte for byte
  std::uint64_t l3_valid = 0;       // CSUM_L3_CALC|CSUM_L3_VALID (IPv4 header checked, good)
  std::uint64_t l4_valid = 0;       // CSUM_L4_CALC|CSUM_L4_VALID (TCP/UDP checked, good)
  std::uint64_t not_checked = 0;    // frames the card gave no checksum verdict for
  std::uint64_t vlan = 0;           // handed up with M_VLANTAG
  std::uint64_t errors = 0;         // frames that failed a check (see Traffic::errors)
};

class Traffic {
 public:
  // `rx_csum`: the card checks receive checksums (the flags must say so); without it no
  // verdict is expected and the software check alone decides.
  Traffic(std::vector<FlowSpec> flows, std::uint64_t seed, bool rx_csum);
  ~Traffic();
  Traffic(const Traffic &) = delete;
  Traffic &operator=(const Traffic &) = delete;

  // The next send of a flow picked by weight, or nullptr when allocation failed (counted in
  // errors).  The caller owns the chain.
  struct mbuf *NextSend();

  // Checks one frame the driver handed up and frees it.
  void Check(struct mbuf *m);

  // After the traffic: every byte sent came back.  Records an error for each flow short of it.
  // With AllowLoss: every send still open is settled (see losses()) instead.
  void Finish();

  // Faults are being injected, so frames may go missing; call before the first send.  Each send
  // is then remembered until it is settled: OnWire matches every frame the card put on the wire
  // to the send it came from, Check accepts a frame later in its flow than the next one (the
  // ones between were lost) and matches it too.  A send is settled once both have moved past
  // it: its frames missing from the wire were lost on transmit, those on the wire but never
  // handed up were lost on receive.  Errors: a wire frame or a received frame that belongs to
  // no send of its flow or comes out of order, a send handed up more often than it was on the
  // wire, a frame received twice.
  void AllowLoss();
  // A frame the card sent, as the wire has it; in the order they left (lossy mode only).
  void OnWire(const std::uint8_t *frame, std::size_t len);
  struct LossStats {
    std::uint64_t tx_frames = 0;    // frames of sends that never reached the wire (or only in part)
    std::uint64_t tx_sends = 0;     // sends none of whose frames reached the wire
    std::uint64_t tx_partial = 0;   // sends only some of whose frames reached the wire
    std::uint64_t rx_frames = 0;    // frames on the wire that were never handed up
    std::uint64_t wire_frames = 0;  // wire frames matched to a send
  };
  // Counts of the sends settled so far (all of them after Finish).
  const LossStats &losses() const { return loss_; }

  const std::vector<FlowSpec> &flows() const { return specs_; }
  const SendStats &sent() const { return sent_; }
  const RecvStats &received() const { return recv_; }
  // Per flow: sends, payload bytes sent, frames and payload bytes received.
  struct FlowStats {
    std::uint64_t sends = 0, sent_bytes = 0, frames = 0, recv_bytes = 0;
  };
  std::vector<FlowStats> flow_stats() const;
  // The first failures, readable (at most 20 kept; received().errors counts them all).
  const std::vector<std::string> &errors() const { return errors_; }

 private:
  struct Flow;
  struct SendRecord;
  void Error(std::string what);
  // Lossy mode: the stream offset of a frame's payload (TCP: from its sequence number; UDP: the
  // next open send from `from` on whose length and first bytes it has), or -1.
  std::int64_t Locate(Flow &f, bool tcp, std::uint32_t seq, std::uint64_t from,
                      const std::uint8_t *pay, std::size_t pay_len, std::size_t have) const;
  void Settle(Flow &f, bool all);
  struct mbuf *BuildTcp(Flow &f, std::uint32_t len);
  struct mbuf *BuildUdp(Flow &f, std::uint32_t len);
  bool CheckL4(Flow &f, const struct mbuf *m, int l4off, int l4len, std::uint32_t pseudo);

  std::vector<FlowSpec> specs_;
  std::vector<Flow *> flows_;
  std::mt19937_64 rng_;
  std::discrete_distribution<unsigned> pick_;
  bool rx_csum_;
  bool lossy_ = false;
  LossStats loss_;
  SendStats sent_;
  RecvStats recv_;
  std::vector<std::string> errors_;
};

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_TRAFFIC_H_
