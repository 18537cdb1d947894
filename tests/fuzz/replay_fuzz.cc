// Fuzz target: the fuzzer's bytes as the capture `mbufnic replay` reads, replayed in-process
// through the card's C++ model (backend `model`), as they are and again with --tso (each TCP
// flow's segments coalesced into TSO sends for the card to cut again).
//
// Whatever the bytes, each run must end one of two ways:
//   - exit code 0: every frame the capture holds went through the card and came back as it went
//     in, the card made no DMA access the host did not grant, and it never stopped answering;
//   - exit code 2: the capture could not be read, with a message starting "mbufnic replay: ".
// Exit code 1 (a frame lost or changed, a DMA violation, a stall), a crash, a sanitizer report,
// or an mbuf, cluster or tag still in use afterwards aborts.  The command's output goes to a
// memory file and is shown only then.
//
// A byte-level mutation seldom keeps a capture readable (a frame that grows must grow its
// record's length fields too), so most mutations here are made on the records instead: one
// frame's bytes mutated (its size may change), a record copied, dropped, or cut short of its
// frame.  The rest are libFuzzer's own, on the whole file, for the reader's sake.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mbuf_test_util.h"
#include "replay.h"

namespace {

// A file in memory, named by a path libpcap can open.
class MemFile {
 public:
  explicit MemFile(const char *name) : fd_(memfd_create(name, 0)) {
    if (fd_ < 0) {
      std::perror("replay_fuzz: memfd_create");
      std::abort();
    }
  }
  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  void Set(const std::uint8_t *data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0 ||
        (size != 0 && pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size))) {
      std::perror("replay_fuzz: writing the capture");
      std::abort();
    }
    lseek(fd_, 0, SEEK_SET);
  }
  std::string Read() const {
    std::string s(static_cast<std::size_t>(lseek(fd_, 0, SEEK_END)), '\0');
    if (!s.empty() && pread(fd_, s.data(), s.size(), 0) < 0) s = "(unreadable)";
    return s;
  }

 private:
  int fd_;
};

// stdout and stderr into one memory file for the length of a call.
class Captured {
 public:
  explicit Captured(MemFile &to) : out_(dup(1)), err_(dup(2)) {
    std::fflush(stdout);
    to.Set(nullptr, 0);
    dup2(to.fd(), 1);
    dup2(to.fd(), 2);
  }
  ~Captured() {
    std::fflush(stdout);
    dup2(out_, 1);
    dup2(err_, 2);
    close(out_);
    close(err_);
  }

 private:
  int out_, err_;
};

void Replay(const std::string &capture, bool tso) {
  static MemFile output("replay_fuzz_output");
  mbufnic::cli::ReplayOptions o;
  o.common.backend = "model";
  o.in = capture;
  o.tso = tso;
  const mbufnic::test::ZoneUsage before = mbufnic::test::ZoneUsage::Now();
  int rc;
  {
    Captured c(output);
    rc = mbufnic::cli::RunReplay(o);
  }
  const std::string said = output.Read();
  const char *wrong = nullptr;
  if (rc == 2 && said.rfind("mbufnic replay: ", 0) != 0) {
    wrong = "refused the capture without saying why";
  } else if (rc != 0 && rc != 2) {
    wrong = "the card lost or changed frames, stalled, or went outside the memory it was given";
  } else if (!(mbufnic::test::ZoneUsage::Now() == before)) {
    wrong = "mbufs, clusters or tags still in use after the replay";
  }
  if (wrong != nullptr) {
    std::fprintf(stderr, "replay_fuzz: %s%s: %s (exit code %d); it said:\n%s\n", "replay",
                 tso ? " --tso" : "", wrong, rc, said.c_str());
    std::abort();
  }
}

// A classic pcap file (either byte order is not needed: the seeds and the mutator write
// little-endian), as records.
struct Pcap {
  static constexpr std::size_t kFileHdr = 24, kRecHdr = 16;
  struct Record {
    std::vector<std::uint8_t> hdr;  // timestamp and lengths, as read
    std::vector<std::uint8_t> frame;
    bool snapped = false;  // the original length says more than the record holds
  };
  std::vector<std::uint8_t> file_hdr;
  std::vector<Record> records;
  std::vector<std::uint8_t> tail;  // a last record cut short, kept as it is

  static std::uint32_t Le32(const std::uint8_t *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  }
  static void PutLe32(std::uint8_t *p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }

  bool Parse(const std::uint8_t *data, std::size_t size) {
    if (size < kFileHdr) return false;
    const std::uint32_t magic = Le32(data);
    if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return false;
    file_hdr.assign(data, data + kFileHdr);
    std::size_t at = kFileHdr;
    while (at + kRecHdr <= size) {
      const std::uint32_t caplen = Le32(data + at + 8), len = Le32(data + at + 12);
      if (caplen > size - at - kRecHdr) break;
      Record r;
      r.hdr.assign(data + at, data + at + kRecHdr);
      r.frame.assign(data + at + kRecHdr, data + at + kRecHdr + caplen);
      r.snapped = len > caplen;
      records.push_back(std::move(r));
      at += kRecHdr + caplen;
    }
    tail.assign(data + at, data + size);
    return true;
  }

  std::size_t Write(std::uint8_t *out, std::size_t max) const {
    std::vector<std::uint8_t> f = file_hdr;
    for (const Record &r : records) {
      std::vector<std::uint8_t> h = r.hdr;
      const auto caplen = static_cast<std::uint32_t>(r.frame.size());
      PutLe32(h.data() + 8, caplen);
      PutLe32(h.data() + 12, r.snapped ? caplen + 1 + caplen / 2 : caplen);
      f.insert(f.end(), h.begin(), h.end());
      f.insert(f.end(), r.frame.begin(), r.frame.end());
    }
    f.insert(f.end(), tail.begin(), tail.end());
    if (f.size() > max) return 0;
    std::memcpy(out, f.data(), f.size());
    return f.size();
  }
};

}  // namespace

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t *data, std::size_t size, std::size_t max);

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t *data, std::size_t size,
                                               std::size_t max, unsigned int seed) {
  std::minstd_rand rng(seed);
  Pcap p;
  if (rng() % 4 == 0 || !p.Parse(data, size) || p.records.empty()) {
    return LLVMFuzzerMutate(data, size, max);
  }
  Pcap::Record &r = p.records[rng() % p.records.size()];
  switch (rng() % 8) {
    case 0:  // another copy of a record, right after it
      p.records.insert(p.records.begin() + (&r - p.records.data()), r);
      break;
    case 1:  // a record fewer
      p.records.erase(p.records.begin() + (&r - p.records.data()));
      break;
    case 2:
      r.snapped = !r.snapped;
      break;
    default: {  // one frame's bytes, up to a jumbo frame and a little more
      constexpr std::size_t kMaxFrame = 9300;
      const std::size_t n = r.frame.size();
      r.frame.resize(std::max(n, kMaxFrame));
      r.frame.resize(LLVMFuzzerMutate(r.frame.data(), n, kMaxFrame));
      break;
    }
  }
  const std::size_t n = p.Write(data, max);
  return n != 0 ? n : LLVMFuzzerMutate(data, size, max);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static MemFile capture("replay_fuzz_capture");
  capture.Set(data, size);
  Replay(capture.path(), false);
  Replay(capture.path(), true);
  return 0;
}
