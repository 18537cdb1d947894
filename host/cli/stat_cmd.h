// `mbufnic stat`: the card brought up on a backend, optionally after some of the demo's sends,
// and what there is to see: its counters read through the CSRs (card-wide and per queue) and
// the mbuf runtime's statistics in FreeBSD's formats (netstat -m, and vmstat -z with -v).
#ifndef MBUFNIC_HOST_CLI_STAT_CMD_H_
#define MBUFNIC_HOST_CLI_STAT_CMD_H_

#include <cstdint>

#include "common.h"

namespace mbufnic::cli {

struct StatOptions {
  CommonOptions common;     // --verbose: vmstat -z as well
  std::uint64_t sends = 0;  // the demo's sends before looking (0: a fresh card)
};

// Returns the exit code: 0 shown, 1 the sends before failed a check, 2 no card.
int RunStat(const StatOptions &o);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_STAT_CMD_H_
