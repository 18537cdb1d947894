#include "pcap_file.h"

#include <pcap/pcap.h>

#include <stdexcept>

namespace mbufnic::rtltest {
namespace {

constexpr int kSnapLen = 65535;
constexpr time_t kFirstSecond = 1'700'000'000;  // an arbitrary, fixed start time

}  // namespace

PcapWriter::PcapWriter(const std::string& path) : path_(path) {
  pcap_ = pcap_open_dead(DLT_EN10MB, kSnapLen);
  if (!pcap_) throw std::runtime_error("pcap_open_dead failed");
  dumper_ = pcap_dump_open(pcap_, path.c_str());
  if (!dumper_) {
    std::string err = pcap_geterr(pcap_);
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw std::runtime_error("cannot create " + path + ": " + err);
  }
}

PcapWriter::~PcapWriter() {
  try {
    Close();
  } catch (...) {  // a destructor must not throw; Close() explicitly to see the error
  }
}

void PcapWriter::Write(std::span<const uint8_t> frame) {
  if (!dumper_) throw std::runtime_error("pcap writer for " + path_ + " is closed");
  if (frame.size() > static_cast<size_t>(kSnapLen))
    throw std::runtime_error("frame of " + std::to_string(frame.size()) +
                             " bytes exceeds the snap length");
  pcap_pkthdr h{};
  h.ts.tv_sec = kFirstSecond + static_cast<time_t>(frames_ / 1'000'000);
  h.ts.tv_usec = static_cast<suseconds_t>(frames_ % 1'000'000);
  h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
  ++frames_;
}

void PcapWriter::Close() {
  if (!dumper_) return;
  bool ok = pcap_dump_flush(dumper_) == 0;
  pcap_dump_close(dumper_);  // also closes the FILE
  pcap_close(pcap_);
  dumper_ = nullptr;
  pcap_ = nullptr;
  if (!ok) throw std::runtime_error("cannot write " + path_);
}

void WritePcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
  PcapWriter w(path);
  for (const auto& f : frames) w.Write(f);
  w.Close();
}

std::vector<std::vector<uint8_t>> ReadPcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) throw std::runtime_error("cannot open " + path + ": " + err);
  std::vector<std::vector<uint8_t>> frames;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) frames.emplace_back(data, data + h->caplen);
  std::string why = rc == PCAP_ERROR ? pcap_geterr(p) : "";
  pcap_close(p);
  if (rc != PCAP_ERROR_BREAK) throw std::runtime_error("error reading " + path + ": " + why);
  return frames;
}

}  // namespace mbufnic::rtltest
