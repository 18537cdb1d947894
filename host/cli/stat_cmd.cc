// `mbufnic stat` (stat_cmd.h).
#include "stat_cmd.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "traffic.h"
#include "workload.h"

namespace mbufnic::cli {

int RunStat(const StatOptions &o) {
  WorkloadOptions w = WorkloadFor("stat", o.common);
  w.sends = o.sends;
  const WorkloadResult r = RunWorkload(w, DemoFlows());
  if (!r.opened) return 2;
  if (o.common.json) {
    nlohmann::json j = StatJson(r);
    j["ok"] = r.ok();
    j["backend"] = r.backend;
    j["card"] = {{"id", r.card_id}, {"caps", Caps(r.caps)}};
    j["sends"] = r.sent.sends;
    j["failures"] = r.failures;
    fmt::print("{}\n", j.dump(2));
    return r.ok() ? 0 : 1;
  }
  fmt::print("mbufnic stat: the card on backend '{}', card id {:#010x} ({}); {}\n", r.backend,
             r.card_id, Caps(r.caps),
             o.sends == 0 ? std::string("nothing sent (a fresh card)")
                          : fmt::format("after {} sends of the demo's traffic", r.sent.sends));
  if (!r.ok()) {
    fmt::print("  the sends FAILED:\n");
    for (const std::string &f : r.failures) fmt::print("    {}\n", f);
  }
  fmt::print("\n");
  PrintStat(r, o.common.verbose);
  return r.ok() ? 0 : 1;
}

}  // namespace mbufnic::cli
