// `mbufnic demo` (demo.h).
#include "demo.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "traffic.h"
#include "workload.h"

namespace mbufnic::cli {

int RunDemo(const DemoOptions &o) {
  WorkloadOptions w = WorkloadFor("demo", o.common);
  w.pcap = o.pcap;
  w.offloads = o.offloads;
  w.sends = static_cast<std::uint64_t>(o.sends);
  const WorkloadResult r = RunWorkload(w, DemoFlows());
  if (!r.opened) return 2;
  if (o.common.json) {
    nlohmann::json j = WorkloadJson(r, w);
    if (o.stat) j["stat"] = StatJson(r);
    fmt::print("{}\n", j.dump(2));
  } else {
    PrintSummary(r, w,
                 {.what_flows = "(TCP and UDP over IPv4 and IPv6)",
                  .verbose = o.common.verbose,
                  .stat = o.stat});
  }
  return r.ok() ? 0 : 1;
}

}  // namespace mbufnic::cli
