#include "systemc/systemc_device.h"

#include <mbufnic/hw/nic_hw.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <systemc>
#include <thread>
#include <tlm>
#include <utility>

#include "core/host_memory.h"
#include "core/wire.h"
#include "firmware_host.h"
#include "registry.h"
#include "sim_options.h"
#include "systemc/card.h"
#include "systemc/host_memory_target.h"
#include "systemc/wire_link.h"

namespace mbufnic::sc {

namespace {

// A CSR access that takes longer than this has hung the bus (the card answers every address
// within a few cycles).
constexpr std::uint64_t kCsrTimeout = 100000;

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

sim::WireConfig WireConfigOf(const device::Options& o) {
  if (!o.waves.empty()) {
    throw device::DeviceError(
        "systemc: no waveforms from this backend (its model is elaborated once per process); "
        "open \"sim\" with the same options for an FST of the same run");
  }
  return device::WireConfigOf(o, "systemc");
}

// The host's side of the csr socket, and the firmware's of the mgmt socket: a thread that makes
// each access the device is asked for a TLM transaction, then has the card pause the simulation
// at its next cycle, so that the caller of sc_start has its answer on a cycle boundary.
class HostPort : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostPort> csr;
  tlm_utils::simple_initiator_socket<HostPort> mgmt;

  HostPort(const sc_core::sc_module_name& name, Card& card)
      : sc_module(name), csr("csr"), mgmt("mgmt"), card_(card) {
    SC_HAS_PROCESS(HostPort);
    SC_THREAD(Serve);
  }

  void Start(bool mgmt_port, bool write, std::uint32_t offset, std::uint32_t value) {
    mgmt_port_ = mgmt_port;
    write_ = write;
    offset_ = offset;
    value_ = value;
    done_ = false;
    pending_ = true;
    request_.notify(sc_core::SC_ZERO_TIME);
  }
  bool done() const { return done_; }
  std::uint32_t value() const { return value_; }
  tlm::tlm_response_status status() const { return status_; }

 private:
  void Serve() {
    for (;;) {
      sc_core::wait(request_);
      if (!pending_) continue;
      pending_ = false;
      tlm::tlm_generic_payload gp;
      unsigned char data[4];
      std::memcpy(data, &value_, 4);
      gp.set_command(write_ ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      gp.set_address(offset_);
      gp.set_data_ptr(data);
      gp.set_data_length(4);
      gp.set_streaming_width(4);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      (mgmt_port_ ? mgmt : csr)->b_transport(gp, delay);
      if (!write_) std::memcpy(&value_, data, 4);
      status_ = gp.get_response_status();
      done_ = true;
      card_.PauseAtNextCycle();
    }
  }

  Card& card_;
  sc_core::sc_event request_;
  bool pending_ = false;
  bool mgmt_port_ = false;
  bool write_ = false;
  bool done_ = false;
  std::uint32_t offset_ = 0;
  std::uint32_t value_ = 0;
  tlm::tlm_response_status status_ = tlm::TLM_OK_RESPONSE;
};

// The platform, elaborated once per process at the first Open and never torn down (SystemC
// cannot elaborate a design twice, nor destroy one safely before the kernel goes).
struct Platform {
  Platform() : irq("irq"), card("card"), memory("memory"), link("wire", card), host("host", card) {
    host.csr.bind(card.csr);
    host.mgmt.bind(card.mgmt);
    card.dma.bind(memory.socket);
    card.tx.bind(link.from_card);
    link.to_card.bind(card.rx);
    card.irq(irq);
  }
  sc_core::sc_signal<std::uint32_t> irq;
  Card card;
  HostMemoryTarget memory;
  WireLink link;
  HostPort host;
  bool open = false;
  std::thread::id thread;
};

Platform& ThePlatform() {
  static Platform* platform = [] {
    // SystemC prints its banner on stdout when its kernel starts; the CLI's JSON goes there.
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return new Platform;
  }();
  return *platform;
}

Platform& Acquire() {
  static const std::thread::id first = std::this_thread::get_id();
  if (std::this_thread::get_id() != first) {
    throw device::DeviceError(
        "systemc: the SystemC kernel belongs to the thread that opened the first card");
  }
  Platform& p = ThePlatform();
  if (p.open) {
    throw device::DeviceError("systemc: one card per process is open at a time; close it first");
  }
  p.open = true;
  return p;
}

}  // namespace

struct SystemcDevice::Impl {
  explicit Impl(const device::Options& o)
      : options(o),
        config{device::PcieOf(o, "systemc"), o.link_gbps, o.seed},
        wire(WireConfigOf(o)),
        mem(config.pcie, Card::kNumTxQ, Card::kNumRxQ),
        p(Acquire()),
        mgmt_port{[this](std::uint32_t offset, std::uint32_t* value) {
                    *value = Access(true, false, offset, 0);
                    return p.host.status() == tlm::TLM_OK_RESPONSE;
                  },
                  [this](std::uint32_t offset, std::uint32_t value) {
                    Access(true, true, offset, value);
                    return p.host.status() == tlm::TLM_OK_RESPONSE;
                  }},
        fw(mgmt_port, mem) {
    p.memory.Attach(&mem);
    p.link.Attach(&wire);
    p.card.set_csr_observer([this](std::uint32_t offset, std::uint32_t value, bool mgmt) {
      mem.OnCsrWrite(offset, value, /*privileged=*/mgmt);
    });
    p.card.set_irq_observer([this](std::uint32_t irq) {
      for (unsigned v = 0; v < Card::kNumTxQ + Card::kNumRxQ; ++v) {
        if ((irq >> v) & 1) interrupts.push_back(v);
      }
    });
    p.card.Reset(config);
    sc_core::sc_start(kCardPeriod * static_cast<double>(Card::kResetCycles));
    // The firmware starts once the card is out of reset, as on the "sim" backend.
    fw.Start();
  }

  ~Impl() {
    p.memory.Attach(nullptr);
    p.link.Attach(nullptr);
    p.card.set_csr_observer(nullptr);
    p.card.set_irq_observer(nullptr);
    p.open = false;
  }

  std::uint32_t Access(bool mgmt, bool write, std::uint32_t offset, std::uint32_t value) {
    p.host.Start(mgmt, write, offset, value);
    p.link.Kick();
    sc_core::sc_start(kCardPeriod * static_cast<double>(kCsrTimeout));
    if (!p.host.done()) {
      throw std::runtime_error(std::string("systemc: CSR ") + (write ? "write" : "read") + " at " +
                               Hex(offset) + " got no response in " + std::to_string(kCsrTimeout) +
                               " cycles");
    }
    if (!mgmt) last_status = p.host.status();
    return p.host.value();
  }

  device::Options options;
  CardConfig config;
  sim::Wire wire;
  sim::HostMemory mem;
  Platform& p;
  device::MgmtPort mgmt_port;
  device::FirmwareHost fw;
  std::vector<std::uint32_t> interrupts;
  int last_status = tlm::TLM_OK_RESPONSE;
};

SystemcDevice::SystemcDevice(const device::Options& options)
    : impl_(std::make_unique<Impl>(options)) {}

SystemcDevice::~SystemcDevice() = default;

std::uint32_t SystemcDevice::Read32(std::uint32_t offset) {
  return impl_->Access(false, false, offset, 0);
}

void SystemcDevice::Write32(std::uint32_t offset, std::uint32_t value) {
  impl_->Access(false, true, offset, value);
  // Work for the firmware reaches it only through the admin block (docs/admin.md).
  if (offset - hw::csr::admin::kBase < hw::csr::admin::kSize) impl_->fw.Service();
}

std::uint64_t SystemcDevice::Run(std::uint64_t cycles) {
  impl_->p.link.Kick();  // a frame injected since the last call
  sc_core::sc_start(kCardPeriod * static_cast<double>(cycles));
  return cycles;
}

std::uint64_t SystemcDevice::Now() const { return impl_->p.card.cycle(); }

std::vector<std::uint32_t> SystemcDevice::TakeInterrupts() {
  std::vector<std::uint32_t> out;
  out.swap(impl_->interrupts);
  return out;
}

sim::Wire* SystemcDevice::wire() { return &impl_->wire; }
sim::HostMemory* SystemcDevice::memory() { return &impl_->mem; }
device::MgmtPort* SystemcDevice::mgmt() { return &impl_->mgmt_port; }

int SystemcDevice::last_status() const { return impl_->last_status; }
std::uint64_t SystemcDevice::evaluated_cycles() const { return impl_->p.card.evaluated_cycles(); }
unsigned SystemcDevice::protocol_errors() const { return impl_->p.card.protocol_errors(); }
std::vector<std::string> SystemcDevice::protocol_error_log() const {
  return impl_->p.card.protocol_error_log();
}
bool SystemcDevice::idle() const { return impl_->p.card.idle(); }

void RegisterSystemcBackend() {
  device::RegisterBackend("systemc", [](const device::Options& options) {
    return std::unique_ptr<device::Device>(std::make_unique<SystemcDevice>(options));
  });
}

namespace {
// Registration when the program starts (the library is linked whole: sim/systemc/CMakeLists.txt).
const bool kRegistered = (RegisterSystemcBackend(), true);
}  // namespace

}  // namespace mbufnic::sc
