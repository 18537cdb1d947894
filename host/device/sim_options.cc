#include "sim_options.h"

#include <fstream>
#include <stdexcept>

namespace mbufnic::device {

namespace {

std::string Prefix(std::string_view backend) { return std::string(backend) + ": "; }

}  // namespace

sim::PcieConfig PcieOf(const Options& options, std::string_view backend) {
  try {
    return sim::PcieByName(options.pcie);
  } catch (const std::invalid_argument& e) {
    throw DeviceError(Prefix(backend) + e.what());
  }
}

sim::WireConfig WireConfigOf(const Options& options, std::string_view backend, double clock_mhz) {
  if (!(options.link_gbps >= 0)) {
    throw DeviceError(Prefix(backend) + "link_gbps must be 0 (unlimited) or more");
  }
  if (!options.pcap_out.empty()) CheckWritable(options.pcap_out, "pcap", backend);
  sim::WireConfig c;
  c.link_gbps = options.link_gbps;
  c.clock_mhz = clock_mhz;
  c.loopback = options.loopback;
  c.loopback_delay = options.loopback_delay;
  c.pcap_out = options.pcap_out;
  return c;
}

void CheckWritable(const std::string& path, const char* what, std::string_view backend) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  if (!f) throw DeviceError(Prefix(backend) + "cannot write the " + what + " " + path);
}

}  // namespace mbufnic::device
