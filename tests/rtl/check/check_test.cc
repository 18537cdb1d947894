// The simulation-only assertions of rtl/check (Verilator --assert) on their own: legal traffic
// passes, and each rule, broken once, stops the simulation with its message.  The same checkers
// are bound into every Verilated model of the card (cmake/MbufnicVerilate.cmake), so the block
// and system tests run under them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "Vnic_check_tb.h"
#include "harness.h"

namespace mbufnic::rtltest {
namespace {

struct Beat {
  bool valid = false, ready = true, last = false;
  uint64_t data = 0;
  uint8_t keep = 0xff;
  bool run = true;
  uint16_t behind = 0, mid = 0, ahead = 0;
  bool quiet = false;
  uint8_t state = 0;
};

// Drives `beats`, one a cycle, after reset.  Verilator prints an assertion's message on
// stdout; a death test reads stderr, so the dying child sends the one to the other.
void Drive(const std::vector<Beat>& beats, bool stdout_to_stderr = false) {
  if (stdout_to_stderr) {
    std::fflush(stdout);
    dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  sim::Harness<Vnic_check_tb> h("check_tb");
  auto& t = h.top();
  auto set = [&t](const Beat& b) {
    t.tvalid_i = b.valid;
    t.tready_i = b.ready;
    t.tlast_i = b.last;
    t.tdata_i = b.data;
    t.tkeep_i = b.keep;
    t.run_i = b.run;
    t.behind_i = b.behind;
    t.mid_i = b.mid;
    t.ahead_i = b.ahead;
    t.quiet_i = b.quiet;
    t.state_i = b.state;
  };
  set(Beat{});
  h.Reset();
  for (const Beat& b : beats) h.Cycle([] {}, [&] { set(b); });
  for (int i = 0; i < 3; ++i) h.Cycle([] {}, [] {});
}

Beat B(bool valid, bool ready, uint64_t data, bool last = false, uint8_t keep = 0xff) {
  Beat b;
  b.valid = valid;
  b.ready = ready;
  b.data = data;
  b.last = last;
  b.keep = keep;
  return b;
}

Beat Ring(uint16_t behind, uint16_t mid, uint16_t ahead, bool run = true) {
  Beat b;
  b.behind = behind;
  b.mid = mid;
  b.ahead = ahead;
  b.run = run;
  return b;
}

Beat State(uint8_t state, bool quiet) {
  Beat b;
  b.state = state;
  b.quiet = quiet;
  return b;
}

TEST(RtlChecks, LegalTrafficPasses) {
  // A two-beat frame that waits twice for ready, then a one-beat frame of three bytes; ring
  // positions that wrap past the ring's end in order, and out of order while the queue is off;
  // a state that changes only after cycles that are not quiet and holds over quiet ones.
  Drive({B(true, false, 1), B(true, false, 1), B(true, true, 1), B(true, false, 2, true),
         B(true, true, 2, true), B(false, false, 9), B(true, true, 3, true, 0x07),
         Ring(250, 254, 3), Ring(254, 2, 20), Ring(40, 10, 5, false), Ring(0, 0, 0),
         State(1, false), State(2, false), State(2, true), State(2, true), State(2, false),
         State(3, false), State(3, true), State(3, false)});
  SUCCEED();
}

TEST(RtlChecksDeathTest, ValidDroppedBeforeReady) {
  EXPECT_DEATH(Drive({B(true, false, 1), B(false, false, 1)}, true), "valid dropped before ready");
}

TEST(RtlChecksDeathTest, PayloadChangedWhileWaiting) {
  EXPECT_DEATH(Drive({B(true, false, 1), B(true, true, 2)}, true), "payload changed");
}

TEST(RtlChecksDeathTest, KeepNotFullBeforeTheLastBeat) {
  EXPECT_DEATH(Drive({B(true, true, 1, false, 0x7f)}, true), "tkeep not all ones");
}

TEST(RtlChecksDeathTest, KeepOfTheLastBeatWithAHole) {
  EXPECT_DEATH(Drive({B(true, true, 1, true, 0x0b)}, true), "not contiguous");
}

TEST(RtlChecksDeathTest, EmptyLastBeat) {
  EXPECT_DEATH(Drive({B(true, true, 1, true, 0x00)}, true), "not contiguous");
}

TEST(RtlChecksDeathTest, RingPositionOvertakes) {
  EXPECT_DEATH(Drive({Ring(10, 12, 14), Ring(10, 15, 14)}, true), "overtook");
}

TEST(RtlChecksDeathTest, RingTooFarAhead) {
  EXPECT_DEATH(Drive({Ring(250, 250, 10), Ring(250, 250, 27)}, true),
               "33 entries ahead, more than 32");
}

TEST(RtlChecksDeathTest, StateChangedWhileQuiet) {
  EXPECT_DEATH(Drive({State(4, false), State(4, true), State(5, true)}, true),
               "changed in a cycle that called itself quiet");
}

}  // namespace
}  // namespace mbufnic::rtltest
