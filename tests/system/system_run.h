// Runs a workload (workload.h) end to end through the host driver on a card backend in loopback,
// and records everything a user of the card could look at afterwards: every frame the card put
// on the wire, every frame the driver handed up with its receive flags, the driver's and the
// card's counters, the host-memory model's DMA violations, and whether every mbuf came back.
// The checks are the tests' (system_test.cc, diff_test.cc): a RunResult is plain data, so two
// backends' results can be compared field by field.
#ifndef MBUFNIC_TESTS_SYSTEM_SYSTEM_RUN_H_
#define MBUFNIC_TESTS_SYSTEM_SYSTEM_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "mbufnic/device.hpp"
#include "mbufnic/driver.hpp"
#include "workload.h"

namespace mbufnic::systest {

// A frame the driver handed up, with the m_pkthdr fields a stack would look at.
struct RxRecord {
  int queue = 0;
  Frame bytes;
  std::uint32_t csum_flags = 0;
  std::uint32_t data = 0;  // m_pkthdr.csum_data
  bool vlan = false;       // M_VLANTAG
  std::uint16_t vtag = 0;
  bool operator==(const RxRecord &) const = default;
};

// The card's counters, read through CSRs (device.hpp).
using CardCounters = device::Counters;
using device::ReadCounters;

// A temporary file name unique to this test process: <TempDir>/system_<what>_<pid><ext>.
std::string TempPath(const std::string &what, const std::string &ext = ".pcap");

struct RunConfig {
  std::string backend = "model";
  device::Options dev;  // loopback is forced on
  driver::NicOptions nic;
  int poll_every = 16;               // sends between two polls
  std::uint64_t poll_cycles = 2000;  // card cycles per poll
};

struct RunResult {
  std::vector<Frame> wire;   // every frame the card sent, in order
  std::vector<RxRecord> rx;  // every frame the driver handed up, in order
  driver::TxQueueStats tx;
  driver::RxQueueStats rxs;
  CardCounters counters;  // read after the traffic drained, before the driver detached
  std::vector<std::string> violations;
  bool zones_back = false;  // every zone holds what it held before the run
  int bad_chains = 0;       // received chains failing m_sanity or with a wrong pkthdr.len
  int unsent = 0;           // items the transmit ring never took
  std::uint64_t cycles = 0;
  double wall_seconds = 0;
};

RunResult RunWorkload(const RunConfig &config, const std::vector<Item> &items);

}  // namespace mbufnic::systest

#endif  // MBUFNIC_TESTS_SYSTEM_SYSTEM_RUN_H_
