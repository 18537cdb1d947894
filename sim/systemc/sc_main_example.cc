// The card in a SystemC virtual platform: sc_main instantiates the card (mbufnic::sc::Card), a
// host-memory target and a loopback wire, binds their TLM-2.0 sockets, runs the card's firmware
// on its management socket (a thread woken by the card's mgmt_irq), and runs the host software
// as a SystemC thread: mbufnic's FreeBSD-style driver, which brings the card up through the
// firmware's admin queue, sends UDP datagrams with checksum offload and a TCP segment of
// 20 000 bytes with TSO, and takes them back from the receive ring.
//
//   mbufnic_sc_example [capture.pcap]
//
// It prints what went out and came back and exits 0 when every frame came back with the
// checksums the card vouched for, the card made no protocol error and touched no memory the
// host had not posted.  In a larger platform the host thread would be an instruction-set
// simulator's memory-mapped I/O, and HostMemoryTarget a bridge to its memory.
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/mbuf.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "core/host_memory.h"
#include "core/wire.h"
#include "firmware_host.h"
#include "mbufnic/cksum.h"
#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "systemc/card.h"
#include "systemc/host_memory_target.h"
#include "systemc/wire_link.h"

namespace {

using mbufnic::sc::Card;
using mbufnic::sc::kCardPeriod;

constexpr int kDatagrams = 16;
constexpr int kTsoPayload = 20000;
constexpr int kMss = 1448;
constexpr std::uint32_t kSrc = 0x0a000001, kDst = 0x0a000002;  // 10.0.0.1 -> 10.0.0.2

class Host;

// One 4-byte CSR access as a blocking transaction on `socket` (the thread waits while the card
// answers); *value is written or read.  True when the card answered OKAY.
template <typename Socket>
bool CsrAccess(Socket& socket, bool write, std::uint32_t offset, std::uint32_t* value) {
  unsigned char data[4];
  std::memcpy(data, value, 4);
  tlm::tlm_generic_payload gp;
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(offset);
  gp.set_data_ptr(data);
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(gp, delay);
  if (!write) std::memcpy(value, data, 4);
  return gp.is_response_ok();
}

// The device seam for a driver that runs inside a SystemC thread: a CSR access is a blocking
// transaction on the host's socket (the thread waits while the card answers), Run(n) waits n
// card cycles.  The "systemc" backend is the same seam driven from outside the simulation.
class ThreadDevice final : public mbufnic::device::Device {
 public:
  ThreadDevice(tlm_utils::simple_initiator_socket<Host>& csr, Card& card,
               mbufnic::sim::HostMemory& mem, mbufnic::sim::Wire& wire)
      : csr_(csr), card_(card), mem_(mem), wire_(wire) {
    card_.set_irq_observer([this](std::uint32_t irq) {
      for (unsigned v = 0; v < Card::kNumTxQ + Card::kNumRxQ; ++v) {
        if ((irq >> v) & 1) irqs_.push_back(v);
      }
    });
  }
  std::string_view Name() const override { return "systemc-thread"; }
  std::uint32_t Read32(std::uint32_t offset) override { return Access(false, offset, 0); }
  void Write32(std::uint32_t offset, std::uint32_t value) override { Access(true, offset, value); }
  std::uint64_t Run(std::uint64_t cycles) override {
    sc_core::wait(kCardPeriod * static_cast<double>(cycles));
    return cycles;
  }
  std::uint64_t Now() const override { return card_.cycle(); }
  std::vector<std::uint32_t> TakeInterrupts() override {
    std::vector<std::uint32_t> out;
    out.swap(irqs_);
    return out;
  }
  mbufnic::sim::Wire* wire() override { return &wire_; }
  mbufnic::sim::HostMemory* memory() override { return &mem_; }
  unsigned failed_accesses() const { return failed_; }

 private:
  std::uint32_t Access(bool write, std::uint32_t offset, std::uint32_t value) {
    if (!CsrAccess(csr_, write, offset, &value)) {
      ++failed_;
      return 0;
    }
    return value;
  }

  tlm_utils::simple_initiator_socket<Host>& csr_;
  Card& card_;
  mbufnic::sim::HostMemory& mem_;
  mbufnic::sim::Wire& wire_;
  std::vector<std::uint32_t> irqs_;
  unsigned failed_ = 0;
};

// The card's management side: the firmware (firmware/, through device::FirmwareHost) in a thread
// that the card's mgmt_irq wakes, its CSR accesses blocking transactions on the mgmt socket.
// On a card this is the management core; here it takes no simulated time of its own beyond
// its bus accesses.
class Management : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Management> mgmt;

  Management(const sc_core::sc_module_name& name, Card& card, mbufnic::sim::HostMemory& mem)
      : sc_module(name),
        mgmt("mgmt"),
        card_(card),
        port_{[this](std::uint32_t offset, std::uint32_t* value) {
                return CsrAccess(mgmt, false, offset, value);
              },
              [this](std::uint32_t offset, std::uint32_t value) {
                return CsrAccess(mgmt, true, offset, &value);
              }},
        fw_(port_, mem) {
    SC_HAS_PROCESS(Management);
    SC_THREAD(Firmware);
  }

  unsigned commands() const { return fw_.commands(); }

 private:
  void Firmware() {
    sc_core::wait(kCardPeriod * static_cast<double>(Card::kResetCycles + 1));
    fw_.Start();
    for (;;) {
      // The request is a level: look at it first (the host may have asked while the firmware was
      // starting), then sleep until it rises.  It drops a cycle or two after the firmware's last
      // write, so the firmware looks again after that.
      if (!card_.mgmt_irq()) sc_core::wait(card_.mgmt_irq_event());
      fw_.Service();
      sc_core::wait(kCardPeriod * 2.0);
    }
  }

  Card& card_;
  mbufnic::device::MgmtPort port_;
  mbufnic::device::FirmwareHost fw_;
};

// Headers for an IPv4 packet of l4len bytes of protocol proto, Ethernet first.
void Headers(std::uint8_t* p, std::uint16_t l4len, std::uint8_t proto, std::uint16_t id) {
  static const std::uint8_t kMacs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  std::memcpy(p, kMacs, 12);
  p[12] = 0x08;  // IPv4
  p[13] = 0x00;
  struct ip ip {};
  ip.ip_v = IPVERSION;
  ip.ip_hl = 5;
  ip.ip_len = htons(static_cast<std::uint16_t>(20 + l4len));
  ip.ip_id = htons(id);
  ip.ip_ttl = 64;
  ip.ip_p = proto;
  ip.ip_src.s_addr = htonl(kSrc);
  ip.ip_dst.s_addr = htonl(kDst);
  std::memcpy(p + 14, &ip, sizeof ip);
}

// in_pseudo(src, dst, htons(len + proto)): what the stack leaves in the L4 checksum field for
// the card to finish.
std::uint16_t Seed(std::uint16_t l4len, std::uint8_t proto) {
  const std::uint32_t addrs[2] = {htonl(kSrc), htonl(kDst)};
  return mbufnic_cksum_raw(addrs, 8, std::uint32_t{htons(proto)} + htons(l4len));
}

struct mbuf* Datagram(int i) {
  const int payload = 18 + 90 * i;
  const auto l4len = static_cast<std::uint16_t>(8 + payload);
  struct mbuf* m = m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR);
  if (m == nullptr) return nullptr;
  auto* p = mtod(m, std::uint8_t*);
  Headers(p, l4len, IPPROTO_UDP, static_cast<std::uint16_t>(i));
  struct udphdr uh {};
  uh.uh_sport = htons(4000);
  uh.uh_dport = htons(9);
  uh.uh_ulen = htons(l4len);
  uh.uh_sum = Seed(l4len, IPPROTO_UDP);
  std::memcpy(p + 34, &uh, sizeof uh);
  for (int k = 0; k < payload; ++k) p[42 + k] = static_cast<std::uint8_t>(i + k);
  m->m_len = m->m_pkthdr.len = 42 + payload;
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_UDP;
  m->m_pkthdr.csum_data = offsetof(struct udphdr, uh_sum);
  return m;
}

struct mbuf* TsoRequest() {
  const auto l4len = static_cast<std::uint16_t>(20 + kTsoPayload);
  struct mbuf* m = m_gethdr(M_NOWAIT, MT_DATA);
  if (m == nullptr) return nullptr;
  auto* p = mtod(m, std::uint8_t*);
  Headers(p, l4len, IPPROTO_TCP, 100);
  struct tcphdr th {};
  th.th_sport = htons(5000);
  th.th_dport = htons(80);
  th.th_seq = htonl(1000);
  th.th_off = 5;
  th.th_flags = TH_ACK | TH_PUSH;
  th.th_win = htons(65535);
  th.th_sum = Seed(l4len, IPPROTO_TCP);  // the driver re-seeds it for TSO
  std::memcpy(p + 34, &th, sizeof th);
  m->m_len = m->m_pkthdr.len = 54;
  std::vector<char> payload(kTsoPayload);
  for (int k = 0; k < kTsoPayload; ++k) payload[k] = static_cast<char>(k * 7);
  if (m_append(m, kTsoPayload, payload.data()) == 0) {
    m_freem(m);
    return nullptr;
  }
  m->m_pkthdr.csum_flags = CSUM_IP | CSUM_IP_TCP | CSUM_IP_TSO;
  m->m_pkthdr.csum_data = offsetof(struct tcphdr, th_sum);
  m->m_pkthdr.tso_segsz = kMss;
  m->m_pkthdr.l2hlen = 14;
  m->m_pkthdr.l3hlen = 20;
  m->m_pkthdr.l4hlen = 20;
  return m;
}

// The host: the driver in a SystemC thread.
class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> csr;

  Host(const sc_core::sc_module_name& name, Card& card, mbufnic::sim::HostMemory& mem,
       mbufnic::sim::Wire& wire)
      : sc_module(name), csr("csr"), card_(card), mem_(mem), wire_(wire) {
    SC_HAS_PROCESS(Host);
    SC_THREAD(Software);
  }

  bool ok = false;
  int sent_frames = 0, received = 0, l4_verified = 0;
  std::uint64_t received_bytes = 0, cycles = 0;
  unsigned failed_accesses = 0;

 private:
  void Software() {
    ThreadDevice dev(csr, card_, mem_, wire_);
    {
      mbufnic::driver::NicOptions opt;
      opt.irq_pkts = 4;
      opt.irq_cycles = 500;
      mbufnic::driver::Nic nic(dev, opt);
      const std::uint64_t start = dev.Now();
      std::vector<struct mbuf*> out;
      for (int i = 0; i < kDatagrams; ++i) out.push_back(Datagram(i));
      out.push_back(TsoRequest());
      const int want = kDatagrams + (kTsoPayload + kMss - 1) / kMss;
      int queued = 0;
      for (struct mbuf* m : out) {
        if (m == nullptr) break;
        queued += nic.Transmit(0, &m, 1);
      }
      const auto take = [this](int, struct mbuf* m) {
        ++received;
        received_bytes += static_cast<std::uint64_t>(m->m_pkthdr.len);
        const int f = m->m_pkthdr.csum_flags;
        if ((f & CSUM_L4_CALC) && (f & CSUM_L4_VALID) && (f & CSUM_L3_VALID)) ++l4_verified;
        m_freem(m);
      };
      for (int polls = 0; received < want && polls < 1000; ++polls) nic.Poll(1000, take);
      cycles = dev.Now() - start;
      sent_frames = static_cast<int>(wire_.sent_frames());
      ok = queued == static_cast<int>(out.size()) && received == want && l4_verified == want;
    }  // the driver detaches: every buffer back
    failed_accesses = dev.failed_accesses();
    sc_core::sc_stop();
  }

  Card& card_;
  mbufnic::sim::HostMemory& mem_;
  mbufnic::sim::Wire& wire_;
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  mbufnic::sim::HostMemory mem(mbufnic::sim::PcieGen4x16(), Card::kNumTxQ, Card::kNumRxQ);
  mbufnic::sim::WireConfig wc;
  wc.loopback = true;
  wc.loopback_delay = 100;
  if (argc > 1) wc.pcap_out = argv[1];
  mbufnic::sim::Wire wire(wc);

  sc_core::sc_signal<std::uint32_t> irq("irq");
  Card card("card");
  mbufnic::sc::HostMemoryTarget memory("memory", &mem);
  mbufnic::sc::WireLink link("wire", card, &wire);
  Host host("host", card, mem, wire);
  Management management("management", card, mem);
  host.csr.bind(card.csr);
  management.mgmt.bind(card.mgmt);
  card.dma.bind(memory.socket);
  card.tx.bind(link.from_card);
  link.to_card.bind(card.rx);
  card.irq(irq);
  // The host-memory model learns of rings and doorbells from the CSR writes it sees.
  // Those through the mgmt socket are the firmware's (privileged).
  card.set_csr_observer([&mem](std::uint32_t offset, std::uint32_t value, bool from_mgmt) {
    mem.OnCsrWrite(offset, value, /*privileged=*/from_mgmt);
  });

  const auto wall0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  std::printf("mbufnic SystemC example: card, host-memory target and loopback wire on TLM-2.0\n");
  std::printf("  sent      %d UDP datagrams with checksum offload, 1 TCP TSO request of %d bytes\n",
              kDatagrams, kTsoPayload);
  std::printf("  wire      %d frames%s%s\n", host.sent_frames, argc > 1 ? ", captured in " : "",
              argc > 1 ? argv[1] : "");
  std::printf(
      "  received  %d frames, %llu bytes; %d with IP and L4 checksums verified by the card\n",
      host.received, static_cast<unsigned long long>(host.received_bytes), host.l4_verified);
  std::printf("  firmware  %u admin commands answered on the mgmt socket\n", management.commands());
  std::printf("  time      %llu cycles (%s simulated), %llu clocked; %.2f s wall\n",
              static_cast<unsigned long long>(host.cycles),
              sc_core::sc_time_stamp().to_string().c_str(),
              static_cast<unsigned long long>(card.evaluated_cycles()), wall);
  bool ok = host.ok;
  if (card.protocol_errors() != 0) {
    ok = false;
    for (const std::string& e : card.protocol_error_log())
      std::printf("  protocol  %s\n", e.c_str());
  }
  for (const std::string& v : mem.violations()) {
    ok = false;
    std::printf("  violation %s\n", v.c_str());
  }
  if (host.failed_accesses != 0) {
    ok = false;
    std::printf("  csr       %u accesses failed\n", host.failed_accesses);
  }
  std::printf("  result    %s\n", ok ? "every frame came back, checksums verified" : "FAILED");
  return ok ? 0 : 1;
}
