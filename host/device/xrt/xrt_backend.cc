#include "xrt_backend.h"

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_hw_context.h>
#include <xrt/xrt_uuid.h>

// XRT 2.19 (2025.1) moved its experimental headers under xrt/ (Xilinx/XRT#8648) and left the old
// paths as warnings; XRT 2.18 and older, what most Alveo platforms are installed with, have only
// the old paths.
#if __has_include(<xrt/experimental/xrt_ip.h>)
#include <xrt/experimental/xrt_ip.h>
#include <xrt/experimental/xrt_system.h>
#include <xrt/experimental/xrt_xclbin.h>
#else
#include <experimental/xrt_ip.h>
#include <experimental/xrt_system.h>
#include <experimental/xrt_xclbin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "firmware_host.h"
#include "mbufnic/hw/nic_hw.h"
#include "mbufnic/runtime.h"
#include "registry.h"

namespace mbufnic::device {

namespace {

namespace csr = hw::csr;
using Clock = std::chrono::steady_clock;

// The card's clock is 250 MHz: 4 ns a cycle.
constexpr std::uint64_t kNsPerCycle = 4;
// Waits shorter than this spin on the clock: a sleep overshoots by tens of microseconds, more
// than the driver's usual Run(2000) (8 us) lasts.
constexpr auto kSpinBelow = std::chrono::microseconds(100);
// TakeInterrupts reports every vector at least this often even when no interrupt came: UG1700
// says XRT's native API does not deliver user-managed kernels' interrupts (boards/README.md), and
// a lost notification must cost latency, never a driver that waits for ever.
constexpr auto kIrqSafetyNet = std::chrono::milliseconds(1);
// How long Open waits for a queue a process before it left running to let go of its rings.
constexpr auto kStopWait = std::chrono::milliseconds(100);

std::string Hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The card part of "xrt:N" / "xrt:<BDF>".
std::string Which(std::string_view name) {
  constexpr std::string_view kPrefix = "xrt:";
  if (name.substr(0, kPrefix.size()) != kPrefix || name.size() == kPrefix.size()) {
    throw DeviceError("device '" + std::string(name) +
                      "': name a card as xrt:N (XRT's device index, as `xrt-smi examine` lists "
                      "them) or xrt:<BDF> (its PCIe address, e.g. xrt:0000:03:00.1)");
  }
  return std::string(name.substr(kPrefix.size()));
}

// The compute unit as the xclbin's IP_LAYOUT names it, "kernel:cu".
std::string CuName() { return std::string(kXrtKernel) + ":" + kXrtComputeUnit; }

// "0", "1", ...: a device index; anything else is a BDF for XRT to look up.
std::optional<unsigned> IndexOf(const std::string& which) {
  if (which.size() > 6 ||
      !std::all_of(which.begin(), which.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::stoul(which));
}

std::string XclbinPath(const Options& options) {
  if (!options.xclbin.empty()) return options.xclbin;
  const char* env = std::getenv(kXrtXclbinEnv);
  return env != nullptr ? env : "";
}

// The runtime's own knob for the arena size, so one setting sizes the arena on every backend.
std::size_t ArenaBytes() {
  std::size_t mib = kXrtArenaMib;
  if (const char* e = std::getenv("MBUFNIC_ARENA_MB"); e != nullptr && std::atoi(e) > 0) {
    mib = static_cast<std::size_t>(std::atoi(e));
  }
  return mib << 20;
}

// The index of the xclbin's host-memory bank (HOST[0], what `sp=...:HOST[0]` links the kernel's
// AXI master to), or -1.  xrt::ip has no kernel arguments to ask for a group id, so the bank
// comes from the memory topology rather than from a hard-coded index.
std::int32_t HostBank(const ::xrt::xclbin& xclbin) {
  for (const ::xrt::xclbin::mem& m : xclbin.get_mems()) {
    if (m.get_used() && m.get_type() == ::xrt::xclbin::mem::memory_type::host) {
      return m.get_index();
    }
  }
  return -1;
}

// What the first Open of the process sets up and every later Open shares.  The runtime's arena
// lives in `arena` until the process ends (it never gives memory back, and mbufs may be freed
// from static destructors), so a session is never destroyed.
struct Session {
  std::string which;
  std::string xclbin_path;
  ::xrt::device card;
  ::xrt::xclbin xclbin;
  ::xrt::hw_context ctx;
  ::xrt::bo arena;
};

std::mutex g_session_mu;
Session* g_session = nullptr;  // guarded by g_session_mu; never deleted

std::unique_ptr<Session> NewSession(const std::string& name, const std::string& which,
                                    const std::string& path) {
  auto s = std::make_unique<Session>();
  s->which = which;
  s->xclbin_path = path;
  const std::optional<unsigned> index = IndexOf(which);
  s->card = index ? ::xrt::device(*index) : ::xrt::device(which);
  s->xclbin = ::xrt::xclbin(path);
  const std::string cu = CuName();
  if (!s->xclbin.get_ip(cu)) {
    throw DeviceError(name + ": " + path + " has no compute unit " + cu +
                      " (is it the mbufnic kernel's xclbin? see boards/)");
  }
  const std::int32_t bank = HostBank(s->xclbin);
  if (bank < 0) {
    throw DeviceError(name + ": " + path +
                      " has no host-memory bank; link the kernel's AXI master to host memory "
                      "(v++ --connectivity.sp " +
                      kXrtComputeUnit + ".m_axi_gmem:HOST[0])");
  }
  // register_xclbin + hw_context programs the card (XRT's current flow; load_xclbin is
  // deprecated in its favour).
  s->ctx = ::xrt::hw_context(s->card, s->card.register_xclbin(s->xclbin));
  const std::size_t bytes = ArenaBytes();
  s->arena = ::xrt::bo(s->card, bytes, ::xrt::bo::flags::host_only,
                       static_cast<::xrt::memory_group>(bank));
  void* va = s->arena.map();
  const std::uint64_t bus = s->arena.address();
  switch (mbufnic_arena_provide(va, bytes, bus)) {
    case 0:
      break;
    case EBUSY:
      throw DeviceError(name +
                        ": the mbuf runtime's DMA arena already exists (an mbuf was allocated, or "
                        "its statistics read, before this Open); open the card first, so that "
                        "the arena is made in memory the card can reach");
    default:
      throw DeviceError(name + ": XRT's host buffer (" + std::to_string(bytes >> 20) + " MiB at " +
                        Hex(reinterpret_cast<std::uintptr_t>(va)) + ", bus address " + Hex(bus) +
                        ") cannot hold the arena: it needs both aligned to 4 KiB and at least "
                        "2 MiB");
  }
  return s;
}

// The process's session for this card and xclbin, made on first use.
Session& SessionFor(const std::string& name, const std::string& which, const std::string& path) {
  std::lock_guard lock(g_session_mu);
  if (g_session == nullptr) {
    g_session = NewSession(name, which, path).release();
  } else if (g_session->which != which || g_session->xclbin_path != path) {
    throw DeviceError(name + ": this process already drives xrt:" + g_session->which + " with " +
                      g_session->xclbin_path +
                      "; the mbuf arena lives in that card's host buffer until the process "
                      "ends, so a process drives one card with one xclbin");
  }
  return *g_session;
}

}  // namespace

struct XrtDevice::Impl {
  std::string name;
  Session* session = nullptr;
  ::xrt::ip ip;
  std::optional<::xrt::ip::interrupt> irq;  // empty: the kernel has no interrupt; poll
  std::vector<std::uint32_t> vectors;       // every queue's vector, tx first
  Clock::time_point opened;
  Clock::time_point last_report;  // when TakeInterrupts last reported the vectors
  // The firmware's port: the kernel's management window.  XRT throws on a failed access, which
  // the firmware sees as a refused one.
  MgmtPort mgmt_port{[this](std::uint32_t offset, std::uint32_t* value) {
                       try {
                         *value = ip.read_register(kXrtMgmtWindow + offset);
                         return true;
                       } catch (const std::exception&) {
                         return false;
                       }
                     },
                     [this](std::uint32_t offset, std::uint32_t value) {
                       try {
                         ip.write_register(kXrtMgmtWindow + offset, value);
                         return true;
                       } catch (const std::exception&) {
                         return false;
                       }
                     }};
  std::unique_ptr<FirmwareHost> fw;

  // Disables every queue whose ctrl.enable is set and waits until the card has let go of its
  // rings: this process's firmware starts knowing of no queue, so one left running (a process
  // that ended without detaching) would otherwise keep DMAing into memory nobody owns now.
  void StopLeftQueues(std::uint32_t txq, std::uint32_t rxq);
};

void XrtDevice::Impl::StopLeftQueues(std::uint32_t txq, std::uint32_t rxq) {
  std::vector<std::uint32_t> bases;
  for (std::uint32_t q = 0; q < txq; ++q) bases.push_back(csr::txq::Base(q));
  for (std::uint32_t q = 0; q < rxq; ++q) bases.push_back(csr::rxq::Base(q));
  for (const std::uint32_t base : bases) {
    std::uint32_t ctrl = 0;
    if (!mgmt_port.read(base + csr::txq::kCtrl, &ctrl)) {
      throw DeviceError(name + ": the kernel's management window does not answer at " +
                        Hex(kXrtMgmtWindow + base + csr::txq::kCtrl));
    }
    if ((ctrl & csr::txq::ctrl::kEnableMask) == 0) continue;
    if (!mgmt_port.write(base + csr::txq::kCtrl, 0)) {
      throw DeviceError(name + ": the kernel's management window refused a write at " +
                        Hex(kXrtMgmtWindow + base + csr::txq::kCtrl));
    }
    const Clock::time_point give_up = Clock::now() + kStopWait;
    std::uint32_t status = csr::txq::status::kRunningMask;
    while (mgmt_port.read(base + csr::txq::kStatus, &status) &&
           (status & csr::txq::status::kRunningMask) != 0 && Clock::now() < give_up) {
    }
    if ((status & csr::txq::status::kRunningMask) != 0) {
      throw DeviceError(name + ": the queue at " + Hex(base) +
                        " was left running by another process and did not stop within 100 ms");
    }
  }
}

XrtDevice::XrtDevice(std::string_view name, const Options& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.name = std::string(name);
  const std::string which = Which(name);
  const std::string path = XclbinPath(options);
  if (path.empty()) {
    throw DeviceError(d.name + ": no xclbin; set device::Options::xclbin or " + kXrtXclbinEnv +
                      " to the mbufnic kernel's .xclbin (docs/xrt.md)");
  }
  const std::string cu = CuName();
  try {
    d.session = &SessionFor(d.name, which, path);
    // User-managed: XRT neither starts nor watches the kernel; xrt::ip is the register window
    // (opened exclusively: one process, one object at a time).
    d.ip = ::xrt::ip(d.session->ctx, cu);
  } catch (const DeviceError&) {
    throw;
  } catch (const std::exception& e) {
    throw DeviceError(d.name + " (" + path + "): " + e.what());
  }

  // Refuse a kernel that is not the card this driver knows before sizing anything from it.
  const std::uint32_t id = Read32(csr::card::kBase + csr::card::kId);
  if (!csr::IdCompatible(id, csr::card::kIdValue)) {
    throw DeviceError(d.name + ": the kernel's id register reads " + Hex(id) +
                      ", not the mbufnic card's " + Hex(csr::card::kIdValue));
  }
  const std::uint32_t queues = Read32(csr::card::kBase + csr::card::kQueues);
  const std::uint32_t txq = (queues & csr::card::queues::kTxMask) >> csr::card::queues::kTxShift;
  const std::uint32_t rxq = (queues & csr::card::queues::kRxMask) >> csr::card::queues::kRxShift;
  // The CSR map runs to the last receive queue's block; XRT checks every access against the
  // range the xclbin gives the kernel, so a short range would fail later, one access at a time.
  // The management window holds the same map above kXrtMgmtWindow.
  const std::uint64_t span = kXrtMgmtWindow + (rxq > 0 ? csr::rxq::Base(rxq) : csr::txq::Base(txq));
  const std::uint64_t range = d.session->xclbin.get_ip(cu).get_size();
  if (range < span) {
    throw DeviceError(d.name + ": the kernel's register range is " + Hex(range) +
                      " bytes, but the CSRs of its " + std::to_string(txq) + " transmit and " +
                      std::to_string(rxq) + " receive queues, in the management window at " +
                      Hex(kXrtMgmtWindow) + ", end at " + Hex(span) +
                      " (the S_AXI_CONTROL range in boards/; a kernel built before the "
                      "management window has 0x20000)");
  }
  d.StopLeftQueues(txq, rxq);
  d.fw = std::make_unique<FirmwareHost>(d.mgmt_port, ArenaDma());
  d.fw->Start();
  for (std::uint32_t v = 0; v < txq + rxq; ++v) d.vectors.push_back(v);
  try {
    d.irq = d.ip.create_interrupt_notify();  // enabled from here on
  } catch (const std::exception&) {
    d.irq.reset();  // packaged without an interrupt: TakeInterrupts polls
  }
  d.opened = d.last_report = Clock::now();
}

XrtDevice::~XrtDevice() = default;

std::string_view XrtDevice::Name() const { return impl_->name; }

std::uint32_t XrtDevice::Read32(std::uint32_t offset) { return impl_->ip.read_register(offset); }

void XrtDevice::Write32(std::uint32_t offset, std::uint32_t value) {
  impl_->ip.write_register(offset, value);
  // The only way work reaches the firmware (docs/admin.md).
  if (offset - csr::admin::kBase < csr::admin::kSize) impl_->fw->Service();
}

std::uint64_t XrtDevice::Run(std::uint64_t cycles) {
  const Clock::time_point start = Clock::now();
  // At most a day per call, so that start + wait cannot overflow the clock's representation.
  constexpr std::uint64_t kMaxCycles = 86'400'000'000'000 / kNsPerCycle;
  const auto wait = std::chrono::nanoseconds(std::min(cycles, kMaxCycles) * kNsPerCycle);
  const Clock::time_point end = start + wait;
  if (wait >= kSpinBelow) {
    std::this_thread::sleep_until(end);
  } else {
    while (Clock::now() < end) {
    }
  }
  return static_cast<std::uint64_t>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()) /
         kNsPerCycle;
}

std::uint64_t XrtDevice::Now() const {
  return static_cast<std::uint64_t>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - impl_->opened)
                 .count()) /
         kNsPerCycle;
}

std::vector<std::uint32_t> XrtDevice::TakeInterrupts() {
  Impl& d = *impl_;
  if (!d.irq) return d.vectors;
  // wait(0 ms) only polls the interrupt's file descriptor; when it is readable, wait() consumes
  // the event without blocking and re-enables the interrupt.  One line for every queue: which
  // queue fired is for the driver to find in its rings.
  const Clock::time_point now = Clock::now();
  if (d.irq->wait(std::chrono::milliseconds(0)) == std::cv_status::no_timeout) {
    d.irq->wait();
  } else if (now - d.last_report < kIrqSafetyNet) {
    return {};
  }
  d.last_report = now;
  return d.vectors;
}

bool XrtDevice::has_interrupt() const { return impl_->irq.has_value(); }

std::string XrtUnavailable(std::string_view name, const Options& options) {
  std::string which;
  try {
    which = Which(name);
  } catch (const DeviceError& e) {
    return e.what();
  }
  unsigned cards = 0;
  try {
    cards = ::xrt::system::enumerate_devices();
  } catch (const std::exception& e) {
    return std::string("XRT cannot list cards: ") + e.what();
  }
  if (cards == 0) {
    return "no Alveo card: XRT finds no device (xrt::system::enumerate_devices() is 0; is the "
           "xocl driver loaded?)";
  }
  if (const std::optional<unsigned> index = IndexOf(which); index && *index >= cards) {
    return "XRT finds " + std::to_string(cards) + " card(s); there is no card " + which;
  }
  const std::string path = XclbinPath(options);
  if (path.empty()) {
    return std::string("no xclbin: set ") + kXrtXclbinEnv +
           " (or device::Options::xclbin) to the mbufnic kernel's .xclbin";
  }
  if (std::error_code ec; !std::filesystem::is_regular_file(path, ec)) {
    return "the xclbin " + path + " does not exist";
  }
  return "";
}

void RegisterXrtBackend() {
  RegisterBackendFamily("xrt", [](std::string_view name, const Options& options) {
    return std::unique_ptr<Device>(std::make_unique<XrtDevice>(name, options));
  });
}

namespace {
// Registration when the program starts.  The library is linked whole (CMakeLists.txt), so this
// runs in every program that links the backend, whether or not it names XrtDevice.
const bool kRegistered = (RegisterXrtBackend(), true);
}  // namespace

}  // namespace mbufnic::device
