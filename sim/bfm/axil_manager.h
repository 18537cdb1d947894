// AxilManager: an AXI4-Lite manager (master) for a Verilated model's CSR slave port.
//
// Header-only.  It drives the AMBA-named pins of a test top (s_axil_awaddr_i, ...) through
// references, so it works with any Verilated model that exposes them; AxilPinsOf(model) binds
// the usual names.  The harness calls it twice a cycle, the two-phase order the simulation
// harness uses for every bus model:
//
//   mgr.Sample();                    // inputs settled: note the handshakes this edge completes
//   top.clk_i = 1; top.eval();
//   mgr.Drive();                     // decide and drive the next cycle's inputs
//   top.clk_i = 0; top.eval();
//
// Requests are queued (Write/Read) and issued in order on their channels, AW and W each after
// their own random number of idle cycles, so the slave sees AW before W, W before AW and both
// together; several requests can be outstanding.  bready/rready drop at random.  All
// randomness comes from one seeded std::mt19937, so a seed reproduces a run.  Protocol rules
// the slave must keep (a response only for an outstanding request; bvalid/rvalid and their
// payload held until accepted) are checked on every cycle and counted in protocol_errors().
#ifndef MBUFNIC_SIM_BFM_AXIL_MANAGER_H_
#define MBUFNIC_SIM_BFM_AXIL_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace mbufnic::sim {

enum class AxiResp : std::uint8_t { kOkay = 0, kExOkay = 1, kSlvErr = 2, kDecErr = 3 };

// References to a model's AXI4-Lite slave pins.  Verilator declares 1- to 8-bit ports as
// uint8_t (CData) and 9- to 32-bit ports as uint32_t (IData).
struct AxilPins {
  std::uint32_t& awaddr;
  std::uint8_t& awprot;
  std::uint8_t& awvalid;
  const std::uint8_t& awready;
  std::uint32_t& wdata;
  std::uint8_t& wstrb;
  std::uint8_t& wvalid;
  const std::uint8_t& wready;
  const std::uint8_t& bresp;
  const std::uint8_t& bvalid;
  std::uint8_t& bready;
  std::uint32_t& araddr;
  std::uint8_t& arprot;
  std::uint8_t& arvalid;
  const std::uint8_t& arready;
  const std::uint32_t& rdata;
  const std::uint8_t& rresp;
  const std::uint8_t& rvalid;
  std::uint8_t& rready;
};

// Binds the pins of a test top that uses the flat names s_axil_<signal>_i / _o.
template <typename Model>
AxilPins AxilPinsOf(Model& m) {
  return AxilPins{m.s_axil_awaddr_i, m.s_axil_awprot_i, m.s_axil_awvalid_i, m.s_axil_awready_o,
                  m.s_axil_wdata_i,  m.s_axil_wstrb_i,  m.s_axil_wvalid_i,  m.s_axil_wready_o,
                  m.s_axil_bresp_o,  m.s_axil_bvalid_o, m.s_axil_bready_i,  m.s_axil_araddr_i,
                  m.s_axil_arprot_i, m.s_axil_arvalid_i, m.s_axil_arready_o, m.s_axil_rdata_o,
                  m.s_axil_rresp_o,  m.s_axil_rvalid_o, m.s_axil_rready_i};
}

// Binds the management-side CSR port of a card top (s_mgmt_axil_<signal>_i / _o).
template <typename Model>
AxilPins MgmtAxilPinsOf(Model& m) {
  return AxilPins{m.s_mgmt_axil_awaddr_i,  m.s_mgmt_axil_awprot_i,  m.s_mgmt_axil_awvalid_i,
                  m.s_mgmt_axil_awready_o, m.s_mgmt_axil_wdata_i,   m.s_mgmt_axil_wstrb_i,
                  m.s_mgmt_axil_wvalid_i,  m.s_mgmt_axil_wready_o,  m.s_mgmt_axil_bresp_o,
                  m.s_mgmt_axil_bvalid_o,  m.s_mgmt_axil_bready_i,  m.s_mgmt_axil_araddr_i,
                  m.s_mgmt_axil_arprot_i,  m.s_mgmt_axil_arvalid_i, m.s_mgmt_axil_arready_o,
                  m.s_mgmt_axil_rdata_o,   m.s_mgmt_axil_rresp_o,   m.s_mgmt_axil_rvalid_o,
                  m.s_mgmt_axil_rready_i};
}

// Binds the control port of a Vitis RTL kernel (s_axi_control_<signal>, AMBA names without
// direction suffixes: rtl/kernel/nic_kernel).
template <typename Model>
AxilPins ControlAxilPinsOf(Model& m) {
  return AxilPins{m.s_axi_control_awaddr,  m.s_axi_control_awprot,  m.s_axi_control_awvalid,
                  m.s_axi_control_awready, m.s_axi_control_wdata,   m.s_axi_control_wstrb,
                  m.s_axi_control_wvalid,  m.s_axi_control_wready,  m.s_axi_control_bresp,
                  m.s_axi_control_bvalid,  m.s_axi_control_bready,  m.s_axi_control_araddr,
                  m.s_axi_control_arprot,  m.s_axi_control_arvalid, m.s_axi_control_arready,
                  m.s_axi_control_rdata,   m.s_axi_control_rresp,   m.s_axi_control_rvalid,
                  m.s_axi_control_rready};
}

struct AxilConfig {
  // Idle cycles before each AW, W and AR: uniform in [0, max_idle].
  unsigned max_idle = 3;
  // Chance, in percent, that bready / rready is high in a cycle.
  unsigned ready_percent = 70;
};

class AxilManager {
 public:
  struct Op {
    std::uint32_t addr = 0;
    std::uint32_t data = 0;  // write data, or the read's result
    std::uint8_t strb = 0xF;
    // Idle cycles before the request's AW (writes) or AR (reads), and before its W; drawn at
    // random when the request is queued unless the caller gives them.
    unsigned a_delay = 0;
    unsigned w_delay = 0;
    bool done = false;
    AxiResp resp = AxiResp::kOkay;
    std::uint64_t done_cycle = 0;
  };

  AxilManager(AxilPins pins, std::uint32_t seed, AxilConfig cfg = {})
      : p_(pins), rng_(seed), cfg_(cfg) {
    Quiet();
  }

  // Queue a request; the returned index names it in write_op() / read_op().
  std::size_t Write(std::uint32_t addr, std::uint32_t data, std::uint8_t strb = 0xF,
                    std::optional<unsigned> aw_delay = std::nullopt,
                    std::optional<unsigned> w_delay = std::nullopt) {
    Op op;
    op.addr = addr;
    op.data = data;
    op.strb = strb;
    op.a_delay = aw_delay ? *aw_delay : IdleCycles();
    op.w_delay = w_delay ? *w_delay : IdleCycles();
    writes_.push_back(op);
    return writes_.size() - 1;
  }

  std::size_t Read(std::uint32_t addr, std::optional<unsigned> ar_delay = std::nullopt) {
    Op op;
    op.addr = addr;
    op.a_delay = ar_delay ? *ar_delay : IdleCycles();
    reads_.push_back(op);
    return reads_.size() - 1;
  }

  const Op& write_op(std::size_t i) const { return writes_[i]; }
  const Op& read_op(std::size_t i) const { return reads_[i]; }

  // Every queued request has its response.
  bool Idle() const { return b_next_ == writes_.size() && r_next_ == reads_.size(); }

  // Protocol violations seen so far, with the first few described.
  unsigned protocol_errors() const { return errors_; }
  const std::vector<std::string>& error_log() const { return error_log_; }
  std::uint64_t cycle() const { return cycle_; }

  // Phase 1, inputs settled before the rising edge: record what this edge transfers.
  void Sample() {
    aw_fire_ = p_.awvalid && p_.awready;
    w_fire_ = p_.wvalid && p_.wready;
    ar_fire_ = p_.arvalid && p_.arready;

    // A response must be for a request whose address (and data) went out, and once valid it
    // must stay valid and unchanged until accepted.
    if (b_held_ && (!p_.bvalid || p_.bresp != b_held_resp_)) Error("B dropped or changed");
    if (r_held_ && (!p_.rvalid || p_.rresp != r_held_resp_ || p_.rdata != r_held_data_)) {
      Error("R dropped or changed");
    }
    b_held_ = r_held_ = false;
    if (p_.bvalid) {
      if (b_next_ >= aw_next_ || b_next_ >= w_next_) {
        Error("B without an outstanding write");
      } else if (p_.bready) {
        Op& op = writes_[b_next_++];
        op.resp = static_cast<AxiResp>(p_.bresp);
        op.done = true;
        op.done_cycle = cycle_;
      } else {
        b_held_ = true;
        b_held_resp_ = p_.bresp;
      }
    }
    if (p_.rvalid) {
      if (r_next_ >= ar_next_) {
        Error("R without an outstanding read");
      } else if (p_.rready) {
        Op& op = reads_[r_next_++];
        op.data = p_.rdata;
        op.resp = static_cast<AxiResp>(p_.rresp);
        op.done = true;
        op.done_cycle = cycle_;
      } else {
        r_held_ = true;
        r_held_resp_ = p_.rresp;
        r_held_data_ = p_.rdata;
      }
    }
  }

  // Phase 2, after the rising edge: drive the next cycle's inputs.
  void Drive() {
    ++cycle_;
    if (aw_fire_) {
      ++aw_next_;
      p_.awvalid = 0;
      aw_wait_ = kUnset;
    }
    if (w_fire_) {
      ++w_next_;
      p_.wvalid = 0;
      w_wait_ = kUnset;
    }
    if (ar_fire_) {
      ++ar_next_;
      p_.arvalid = 0;
      ar_wait_ = kUnset;
    }
    aw_fire_ = w_fire_ = ar_fire_ = false;

    // Each channel counts down its request's idle cycles, then raises valid and holds it and
    // the payload until the handshake.
    if (!p_.awvalid && aw_next_ < writes_.size() && Due(aw_wait_, writes_[aw_next_].a_delay)) {
      p_.awaddr = writes_[aw_next_].addr;
      p_.awprot = 0;
      p_.awvalid = 1;
    }
    if (!p_.wvalid && w_next_ < writes_.size() && Due(w_wait_, writes_[w_next_].w_delay)) {
      p_.wdata = writes_[w_next_].data;
      p_.wstrb = writes_[w_next_].strb;
      p_.wvalid = 1;
    }
    if (!p_.arvalid && ar_next_ < reads_.size() && Due(ar_wait_, reads_[ar_next_].a_delay)) {
      p_.araddr = reads_[ar_next_].addr;
      p_.arprot = 0;
      p_.arvalid = 1;
    }
    p_.bready = Chance(cfg_.ready_percent);
    p_.rready = Chance(cfg_.ready_percent);
  }

  // Runs tick() (one clock cycle of the harness, which calls Sample and Drive) until every
  // queued request has completed.  False if that takes more than max_cycles: the slave hung.
  template <typename Tick>
  bool RunUntilIdle(Tick&& tick, std::uint64_t max_cycles = 10000) {
    for (std::uint64_t n = 0; !Idle(); ++n) {
      if (n == max_cycles) return false;
      tick();
    }
    return true;
  }

  // Blocking helpers for directed tests.
  template <typename Tick>
  std::optional<Op> WriteSync(Tick&& tick, std::uint32_t addr, std::uint32_t data,
                              std::uint8_t strb = 0xF) {
    const std::size_t i = Write(addr, data, strb);
    if (!RunUntilIdle(tick)) return std::nullopt;
    return writes_[i];
  }

  template <typename Tick>
  std::optional<Op> ReadSync(Tick&& tick, std::uint32_t addr) {
    const std::size_t i = Read(addr);
    if (!RunUntilIdle(tick)) return std::nullopt;
    return reads_[i];
  }

 private:
  static constexpr unsigned kUnset = ~0u;

  // Drives every valid and ready low (before reset and at construction).
  void Quiet() {
    p_.awvalid = p_.wvalid = p_.arvalid = 0;
    p_.bready = p_.rready = 0;
    p_.awaddr = p_.wdata = p_.araddr = 0;
    p_.awprot = p_.arprot = 0;
    p_.wstrb = 0;
  }

  // A channel's countdown: starts at the request's delay, true once it has run out.
  static bool Due(unsigned& wait, unsigned delay) {
    if (wait == kUnset) wait = delay;
    if (wait == 0) return true;
    --wait;
    return false;
  }

  unsigned IdleCycles() {
    return cfg_.max_idle == 0
               ? 0u
               : std::uniform_int_distribution<unsigned>(0, cfg_.max_idle)(rng_);
  }

  bool Chance(unsigned percent) {
    return std::uniform_int_distribution<unsigned>(0, 99)(rng_) < percent;
  }

  void Error(const char* what) {
    ++errors_;
    if (error_log_.size() < 16) {
      error_log_.push_back(std::string(what) + " at cycle " + std::to_string(cycle_));
    }
  }

  AxilPins p_;
  std::mt19937 rng_;
  AxilConfig cfg_;
  std::deque<Op> writes_;
  std::deque<Op> reads_;
  // Next request to issue on AW, W, AR, and next to complete on B, R.
  std::size_t aw_next_ = 0, w_next_ = 0, ar_next_ = 0, b_next_ = 0, r_next_ = 0;
  unsigned aw_wait_ = kUnset, w_wait_ = kUnset, ar_wait_ = kUnset;
  bool aw_fire_ = false, w_fire_ = false, ar_fire_ = false;
  bool b_held_ = false, r_held_ = false;
  std::uint8_t b_held_resp_ = 0, r_held_resp_ = 0;
  std::uint32_t r_held_data_ = 0;
  unsigned errors_ = 0;
  std::vector<std::string> error_log_;
  std::uint64_t cycle_ = 0;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_BFM_AXIL_MANAGER_H_
