// Running the mbufnic binary as a user runs it, for the cli tests: its exit code, its stdout and
// its stderr.  MBUFNIC_CLI is the binary's path (tests/cli/CMakeLists.txt).
#ifndef MBUFNIC_TESTS_CLI_RUN_CLI_H_
#define MBUFNIC_TESTS_CLI_RUN_CLI_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace mbufnic::clitest {

struct Ran {
  int status = -1;  // exit code
  std::string out, err;
};

// A file name under the test's temporary directory, unique to this process.
inline std::string Temp(const std::string &what) {
  return ::testing::TempDir() + "cli_" + what + "_" + std::to_string(getpid());
}

inline std::string Slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `<prefix> mbufnic <args>` through the shell; args are simple words (no quoting needed).
// `prefix` may set the environment (`env PATH=...`).
inline Ran Mbufnic(const std::string &args, const std::string &prefix = "") {
  const std::string err = Temp("stderr");
  const std::string cmd =
      (prefix.empty() ? "" : prefix + " ") + std::string(MBUFNIC_CLI) + " " + args + " 2>" + err;
  Ran r;
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = Slurp(err);
  std::remove(err.c_str());
  return r;
}

// Runs `mbufnic <args>` (a command given --json) and parses what it prints; fails the test on a
// non-zero exit or output that is not JSON.
inline nlohmann::json MbufnicJson(const std::string &args) {
  const Ran r = Mbufnic(args);
  EXPECT_EQ(r.status, 0) << args << "\n" << r.err << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

inline bool HaveSim() {
#ifdef MBUFNIC_HAVE_SIM
  return true;
#else
  return false;
#endif
}

inline bool HaveSystemc() {
#ifdef MBUFNIC_HAVE_SYSTEMC
  return true;
#else
  return false;
#endif
}

}  // namespace mbufnic::clitest

#endif  // MBUFNIC_TESTS_CLI_RUN_CLI_H_
