#include "firmware_host.h"

#include <mbufnic_fw/fw.h>

#include <span>

#include "core/host_memory.h"

namespace mbufnic::device {

FirmwareHost::FirmwareHost(MgmtPort& port, sim::HostMemory& memory)
    : port_(port), memory_(memory), fw_(std::make_unique<nic_fw>()) {}

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
  auto& self = *static_cast<FirmwareHost*>(ctx);
  const auto r = self.memory_.Read(bus, std::span(static_cast<std::uint8_t*>(dst), len));
  return r == sim::DmaResult::kOk ? 0 : 1;
}

int FirmwareHost::DmaWrite(void* ctx, std::uint64_t bus, const void* src, std::uint32_t len) {
  auto& self = *static_cast<FirmwareHost*>(ctx);
  const auto r = self.memory_.Write(bus, std::span(static_cast<const std::uint8_t*>(src), len), {});
  return r == sim::DmaResult::kOk ? 0 : 1;
}

}  // namespace mbufnic::device
