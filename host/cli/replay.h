// `mbufnic replay IN.pcap`: a capture's frames sent through the card as they are, looped back,
// and what came back compared with what went in.  With --tso each TCP flow's consecutive
// segments are first put back into the large sends a host stack hands a NIC (coalesce.h), and
// the card's segmenter must cut them into the same segments again.
#ifndef MBUFNIC_HOST_CLI_REPLAY_H_
#define MBUFNIC_HOST_CLI_REPLAY_H_

#include <string>

#include "common.h"

namespace mbufnic::cli {

struct ReplayOptions {
  CommonOptions common;  // --verbose: every difference, not just the first few
  std::string in;        // the capture to replay (Ethernet link type)
  bool tso = false;      // coalesce each TCP flow's segments into TSO sends first (coalesce.h)
  std::string out;       // the frames the card sent, as a pcap ("" for none)
};

// Returns the exit code: 0 every frame came back as it went in, 1 some did not, 2 the capture
// could not be read (missing, truncated, not Ethernet) or the card could not be brought up.
int RunReplay(const ReplayOptions &options);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_REPLAY_H_
