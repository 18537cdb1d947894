#include "firmware_host.h"

#include <mbufnic_fw/fw.h>

#include <cstring>
#include <span>
#include <utility>

#include "core/host_memory.h"
#include "mbufnic/runtime.h"

namespace mbufnic::device {

FirmwareDma HostMemoryDma(sim::HostMemory& memory) {
  return {
      [&memory](std::uint64_t bus, void* dst, std::uint32_t len) {
        return memory.Read(bus, std::span(static_cast<std::uint8_t*>(dst), len)) ==
               sim::DmaResult::kOk;
      },
      [&memory](std::uint64_t bus, const void* src, std::uint32_t len) {
        return memory.Write(bus, std::span(static_cast<const std::uint8_t*>(src), len), {}) ==
               sim::DmaResult::kOk;
      },
  };
}

namespace {

// The arena's address of [bus, bus + len), or nullptr when any of it lies outside the arena.
// The arena is one range in both address spaces, so its two ends decide.
void* ArenaSpan(std::uint64_t bus, std::uint32_t len) {
  void* const va = mbufnic_bustov(bus);
  if (va == nullptr || bus + len < bus || !mbufnic_in_arena(va, len)) return nullptr;
  return va;
}

}  // namespace

FirmwareDma ArenaDma() {
  return {
      [](std::uint64_t bus, void* dst, std::uint32_t len) {
        const void* const src = ArenaSpan(bus, len);
        if (src == nullptr) return false;
        std::memcpy(dst, src, len);
        return true;
      },
      [](std::uint64_t bus, const void* src, std::uint32_t len) {
        void* const dst = ArenaSpan(bus, len);
        if (dst == nullptr) return false;
        std::memcpy(dst, src, len);
        return true;
      },
  };
}

FirmwareHost::FirmwareHost(MgmtPort& port, FirmwareDma dma)
    : port_(port), dma_(std::move(dma)), fw_(std::make_unique<nic_fw>()) {}

FirmwareHost::FirmwareHost(MgmtPort& port, sim::HostMemory& memory)
    : FirmwareHost(port, HostMemoryDma(memory)) {}

FirmwareHost::~FirmwareHost() = default;

void FirmwareHost::Start() {
  const nic_fw_hal hal{this, &CsrRead, &CsrWrite, &DmaRead, &DmaWrite};
  if (nic_fw_init(fw_.get(), &hal) != 0) {
    throw DeviceError("firmware: the card's id word is not one this firmware knows");
  }
  started_ = true;
}

unsigned FirmwareHost::Service() { return started_ ? nic_fw_poll(fw_.get()) : 0; }

std::uint32_t FirmwareHost::commands() const { return fw_->commands; }

int FirmwareHost::CsrRead(void* ctx, std::uint32_t offset, std::uint32_t* value) {
  return static_cast<FirmwareHost*>(ctx)->port_.read(offset, value) ? 0 : 1;
}

int FirmwareHost::CsrWrite(void* ctx, std::uint32_t offset, std::uint32_t value) {
  return static_cast<FirmwareHost*>(ctx)->port_.write(offset, value) ? 0 : 1;
}

int FirmwareHost::DmaRead(void* ctx, std::uint64_t bus, void* dst, std::uint32_t len) {
  return static_cast<FirmwareHost*>(ctx)->dma_.read(bus, dst, len) ? 0 : 1;
}

int FirmwareHost::DmaWrite(void* ctx, std::uint64_t bus, const void* src, std::uint32_t len) {
  return static_cast<FirmwareHost*>(ctx)->dma_.write(bus, src, len) ? 0 : 1;
}

}  // namespace mbufnic::device
