// tshark as an independent checksum checker.  Test support: errors throw std::runtime_error.
#ifndef MBUFNIC_TESTS_RTL_SUPPORT_TSHARK_H_
#define MBUFNIC_TESTS_RTL_SUPPORT_TSHARK_H_

#include <string>
#include <vector>

namespace mbufnic::rtltest {

// Wireshark's checksum status values (ip/tcp/udp.checksum.status), plus kTsharkAbsent when
// tshark did not dissect that protocol in the frame (or gave it no status).
enum : int {
  kTsharkAbsent = -1,
  kTsharkBad = 0,
  kTsharkGood = 1,
  kTsharkUnverified = 2,
  kTsharkNotPresent = 3,  // UDP checksum 0 over IPv4
  kTsharkIllegal = 4,     // UDP checksum 0 over IPv6
};

// One frame's verdicts, for the first (outermost) IP, TCP and UDP header.
struct TsharkStatus {
  int frame = 0;  // frame.number, from 1
  int ip = kTsharkAbsent;
  int tcp = kTsharkAbsent;
  int udp = kTsharkAbsent;
};

// [i] is frame number i + 1.
using TsharkResult = std::vector<TsharkStatus>;

// The tshark command: $MBUFNIC_TSHARK if set, otherwise "tshark" from PATH.
std::string TsharkCommand();

// True when the tshark command runs.
bool TsharkAvailable();

// Runs tshark over the capture with IP, TCP and UDP checksum checking on and IP defragmentation
// and TCP reassembly off (every frame is judged alone), and returns every frame's statuses.
// Throws if tshark fails or its output is not one well-formed line per frame.
TsharkResult CheckChecksums(const std::string& pcap_path);

// One row per frame, in capture order: the values of `fields` (tshark field names such as
// "tcp.seq_raw", "tcp.len", "tcp.stream"), empty where the frame has none, the outermost
// occurrence of each.  Dissected as CheckChecksums does (every frame judged alone).  Throws if
// tshark fails or a line does not have one value per field.
std::vector<std::vector<std::string>> TsharkFields(const std::string& pcap_path,
                                                   const std::vector<std::string>& fields);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_SUPPORT_TSHARK_H_
