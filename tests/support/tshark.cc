#include "tshark.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace mbufnic::rtltest {
namespace {

// Single-quoted for /bin/sh.
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command and returns its standard output; throws when it cannot run or exits
// non-zero.
std::string Run(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + cmd);
  }
  return out;
}

int ParseStatus(const std::string& field, const std::string& line) {
  if (field.empty()) return kTsharkAbsent;
  char* end = nullptr;
  long v = std::strtol(field.c_str(), &end, 10);
  if (*end != '\0' || v < kTsharkBad || v > kTsharkIllegal)
    throw std::runtime_error("unexpected tshark status '" + field + "' in line: " + line);
  return static_cast<int>(v);
}

}  // namespace

std::string TsharkCommand() {
  const char* env = std::getenv("MBUFNIC_TSHARK");
  return env && *env ? env : "tshark";
}

bool TsharkAvailable() {
  std::string cmd = Quote(TsharkCommand()) + " --version >/dev/null 2>&1";
  int status = std::system(cmd.c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TsharkResult CheckChecksums(const std::string& pcap_path) {
  // occurrence=f: a frame may hold a second IP/TCP/UDP header (an ICMP error quoting one, a
  // tunnel found in a payload); the outermost one is the one under test.  stderr goes away: as
  // root tshark warns there.
  const std::string cmd =
      Quote(TsharkCommand()) + " -n -r " + Quote(pcap_path) +
      " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
      " -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE"
      " -T fields -E separator=, -E occurrence=f -e frame.number -e ip.checksum.status"
      " -e tcp.checksum.status -e udp.checksum.status 2>/dev/null";
  std::istringstream out(Run(cmd));
  TsharkResult r;
  std::string line;
  while (std::getline(out, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, ',')) f.push_back(field);
    if (!line.empty() && line.back() == ',') f.emplace_back();
    if (f.size() != 4) throw std::runtime_error("unexpected tshark line: " + line);
    TsharkStatus fr;
    fr.frame = std::atoi(f[0].c_str());
    if (fr.frame != static_cast<int>(r.size()) + 1)
      throw std::runtime_error("tshark frame numbers out of order at line: " + line);
    fr.ip = ParseStatus(f[1], line);
    fr.tcp = ParseStatus(f[2], line);
    fr.udp = ParseStatus(f[3], line);
    r.push_back(fr);
  }
  return r;
}

std::vector<std::vector<std::string>> TsharkFields(const std::string& pcap_path,
                                                   const std::vector<std::string>& fields) {
  std::string cmd = Quote(TsharkCommand()) + " -n -r " + Quote(pcap_path) +
                    " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                    " -o udp.check_checksum:TRUE -o ip.defragment:FALSE"
                    " -o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE"
                    " -T fields -E separator=/t -E occurrence=f";
  for (const std::string& f : fields) cmd += " -e " + Quote(f);
  cmd += " 2>/dev/null";
  std::istringstream out(Run(cmd));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(out, line)) {
    std::vector<std::string> row;
    size_t start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      row.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (row.size() != fields.size()) throw std::runtime_error("unexpected tshark line: " + line);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace mbufnic::rtltest
