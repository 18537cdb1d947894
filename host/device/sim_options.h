// How the simulated backends ("model", "sim", "systemc") read device::Options into the
// simulation core's configurations, in one place so that all three accept and refuse the same
// options with the same words.  Each call throws DeviceError, the message starting with the
// backend's name.
#ifndef MBUFNIC_HOST_DEVICE_SIM_OPTIONS_H_
#define MBUFNIC_HOST_DEVICE_SIM_OPTIONS_H_

#include <string>
#include <string_view>

#include "core/host_memory.h"
#include "core/wire.h"
#include "mbufnic/device.hpp"

namespace mbufnic::device {

// The PCIe preset named by options.pcie ("gen4", "gen3").
sim::PcieConfig PcieOf(const Options& options, std::string_view backend);

// The wire for these options at a card clock of clock_mhz: link rate (not negative), loopback,
// and the pcap file, which must be writable (in a folder that exists).
sim::WireConfig WireConfigOf(const Options& options, std::string_view backend,
                             double clock_mhz = 250.0);

// Fails early, naming the path, when `path` cannot be created or opened for writing (an existing
// file is left as it is).
void CheckWritable(const std::string& path, const char* what, std::string_view backend);

}  // namespace mbufnic::device

#endif  // MBUFNIC_HOST_DEVICE_SIM_OPTIONS_H_
