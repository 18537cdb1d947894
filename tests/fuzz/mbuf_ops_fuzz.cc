// Fuzz target: the fuzzer's bytes choose a packet and a sequence of mbuf operations, applied to
// the runtime and to the reference model of tests/host/mbuf/mbuf_model.h (the one the RapidCheck
// properties use).  Any disagreement in outcome or bytes, an m_sanity rejection, or a zone or tag
// count not back where it started when everything is freed aborts, as do ASan and UBSan.
//
// The bytes are read as FuzzedDataProvider reads them (integers from the end): one chooses the
// allocation failure rate (none, some, many), then every choice of the model takes the next
// ones; the sequence ends when the bytes do (or after kMaxSteps operations).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mbuf_model.h"

namespace {

constexpr int kMaxSteps = 64;

class FuzzSource : public mbufnic::test::model::Source {
 public:
  explicit FuzzSource(FuzzedDataProvider &in) : in_(in) {}
  int Sized(int lo, int hi) override { return in_.ConsumeIntegralInRange(lo, hi); }
  int Any(int lo, int hi) override { return in_.ConsumeIntegralInRange(lo, hi); }
  std::uint64_t Bits() override { return in_.ConsumeIntegral<std::uint64_t>(); }
  bool Continue(int step) override { return step < kMaxSteps && in_.remaining_bytes() > 0; }
  [[noreturn]] void Fail(const std::string &what) override {
    std::fprintf(stderr, "mbuf_ops_fuzz: the runtime and the model disagree\n%s%s\n", log_.c_str(),
                 what.c_str());
    std::abort();
  }
  void Log(const std::string &line) override { log_ += line; }

 private:
  FuzzedDataProvider &in_;
  std::string log_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  static constexpr std::uint32_t kRates[] = {0, 0, 20000, 200000};  // ppm
  const std::uint32_t ppm = in.PickValueInArray(kRates);
  FuzzSource src(in);
  mbufnic::test::model::RunCase(src, ppm);
  return 0;
}
