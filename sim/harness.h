// A clocked harness around one Verilated block: context, model, reset, waveforms.
//
// The order follows Verilator's own examples: the VerilatedContext exists before the model,
// the model is never static, waves are written only when asked and final() runs at the end.
// Waveforms: set MBUFNIC_WAVES to a directory and every harness writes <dir>/<name>.fst.
#ifndef MBUFNIC_SIM_HARNESS_H_
#define MBUFNIC_SIM_HARNESS_H_

#include <verilated.h>
#include <verilated_fst_c.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace mbufnic::sim {

// Directory for waveforms, or empty when none were asked for.
inline std::string WaveDir() {
  const char* d = std::getenv("MBUFNIC_WAVES");
  return d && *d ? std::string(d) : std::string();
}

template <typename Model>
class Harness {
 public:
  // `name` names the waveform file; `seed` seeds Verilator's own randomisation of X values.
  explicit Harness(const std::string& name, uint64_t seed = 1) : ctx_(new VerilatedContext) {
    ctx_->randReset(2);
    ctx_->randSeed(static_cast<int>(seed & 0x7fffffff));
    std::string dir = WaveDir();
    if (!dir.empty()) ctx_->traceEverOn(true);
    top_ = std::make_unique<Model>(ctx_.get(), name.c_str());
    if (!dir.empty()) {
      std::filesystem::create_directories(dir);
      trace_ = std::make_unique<VerilatedFstC>();
      top_->trace(trace_.get(), 99);
      trace_->open((dir + "/" + name + ".fst").c_str());
    }
    top_->clk_i = 0;
    top_->rst_i = 1;
    top_->eval();
  }

  ~Harness() {
    // Verilator 5.006 takes a model's scopes (which --assert creates) out of the thread's current
    // context, not the model's own: make it this model's, or the newest harness built in this
    // thread (perhaps gone already) would be used.
    Verilated::threadContextp(ctx_.get());
    top_->final();
    if (trace_) trace_->close();
    trace_.reset();
    top_.reset();
  }

  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  Model& top() { return *top_; }
  uint64_t cycles() const { return cycles_; }

  // Holds reset for `n` cycles, then releases it.
  void Reset(int n = 4) {
    top_->rst_i = 1;
    for (int i = 0; i < n; ++i) Cycle([] {}, [] {});
    top_->rst_i = 0;
    top_->eval();
  }

  // One clock cycle.  `sample` sees the settled signals before the rising edge (what the edge
  // transfers); `drive` sets inputs after it, and the model settles again.
  template <typename Sample, typename Drive>
  void Cycle(Sample&& sample, Drive&& drive) {
    Verilated::threadContextp(ctx_.get());  // $stop, errors and X values: this model's context
    sample();
    top_->clk_i = 1;
    top_->eval();
    Dump();
    top_->clk_i = 0;
    drive();
    top_->eval();
    Dump();
    ++cycles_;
  }

 private:
  void Dump() {
    if (trace_) trace_->dump(ctx_->time());
    ctx_->timeInc(1);
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> top_;
  std::unique_ptr<VerilatedFstC> trace_;
  uint64_t cycles_ = 0;
};

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_HARNESS_H_
