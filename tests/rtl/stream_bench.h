// A stream-in, stream-out test bench for one Verilated block: a seeded source with random
// idles, a seeded sink with random back-pressure, and a cycle budget so a hang fails the test
// instead of stalling it.  With MBUFNIC_PCAP_DIR set, every bench writes the frames it sent and
// received to <dir>/<name>_in.pcap and <name>_out.pcap, for Wireshark or tshark.
#ifndef MBUFNIC_TESTS_RTL_STREAM_BENCH_H_
#define MBUFNIC_TESTS_RTL_STREAM_BENCH_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <cstdlib>
#include <exception>

#include <gtest/gtest.h>

#include "bfm/axis.h"
#include "harness.h"
#include "pcap_file.h"

namespace mbufnic::rtltest {

// The input sideband of a block, or a stand-in when the block has none.
template <typename Model>
struct InUser {
  using type = uint64_t;
  static type* Get(Model&, uint64_t* none) { return none; }
};
template <typename Model>
  requires requires(Model& m) { m.s_axis_tuser_i; }
struct InUser<Model> {
  using type = std::remove_reference_t<decltype(std::declval<Model&>().s_axis_tuser_i)>;
  static type* Get(Model& m, uint64_t*) { return &m.s_axis_tuser_i; }
};

template <typename Model>
class StreamBench {
 public:
  using SData_ = std::remove_reference_t<decltype(Model::s_axis_tdata_i)>;
  using SKeep_ = std::remove_reference_t<decltype(Model::s_axis_tkeep_i)>;
  using SUser_ = typename InUser<Model>::type;
  using MData_ = std::remove_reference_t<decltype(Model::m_axis_tdata_o)>;
  using MKeep_ = std::remove_reference_t<decltype(Model::m_axis_tkeep_o)>;
  using MUser_ = std::remove_reference_t<decltype(Model::m_axis_tuser_o)>;
  static constexpr size_t kBytes = sim::SignalBytes<SData_>();

  StreamBench(const std::string& name, uint64_t seed, double idle, double stall)
      : name_(name),
        h_(name, seed),
        src_({&h_.top().s_axis_tdata_i, &h_.top().s_axis_tkeep_i, &h_.top().s_axis_tlast_i,
              InUser<Model>::Get(h_.top(), &no_user_), &h_.top().s_axis_tvalid_i, &h_.top().s_axis_tready_o},
             seed * 2 + 1, idle),
        sink_({&h_.top().m_axis_tdata_o, &h_.top().m_axis_tkeep_o, &h_.top().m_axis_tlast_o,
               &h_.top().m_axis_tuser_o, &h_.top().m_axis_tvalid_o, &h_.top().m_axis_tready_i},
              seed * 2 + 2, stall) {
    // A drop input (a frame marked bad on its last beat) is held low unless a test drives it.
    if constexpr (requires(Model& m) { m.s_axis_tdrop_i; }) h_.top().s_axis_tdrop_i = 0;
    h_.Reset();
    sink_.Drive();
    h_.top().eval();
  }

  ~StreamBench() {
    const char* dir = std::getenv("MBUFNIC_PCAP_DIR");
    if (!dir || !*dir) return;
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : sink_.frames()) out.push_back(f.data);
    try {
      WritePcap(std::string(dir) + "/" + name_ + "_in.pcap", sent_);
      WritePcap(std::string(dir) + "/" + name_ + "_out.pcap", out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "MBUFNIC_PCAP_DIR: " << e.what();
    }
  }
  StreamBench(const StreamBench&) = delete;
  StreamBench& operator=(const StreamBench&) = delete;

  Model& top() { return h_.top(); }
  sim::Harness<Model>& harness() { return h_; }
  sim::AxisSource<SData_, SKeep_, SUser_>& source() { return src_; }
  sim::AxisSink<MData_, MKeep_, MUser_>& sink() { return sink_; }

  void Push(std::vector<uint8_t> frame, uint64_t user = 0, uint64_t user_hi = 0) {
    if (std::getenv("MBUFNIC_PCAP_DIR")) sent_.push_back(frame);
    src_.Push(std::move(frame), user, user_hi);
  }

  // One cycle; `each` runs before the edge (after the bus models have sampled).
  template <typename Each>
  void Step(Each&& each) {
    h_.Cycle(
        [&] {
          src_.Sample();
          sink_.Sample();
          each();
        },
        [&] {
          src_.Drive();
          sink_.Drive();
        });
  }
  void Step() {
    Step([] {});
  }

  // Line-rate run of the frames already pushed (make the bench with no idles and no stalls):
  // counts the cycles the input waited and the idle output cycles between the first and the
  // last output beat.  Returns false if the frames did not all come out.
  struct LineRate {
    uint64_t in_stalls = 0;
    uint64_t out_gaps = 0;
  };
  bool RunLineRate(size_t frames, uint64_t beats, LineRate* r) {
    uint64_t out_beats = 0;
    bool started = false;
    for (uint64_t c = 0; c < 10 * beats + 1000 && sink_.frames().size() < frames; ++c) {
      Step([&] {
        auto& t = h_.top();
        if (t.s_axis_tvalid_i && !t.s_axis_tready_o) ++r->in_stalls;
        if (t.m_axis_tvalid_o) {
          started = true;
          ++out_beats;
        } else if (started && out_beats < beats) {
          ++r->out_gaps;
        }
      });
    }
    return sink_.frames().size() == frames;
  }

  // Runs until `frames` frames have come out, or `budget` cycles pass; false on timeout.
  bool RunUntil(size_t frames, uint64_t budget) {
    for (uint64_t c = 0; c < budget; ++c) {
      if (sink_.frames().size() >= frames) return true;
      Step();
    }
    return sink_.frames().size() >= frames;
  }

 private:
  std::string name_;
  std::vector<std::vector<uint8_t>> sent_;
  uint64_t no_user_ = 0;  // declared before the bus models that point at it
  sim::Harness<Model> h_;
  sim::AxisSource<SData_, SKeep_, SUser_> src_;
  sim::AxisSink<MData_, MKeep_, MUser_> sink_;
};

}  // namespace mbufnic::rtltest

#endif  // MBUFNIC_TESTS_RTL_STREAM_BENCH_H_
