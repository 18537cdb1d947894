// Model-based property tests of the mbuf chain operations: the reference model of mbuf_model.h,
// its choices drawn by RapidCheck (so a failing sequence shrinks to a short one), with no
// allocation failures, with a few, and with many more (so that the failure outcome of every call
// is reached often).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <string>

#include "mbuf_model.h"
#include "mbuf_test_util.h"

namespace mbufnic::test {
namespace {

class RapidCheckSource : public model::Source {
 public:
  int Sized(int lo, int hi) override { return *rc::gen::inRange(lo, hi + 1); }
  int Any(int lo, int hi) override {
    return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi + 1));
  }
  std::uint64_t Bits() override { return *rc::gen::arbitrary<std::uint64_t>(); }
  bool Continue(int step) override {
    if (steps_ < 0) steps_ = Any(1, 30);
    return step < steps_;
  }
  [[noreturn]] void Fail(const std::string &what) override { RC_FAIL(what); }
  void Log(const std::string &line) override { RC_LOG() << line; }

 private:
  int steps_ = -1;  // drawn when the sequence starts
};

void RunCase(std::uint32_t ppm) {
  LeakCheck leaks;  // gtest-level report, in addition to the model's own check
  RapidCheckSource src;
  model::RunCase(src, ppm);
}

class PrintStats : public ::testing::Environment {
 public:
  void TearDown() override { model::PrintOpStats(stdout); }
};
[[maybe_unused]] const auto *const g_print_stats =
    ::testing::AddGlobalTestEnvironment(new PrintStats);

RC_GTEST_PROP(ModelProperty, SequencesMatchTheModel, ()) { RunCase(0); }

RC_GTEST_PROP(ModelProperty, SequencesMatchTheModelUnderFaults, ()) {
  RunCase(*rc::gen::element<std::uint32_t>(5000, 20000, 50000));
}

RC_GTEST_PROP(ModelProperty, FailedCallsHaveTheDocumentedOutcome, ()) { RunCase(200000); }

}  // namespace
}  // namespace mbufnic::test
