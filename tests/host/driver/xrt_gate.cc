// Linked into driver_nic_xrt_test (nic_e2e_test.cc on "xrt:0"): every test reports SKIPPED with
// the reason when this machine cannot run it (no card, or no xclbin named), instead of failing on
// a missing card or passing without having run.  With a card the tests run; they need the
// kernel's loopback build (make hw LOOPBACK=1, docs/xrt.md), which nothing on the card's
// registers tells apart: on a cabled build the receive side waits for frames that never come,
// and the tests fail saying so.  A listener rather than a global environment: a skip in an
// environment's SetUp marks no test as skipped, so CTest would count the tests as passed.
#include <gtest/gtest.h>

#include <string>

#include "mbufnic/device.hpp"
#include "xrt_backend.h"

namespace mbufnic::drivertest {
namespace {

// What stops the e2e tests on this machine, or "" when nothing does.
std::string Reason() {
  const char* const kName = MBUFNIC_E2E_BACKEND;
  if (std::string why = device::XrtUnavailable(kName, {}); !why.empty()) {
    return std::string(kName) + ": " + why;
  }
  return "";
}

class XrtGate : public ::testing::EmptyTestEventListener {
  // Runs before the fixture's SetUp; the skip stops the test body.
  void OnTestStart(const ::testing::TestInfo&) override {
    if (!checked_) reason_ = Reason();
    checked_ = true;
    if (!reason_.empty()) GTEST_SKIP() << reason_;
  }
  bool checked_ = false;
  std::string reason_;
};

const bool kInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new XrtGate);  // gtest owns it
  return true;
}();

}  // namespace
}  // namespace mbufnic::drivertest
