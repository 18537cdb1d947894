// Minimal pcap capture files over libpcap, for handing frames to tshark and reading them back.
// Test support: errors throw std::runtime_error.
#ifndef MBUFNIC_TESTS_RTL_SUPPORT_PCAP_FILE_H_
#define MBUFNIC_TESTS_RTL_SUPPORT_PCAP_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct pcap;
struct pcap_dumper;

namespace mbufnic::rtltest {

// Writes Ethernet frames (DLT_EN10MB, snap length 65535) to a new capture file, one microsecond
// apart.  The file is complete once the writer is closed or destroyed.
class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one frame (frames longer than the snap length are refused).
  void Write(std::span<const uint8_t> frame);
  // Flushes and closes the file; later writes throw.
  void Close();
  size_t frames() const { return frames_; }

 private:
  std::string path_;
  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  size_t frames_ = 0;
};

// Writes `frames` to `path` in one go.
void WritePcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);

// Every frame of a capture file, as captured (caplen bytes).
std::vector<std::vector<uint8_t>> ReadPcap(const std::string& path);

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_SUPPORT_PCAP_FILE_H_
