// Fuzz target: arbitrary frames through the receive checksum engine, the Verilated RTL
// (rtl/csum/nic_csum_rx.sv at 64 bits, the width with the most beats per header) against its
// software twin ClassifyRxChecksums (<mbufnic/sw_csum.hpp>, through tests/support/rx_csum_ref),
// the reference the RTL tests use.
//
// The input is one frame; it goes through the engine twice, back to back, behind random source
// idles and sink back-pressure, so that what one frame leaves behind in the
// parser is tested on the next.  Each verdict must equal the twin's, field by field; each frame
// must come out unchanged, the output stream must keep the AXI-Stream rules, and the engine must
// not hang.  Otherwise the target aborts with both verdicts.
#include <mbufnic/hw/nic_hw.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "Vnic_csum_rx_w64.h"
#include "rx_csum_ref.h"
#include "stream_bench.h"

namespace {

using mbufnic::rtltest::RxCsumRef;

[[noreturn]] void Fail(const char *what, const std::vector<std::uint8_t> &frame) {
  std::fprintf(stderr, "rx_parse_fuzz: %s (a frame of %zu bytes)\n", what, frame.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  Verilated::commandArgs(*argc, *argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  constexpr std::size_t kMaxFrame = 9600;
  if (size == 0 || size > kMaxFrame) return -1;  // the engine takes frames of a byte or more
  const std::vector<std::uint8_t> frame(data, data + size);
  // One engine for the whole run (making a model costs more than running a frame), reset before
  // each input so that a crash reproduces from its input alone.
  static mbufnic::rtltest::StreamBench<Vnic_csum_rx_w64> bench("rx_parse_fuzz", 1, 0.2, 0.2);
  bench.sink().frames().clear();
  bench.harness().Reset();
  bench.top().enable_i = 1;
  bench.Push(frame);
  bench.Push(frame);
  const std::uint64_t beats = 2 * ((size + 7) / 8);
  if (!bench.RunUntil(2, 4 * beats + 1000)) Fail("the engine hung", frame);
  for (int i = 0; i < 50; ++i) bench.Step();
  const auto &out = bench.sink().frames();
  if (out.size() != 2) Fail("the engine sent more frames than it was given", frame);
  if (!bench.sink().violations().empty()) {
    std::fprintf(stderr, "%s\n", bench.sink().violations().front().c_str());
    Fail("the output broke the AXI-Stream rules", frame);
  }
  const RxCsumRef want = mbufnic::rtltest::ClassifyRx(frame);
  for (const auto &o : out) {
    if (o.data != frame) Fail("a frame changed on its way through", frame);
    mbufnic::hw::RxCsumResult r{};
    static_assert(sizeof(r) == sizeof(std::uint64_t));
    const std::uint64_t user = o.user;
    std::memcpy(&r, &user, sizeof(user));
    const RxCsumRef got = mbufnic::rtltest::FromResult(r);
    if (!(got == want)) {
      std::fprintf(stderr, "  rtl   %s\n  twin  %s\n", got.ToString().c_str(),
                   want.ToString().c_str());
      Fail("the RTL and its software twin disagree", frame);
    }
  }
  return 0;
}
