// `mbufnic bench` driven as a user drives it: the files it writes (table, data, gnuplot script,
// SVG and PNG), the figures a user would look at, its JSON, and its answers to bad arguments and
// to a machine without gnuplot.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.h"

namespace {

using mbufnic::clitest::HaveSim;
using mbufnic::clitest::Mbufnic;
using mbufnic::clitest::Ran;
using mbufnic::clitest::Slurp;
using mbufnic::clitest::Temp;
using nlohmann::json;

bool Exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void RemoveOutputs(const std::string &prefix) {
  for (const char *ext : {".md", ".csv", ".gp", ".svg", ".png"}) {
    std::remove((prefix + ext).c_str());
  }
}

// The CSV's row for `size` as numbers (frame_bytes first), or empty when there is none.
std::vector<double> CsvRow(const std::string &csv, std::size_t size) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::istringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) v.push_back(std::stod(f));
    if (!v.empty() && v[0] == static_cast<double>(size)) return v;
  }
  return {};
}

json Bench(const std::string &args) {
  return mbufnic::clitest::MbufnicJson("bench --json " + args);
}

TEST(CliBench, ModelQuickWritesTableDataAndPlot) {
  const std::string prefix = Temp("bench_model");
  const Ran r = Mbufnic("bench --backend model --quick --sizes 64,1518 --out " + prefix);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  // The table on stdout, and in the Markdown file.
  EXPECT_NE(r.out.find("| frame bytes | TX frames/cycle"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n| 64 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n| 1518 | "), std::string::npos) << r.out;
  const std::string md = Slurp(prefix + ".md");
  EXPECT_NE(md.find("\n| 1518 | "), std::string::npos) << md;
  // The data: on a 100G link, transmit of 1518-byte frames at line rate, never above it.
  const std::vector<double> row = CsvRow(Slurp(prefix + ".csv"), 1518);
  ASSERT_EQ(row.size(), 9u);
  EXPECT_GT(row[3], 90.0) << "TX line Gb/s";
  EXPECT_LE(row[3], 101.0) << "TX line Gb/s";
  EXPECT_GT(row[6], 90.0) << "RX line Gb/s";
  EXPECT_LE(row[6], 101.0) << "RX line Gb/s";
  EXPECT_EQ(row[8], 0) << "RX dropped";
  // The plot: an SVG with the line-rate label, a real PNG, and the script kept for re-plotting.
  const std::string svg = Slurp(prefix + ".svg");
  EXPECT_NE(svg.find("<?xml"), std::string::npos);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("100GbE line rate"), std::string::npos);
  EXPECT_EQ(Slurp(prefix + ".png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_NE(Slurp(prefix + ".gp").find("set logscale x"), std::string::npos);
  RemoveOutputs(prefix);
}

TEST(CliBench, JsonHasOneRowPerSize) {
  const std::string prefix = Temp("bench_json");
  const json j = Bench("--backend model --quick --sizes 1518,64,512 --no-plot --out " + prefix);
  EXPECT_EQ(j["backend"], "model");
  EXPECT_EQ(j["link_gbps"], 100.0);
  EXPECT_EQ(j["plot"], "none");
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0]["frame_bytes"], 64);  // in order of size
  EXPECT_EQ(j["rows"][2]["frame_bytes"], 1518);
  for (const json &row : j["rows"]) {
    EXPECT_GT(row["tx"]["frames"].get<int>(), 0);
    EXPECT_LE(row["tx"]["line_gbps"].get<double>(), 101.0);
    EXPECT_LE(row["rx"]["line_gbps"].get<double>(), 101.0);
    EXPECT_EQ(row["rx"]["dropped"], 0);
  }
  EXPECT_GT(j["rows"][2]["tx"]["line_gbps"].get<double>(), 90.0);
  EXPECT_FALSE(j.contains("tso"));
  EXPECT_TRUE(Exists(prefix + ".csv"));
  EXPECT_FALSE(Exists(prefix + ".svg"));  // --no-plot
  RemoveOutputs(prefix);
}

TEST(CliBench, TsoRows) {
  const std::string prefix = Temp("bench_tso");
  const json j = Bench("--backend model --quick --sizes 1518 --tso --no-plot --out " + prefix);
  ASSERT_EQ(j["tso"].size(), 2u);
  EXPECT_EQ(j["tso"][0]["mss"], 1448);
  EXPECT_EQ(j["tso"][1]["mss"], 8948);
  for (const json &t : j["tso"]) {
    EXPECT_GT(t["tx"]["payload_gbps"].get<double>(), 80.0);
    EXPECT_LE(t["tx"]["line_gbps"].get<double>(), 101.0);
  }
  EXPECT_NE(Slurp(prefix + ".md").find("| TSO 64 KiB, MSS 8948 |"), std::string::npos);
  RemoveOutputs(prefix);
}

// The Verilated card at line rate both ways at every size from 64 to 9000 bytes, dropping nothing
// (bench/RESULTS.md: 100.0 to 100.5 line Gb/s); a few seconds with --quick.
TEST(CliBench, SimAtLineRate) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend (the RTL is not built)";
  const std::string prefix = Temp("bench_sim");
  const json j = Bench("--quick --no-plot --out " + prefix);  // every default size
  EXPECT_EQ(j["backend"], "sim");
  ASSERT_EQ(j["rows"].size(), 8u);
  for (const json &row : j["rows"]) {
    EXPECT_GT(row["tx"]["line_gbps"].get<double>(), 95.0) << row.dump();
    EXPECT_GT(row["rx"]["line_gbps"].get<double>(), 95.0) << row.dump();
    EXPECT_LE(row["tx"]["line_gbps"].get<double>(), 101.0) << row.dump();
    EXPECT_EQ(row["rx"]["dropped"], 0) << row.dump();
  }
  RemoveOutputs(prefix);
}

// --duplex: each size's two directions from one run, on the Verilated card (bench/RESULTS.md,
// "Full duplex"): line rate both ways at every size with nothing dropped.
TEST(CliBench, SimFullDuplex) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend (the RTL is not built)";
  const std::string prefix = Temp("bench_duplex");
  const json j = Bench("--duplex --quick --sizes 64,128,1518 --no-plot --out " + prefix);
  EXPECT_EQ(j["duplex"], true);
  ASSERT_EQ(j["rows"].size(), 3u);
  for (const json &row : j["rows"]) {
    EXPECT_GT(row["tx"]["line_gbps"].get<double>(), 99.0) << row.dump();
    EXPECT_GT(row["rx"]["line_gbps"].get<double>(), 99.0) << row.dump();
    EXPECT_LE(row["tx"]["line_gbps"].get<double>(), 101.0) << row.dump();
    EXPECT_EQ(row["rx"]["dropped"], 0) << row.dump();
  }
  EXPECT_NE(Slurp(prefix + ".md").find("full duplex"), std::string::npos);
  RemoveOutputs(prefix);
}

TEST(CliBench, WaveformOfTheFirstTransmitRun) {
  const std::string prefix = Temp("bench_trace"), fst = Temp("bench") + ".fst";
  // The model has no waveform: refused, with the reason.
  const Ran m = Mbufnic("bench --backend model --quick --sizes 1518 --no-plot --trace " + fst +
                        " --out " + prefix);
  EXPECT_EQ(m.status, 2) << m.out;
  EXPECT_NE(m.err.find("waveform"), std::string::npos) << m.err;
  EXPECT_FALSE(Exists(prefix + ".md"));
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  const Ran r = Mbufnic("bench --quick --sizes 1518 --no-plot --trace " + fst + " --out " + prefix);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GT(Slurp(fst).size(), 1000u);
  std::remove(fst.c_str());
  RemoveOutputs(prefix);
}

TEST(CliBench, WithoutGnuplotTheTableIsStillWritten) {
  const std::string prefix = Temp("bench_nognuplot");
  const Ran r =
      Mbufnic("bench --backend model --quick --sizes 64 --out " + prefix, "env PATH=/nonexistent");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("gnuplot not found: install gnuplot-nox"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\n| 64 | "), std::string::npos) << r.out;
  EXPECT_TRUE(Exists(prefix + ".md"));
  EXPECT_TRUE(Exists(prefix + ".csv"));
  EXPECT_TRUE(Exists(prefix + ".gp"));
  EXPECT_FALSE(Exists(prefix + ".svg"));
  EXPECT_FALSE(Exists(prefix + ".png"));
  RemoveOutputs(prefix);
}

TEST(CliBench, GnuplotFailingIsAnError) {
  const std::string prefix = Temp("bench_badgnuplot"), bin = Temp("bench_bin");
  ASSERT_EQ(std::system(("mkdir -p " + bin).c_str()), 0);
  std::ofstream(bin + "/gnuplot") << "#!/bin/sh\necho 'gnuplot: broken' >&2\nexit 3\n";
  ASSERT_EQ(std::system(("chmod +x " + bin + "/gnuplot").c_str()), 0);
  const Ran r =
      Mbufnic("bench --backend model --quick --sizes 64 --out " + prefix, "env PATH=" + bin);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("gnuplot failed (exit 3)"), std::string::npos) << r.err;
  EXPECT_TRUE(Exists(prefix + ".md"));
  RemoveOutputs(prefix);
  std::remove((bin + "/gnuplot").c_str());
  std::remove(bin.c_str());
}

TEST(CliBench, BadArguments) {
  struct Case {
    std::string args, message;
  };
  for (const Case &c : {Case{"--sizes 0", "outside 60..9018"}, Case{"--sizes 20", "outside"},
                        Case{"--sizes 10000", "outside"}, Case{"--sizes 64,x", "not a number"},
                        Case{"--format gif", "gif"}, Case{"--link fast", "unlimited"},
                        Case{"--backend nosuch", "unknown device 'nosuch'"},
                        Case{"--out /nonexistent-dir/b", "cannot write /nonexistent-dir/b.md"}}) {
    const Ran r = Mbufnic("bench --quick " + c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
  }
}

TEST(CliBench, Help) {
  const Ran r = Mbufnic("bench --help");
  EXPECT_EQ(r.status, 0);
  for (const char *opt : {"--sizes", "--link", "--tso", "--quick", "--out", "--format", "--no-plot",
                          "--trace", "--json"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
  }
}

}  // namespace
