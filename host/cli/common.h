// The options every mbufnic subcommand takes (main.cc adds them to each one the same way).
#ifndef MBUFNIC_HOST_CLI_COMMON_H_
#define MBUFNIC_HOST_CLI_COMMON_H_

#include <cstdint>
#include <string>

namespace mbufnic::cli {

struct CommonOptions {
  std::string backend = "sim";  // device::Open's name: sim, model, ... (device::Backends())
  std::uint64_t seed = 1;       // seeds the simulated card and the traffic
  std::string trace;            // FST waveform of the card (sim only; "" for none)
  bool json = false;            // one JSON object on stdout instead of the summary
  bool verbose = false;         // more detail (each command says which)
};

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_COMMON_H_
