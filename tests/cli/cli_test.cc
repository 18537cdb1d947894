// The mbufnic command, driven as a user drives it: the real binary, its exit code, its output
// (the --json object, the summary), and the capture it writes, checked by tshark.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pcap_file.h"
#include "run_cli.h"
#include "tshark.h"

namespace {

using nlohmann::json;

using mbufnic::clitest::HaveSim;
using mbufnic::clitest::HaveSystemc;
using mbufnic::clitest::Mbufnic;
using mbufnic::clitest::MbufnicJson;
using mbufnic::clitest::Ran;
using mbufnic::clitest::Slurp;
using mbufnic::clitest::Temp;

// Runs a JSON demo and parses its output; fails the test on a non-zero exit.
json Demo(const std::string &args) { return mbufnic::clitest::MbufnicJson("demo --json " + args); }

const json &Flow(const json &j, const std::string &name) {
  for (const json &f : j["flows"]) {
    if (f["name"] == name) return f;
  }
  static const json none;
  ADD_FAILURE() << "no flow " << name;
  return none;
}

// What every good demo run must show, whatever the backend.
void CheckRun(const json &j, bool offloads) {
  EXPECT_TRUE(j["ok"].get<bool>()) << j["failures"].dump();
  const json &s = j["sent"], &w = j["wire"], &r = j["received"];
  EXPECT_GT(s["tso_sends"].get<int>(), 0);
  EXPECT_GT(s["vlan_sends"].get<int>(), 0);
  EXPECT_GT(s["expected_frames"].get<int>(), s["sends"].get<int>());  // TSO made more frames
  EXPECT_EQ(w["frames"], s["expected_frames"]);
  EXPECT_EQ(r["frames"], w["frames"]);
  EXPECT_EQ(r["payload_bytes"], s["payload_bytes"]);
  EXPECT_EQ(r["errors"], 0);
  EXPECT_EQ(j["dma_violations"], 0);
  EXPECT_TRUE(j["mbufs_returned"].get<bool>());
  EXPECT_GT(j["cycles"].get<double>(), 0);
  // The same frames counted at every step, the card's own counters included.
  const json &a = j["accounting"];
  EXPECT_EQ(a["expected_frames"], s["expected_frames"]);
  for (const char *k : {"card_tx_frames", "wire_frames", "card_rx_frames", "received_frames"}) {
    EXPECT_EQ(a[k], s["expected_frames"]) << k;
  }
  EXPECT_EQ(a["card_rx_drops"], 0);
  // Every frame of the VLAN flow came up tagged, and no other.
  EXPECT_EQ(r["vlan"], Flow(j, "tcp4-vlan100")["frames"]);
  const json &c = j["card_counters"];
  if (offloads) {
    EXPECT_EQ(r["l4_valid"], r["frames"]);
    EXPECT_GT(r["l3_valid"].get<int>(), 0);
    EXPECT_EQ(c["tso_requests"], s["tso_sends"]);
    EXPECT_EQ(c["csum_rx_l4_bad"], 0);
    EXPECT_EQ(j["driver"]["sw_tso"], 0);
  } else {
    EXPECT_EQ(r["not_checked"], r["frames"]);
    EXPECT_EQ(c["tso_requests"], 0);
    EXPECT_EQ(j["driver"]["sw_tso"], s["tso_sends"]);
    EXPECT_GT(j["driver"]["sw_csum"].get<int>(), 0);
  }
  EXPECT_EQ(c["port_tx_frames"], w["frames"]);
  EXPECT_EQ(c["port_rx_frames"], w["frames"]);
}

// tshark reads the capture: every frame, every IPv4/TCP/UDP checksum good, the VLAN frames
// tagged 100, IPv6 present, and no TCP segment above its flow's MSS.
void CheckCapture(const std::string &pcap, const json &j) {
  if (!mbufnic::rtltest::TsharkAvailable()) GTEST_SKIP() << "tshark is not installed";
  using namespace mbufnic::rtltest;
  const TsharkResult res = CheckChecksums(pcap);
  ASSERT_EQ(res.size(), j["wire"]["frames"].get<std::size_t>());
  for (const TsharkStatus &st : res) {
    EXPECT_TRUE(st.ip == kTsharkGood || st.ip == kTsharkAbsent) << "frame " << st.frame;
    EXPECT_TRUE(st.tcp == kTsharkGood || st.udp == kTsharkGood) << "frame " << st.frame;
  }
  const auto rows = TsharkFields(pcap, {"vlan.id", "ipv6.src", "tcp.len", "tcp.srcport"});
  std::size_t vlan = 0, v6 = 0;
  for (const auto &row : rows) {
    if (row[0] == "100") ++vlan;
    if (!row[1].empty()) ++v6;
    if (!row[2].empty()) {
      EXPECT_LE(std::stoi(row[2]), 1448) << "a TCP segment above the MSS";
    }
  }
  EXPECT_EQ(vlan, Flow(j, "tcp4-vlan100")["frames"].get<std::size_t>());
  EXPECT_EQ(v6, Flow(j, "tcp6-bulk")["frames"].get<std::size_t>() +
                    Flow(j, "udp6")["frames"].get<std::size_t>());
}

TEST(CliDemo, ModelBackendEveryPacketBackAndCaptureValid) {
  const std::string pcap = Temp("model") + ".pcap";
  const json j = Demo("--backend model --sends 300 --seed 3 --pcap " + pcap);
  EXPECT_EQ(j["backend"], "model");
  CheckRun(j, true);
  CheckCapture(pcap, j);
  std::remove(pcap.c_str());
}

TEST(CliDemo, SimBackendEveryPacketBackAndCaptureValid) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend (the RTL is not built)";
  const std::string pcap = Temp("sim") + ".pcap";
  const json j = Demo("--sends 120 --seed 5 --pcap " + pcap);  // sim is the default
  EXPECT_EQ(j["backend"], "sim");
  CheckRun(j, true);
  CheckCapture(pcap, j);
  // The same seed on the C++ model puts the same frames on the wire.
  const std::string mpcap = Temp("sim_model") + ".pcap";
  Demo("--backend model --sends 120 --seed 5 --pcap " + mpcap);
  EXPECT_TRUE(mbufnic::rtltest::ReadPcap(pcap) == mbufnic::rtltest::ReadPcap(mpcap));
  std::remove(pcap.c_str());
  std::remove(mpcap.c_str());
}

std::vector<char> FileBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The SystemC model of the card runs the same RTL with the same bus models behind TLM-2.0
// sockets: the same run as on sim, to the cycle (the captures' stamps included).
TEST(CliDemo, SystemcBackendSameRunAsSim) {
  if (!HaveSystemc()) GTEST_SKIP() << "this build has no systemc backend";
  const std::string pcap = Temp("systemc") + ".pcap";
  json c = Demo("--backend systemc --sends 120 --seed 5 --pcap " + pcap);
  EXPECT_EQ(c["backend"], "systemc");
  CheckRun(c, true);
  CheckCapture(pcap, c);
  const std::string spcap = Temp("systemc_sim") + ".pcap";
  json s = Demo("--backend sim --sends 120 --seed 5 --pcap " + spcap);
  EXPECT_TRUE(FileBytes(pcap) == FileBytes(spcap)) << "the captures differ";
  for (json *j : {&c, &s}) {
    for (const char *k : {"backend", "wall_seconds", "cycles_per_second"}) j->erase(k);
    (*j)["wire"].erase("pcap");
  }
  EXPECT_EQ(c.dump(2), s.dump(2));
  std::remove(pcap.c_str());
  std::remove(spcap.c_str());
}

TEST(CliDemo, OffloadsOffTheDriverDoesTheWork) {
  const std::string pcap = Temp("sw") + ".pcap";
  const json j = Demo("--backend model --sends 200 --seed 4 --no-offloads --pcap " + pcap);
  CheckRun(j, false);
  CheckCapture(pcap, j);
  // Software offloads put the same bytes on the wire as the card's.
  const std::string hw = Temp("hw") + ".pcap";
  Demo("--backend model --sends 200 --seed 4 --pcap " + hw);
  EXPECT_TRUE(mbufnic::rtltest::ReadPcap(pcap) == mbufnic::rtltest::ReadPcap(hw));
  std::remove(pcap.c_str());
  std::remove(hw.c_str());
}

TEST(CliDemo, SeedReproducesTheRunAndDifferentSeedsDiffer) {
  const std::string a = Temp("a") + ".pcap", b = Temp("b") + ".pcap", c = Temp("c") + ".pcap";
  Demo("--backend model --sends 80 --seed 11 --pcap " + a);
  Demo("--backend model --sends 80 --seed 11 --pcap " + b);
  Demo("--backend model --sends 80 --seed 12 --pcap " + c);
  EXPECT_EQ(Slurp(a), Slurp(b));
  EXPECT_NE(mbufnic::rtltest::ReadPcap(a), mbufnic::rtltest::ReadPcap(c));
  for (const std::string &p : {a, b, c}) std::remove(p.c_str());
}

TEST(CliDemo, SummaryForPeople) {
  const std::string pcap = Temp("text") + ".pcap";
  const Ran r = Mbufnic("demo --backend model --sends 50 --verbose --pcap " + pcap);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("every packet came back intact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcp6-bulk"), std::string::npos) << r.out;  // --verbose table
  EXPECT_NE(r.out.find("mbufs in use (current/cache/total)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(pcap), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  std::remove(pcap.c_str());
}

TEST(CliDemo, NoCaptureWhenAskedForNone) {
  const Ran r = Mbufnic("demo --backend model --sends 20 --no-pcap");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("capture: none"), std::string::npos) << r.out;
}

TEST(CliDemo, WaveformOnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  const std::string fst = Temp("waves") + ".fst";
  const Ran r = Mbufnic("demo --sends 5 --no-pcap --trace " + fst);
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string w = Slurp(fst);
  EXPECT_GT(w.size(), 1000u);
  std::remove(fst.c_str());
}

// ---- mbufnic replay

// Writes a classic pcap by hand: each record's captured bytes and its original length.
void WriteRawPcap(const std::string &path, std::uint32_t link,
                  const std::vector<std::pair<std::vector<std::uint8_t>, std::uint32_t>> &recs) {
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char *>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char *>(&v), 2); };
  u32(0xa1b2c3d4);  // microsecond timestamps, host byte order
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(link);
  for (const auto &[bytes, len] : recs) {
    u32(1);
    u32(0);
    u32(static_cast<std::uint32_t>(bytes.size()));
    u32(len);
    f.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  }
}

TEST(CliReplay, DemoCaptureComesBackIdenticalOnModel) {
  const std::string in = Temp("replay_in") + ".pcap", out = Temp("replay_out") + ".pcap";
  Demo("--backend model --sends 80 --seed 8 --pcap " + in);
  const Ran r = Mbufnic("replay " + in + " --backend model --json --out " + out);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  const std::size_t n = mbufnic::rtltest::ReadPcap(in).size();
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["frames_in"].get<std::size_t>(), n);
  EXPECT_EQ(j["identical"].get<std::size_t>(), n);
  EXPECT_EQ(j["different"], 0);
  EXPECT_EQ(j["missing"], 0);
  EXPECT_GT(j["vlan"].get<int>(), 0);  // the demo's VLAN flow
  // No offload was asked for: the card sent the frames as they were.
  EXPECT_TRUE(mbufnic::rtltest::ReadPcap(out) == mbufnic::rtltest::ReadPcap(in));
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST(CliReplay, OnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  const std::string in = Temp("replay_sim_in") + ".pcap", out = Temp("replay_sim_out") + ".pcap";
  Demo("--backend model --sends 40 --seed 9 --pcap " + in);
  const Ran r = Mbufnic("replay " + in + " --json --out " + out);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["backend"], "sim");
  EXPECT_EQ(j["identical"].get<std::size_t>(), mbufnic::rtltest::ReadPcap(in).size());
  EXPECT_TRUE(mbufnic::rtltest::ReadPcap(out) == mbufnic::rtltest::ReadPcap(in));
  std::remove(in.c_str());
  std::remove(out.c_str());
}

// A capture made by a standard tool (text2pcap, Wireshark's), not by this project's code.
TEST(CliReplay, CaptureFromText2pcap) {
  if (std::system("command -v text2pcap >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "text2pcap is not installed";
  }
  const std::string txt = Temp("t2p") + ".txt", pcap = Temp("t2p") + ".pcap";
  {
    // Two frames: an IPv4/UDP datagram with a correct checksum and a bare Ethernet frame.
    std::ofstream f(txt);
    f << "0000  02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00\n"
         "0010  00 20 00 01 00 00 40 11 66 ca 0a 00 00 01 0a 00\n"
         "0020  00 02 9c 40 00 09 00 0c 00 00 61 62 63 64\n"
         "\n"
         "0000  ff ff ff ff ff ff 02 00 00 00 00 01 88 b5 01 02\n"
         "0010  03 04\n";
  }
  ASSERT_EQ(std::system(("text2pcap -q " + txt + " " + pcap + " >/dev/null 2>&1").c_str()), 0);
  const Ran r = Mbufnic("replay " + pcap + " --backend model --json");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["frames_in"], 2);
  EXPECT_EQ(j["identical"], 2);
  EXPECT_EQ(j["rx_csum"]["l3_good"], 1);  // the card checked the IPv4 header
  std::remove(txt.c_str());
  std::remove(pcap.c_str());
}

TEST(CliReplay, ShortRecordsAndRuntsAreSkippedAndSaid) {
  const std::string pcap = Temp("snapped") + ".pcap";
  std::vector<std::uint8_t> good(60, 0x11), runt(10, 0x22), cut(40, 0x33);
  good[12] = 0x88;
  good[13] = 0xb5;
  WriteRawPcap(pcap, 1, {{good, 60}, {runt, 10}, {cut, 1500}});
  const Ran r = Mbufnic("replay " + pcap + " --backend model --json");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["frames_in"], 3);
  EXPECT_EQ(j["skipped"]["snapped"], 1);
  EXPECT_EQ(j["skipped"]["runts"], 1);
  EXPECT_EQ(j["sent"], 1);
  EXPECT_EQ(j["identical"], 1);
  std::remove(pcap.c_str());
}

// ---- replay --tso: the demo's capture holds what the card's segmenter made of each TSO send;
// coalescing must rebuild exactly those sends, and the card must cut them into the same frames.

// Runs `replay --tso --json` of `in` and returns the parsed result; fails on a non-zero exit.
json ReplayTso(const std::string &in, const std::string &args) {
  const Ran r = Mbufnic("replay --tso --json " + in + " " + args);
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

void ExpectTsoRebuilt(const std::string &backend, int sends, std::uint64_t seed) {
  const std::string in = Temp("tso_in") + ".pcap", out = Temp("tso_out") + ".pcap";
  const json d = Demo("--backend model --sends " + std::to_string(sends) + " --seed " +
                      std::to_string(seed) + " --pcap " + in);
  const json j = ReplayTso(in, "--backend " + backend + " --out " + out);
  const std::size_t n = d["wire"]["frames"].get<std::size_t>();
  EXPECT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  EXPECT_EQ(j["identical"].get<std::size_t>(), n);
  EXPECT_EQ(j["different"], 0);
  EXPECT_EQ(j["missing"], 0);
  // One chain per send of the demo, one TSO request per TSO send of the demo, and the card
  // made as many segments as were coalesced.
  EXPECT_EQ(j["chains"], d["sent"]["sends"]);
  EXPECT_EQ(j["tso"]["sends"], d["sent"]["tso_sends"]);
  EXPECT_EQ(j["tso"]["card_requests"], d["sent"]["tso_sends"]);
  EXPECT_EQ(j["tso"]["card_segments"], j["tso"]["segments_coalesced"]);
  EXPECT_EQ(j["tso"]["card_segments"], d["card_counters"]["tso_segments"]);
  EXPECT_EQ(j["tso"]["checksums_filled"], 0);  // the card had filled them in the capture
  EXPECT_TRUE(mbufnic::rtltest::ReadPcap(out) == mbufnic::rtltest::ReadPcap(in));
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST(CliReplayTso, DemoSendsRebuiltAndCutAgainOnModel) { ExpectTsoRebuilt("model", 200, 3); }

TEST(CliReplayTso, DemoSendsRebuiltAndCutAgainOnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  ExpectTsoRebuilt("sim", 60, 4);
}

// A capture taken on the sending host, before its NIC's offload, has the TCP checksum (and
// here the IPv4 header checksum) unfilled: the card fills them for the segments it makes.
TEST(CliReplayTso, ChecksumsUnfilledInTheCaptureAreFilledByTheCard) {
  const std::string orig = Temp("tso_sum_orig") + ".pcap", in = Temp("tso_sum_in") + ".pcap",
                    out = Temp("tso_sum_out") + ".pcap";
  Demo("--backend model --sends 80 --seed 5 --pcap " + orig);
  std::vector<std::vector<std::uint8_t>> frames = mbufnic::rtltest::ReadPcap(orig);
  std::size_t tcp = 0;
  for (std::vector<std::uint8_t> &f : frames) {
    const std::size_t l2 = f[12] == 0x81 ? 18 : 14;
    const bool v4 = f[l2] >> 4 == 4;
    const std::size_t l3 = v4 ? (f[l2] & 15u) * 4 : 40;
    if ((v4 ? f[l2 + 9] : f[l2 + 6]) != 6) continue;  // TCP only
    ++tcp;
    if (v4) f[l2 + 10] = f[l2 + 11] = 0;
    f[l2 + l3 + 16] = f[l2 + l3 + 17] = 0;
  }
  ASSERT_GT(tcp, 0u);
  mbufnic::rtltest::WritePcap(in, frames);
  const json j = ReplayTso(in, "--backend model --out " + out);
  EXPECT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  EXPECT_GT(j["tso"]["segments_coalesced"].get<int>(), 0);
  EXPECT_EQ(j["tso"]["checksums_filled"], j["tso"]["segments_coalesced"]);
  EXPECT_EQ(j["identical"].get<std::size_t>(), frames.size());
  // tshark: the card's segments carry good checksums again; the frames that went alone do not.
  if (mbufnic::rtltest::TsharkAvailable()) {
    const auto res = mbufnic::rtltest::CheckChecksums(out);
    ASSERT_EQ(res.size(), frames.size());
    std::size_t good = 0;
    for (const auto &st : res) good += st.tcp == mbufnic::rtltest::kTsharkGood;
    EXPECT_EQ(good, j["tso"]["segments_coalesced"].get<std::size_t>());
  }
  for (const std::string &p : {orig, in, out}) std::remove(p.c_str());
}

// Segments the card could not have made from one send go as they are: out of order (here the
// whole capture reversed), or IPv4 IDs that do not count up.
TEST(CliReplayTso, SegmentsTheCardCouldNotMakeGoAlone) {
  const std::string orig = Temp("tso_alone_orig") + ".pcap", rev = Temp("tso_alone_rev") + ".pcap",
                    ids = Temp("tso_alone_ids") + ".pcap";
  const json d = Demo("--backend model --sends 80 --seed 6 --pcap " + orig);
  std::vector<std::vector<std::uint8_t>> frames = mbufnic::rtltest::ReadPcap(orig);
  const json base = ReplayTso(orig, "--backend model");
  ASSERT_GT(base["tso"]["segments_coalesced"].get<int>(), 0);

  std::vector<std::vector<std::uint8_t>> reversed(frames.rbegin(), frames.rend());
  mbufnic::rtltest::WritePcap(rev, reversed);
  const json r = ReplayTso(rev, "--backend model");
  EXPECT_TRUE(r["ok"].get<bool>());
  EXPECT_EQ(r["tso"]["segments_coalesced"], 0);
  EXPECT_EQ(r["tso"]["card_requests"], 0);
  EXPECT_EQ(r["chains"].get<std::size_t>(), frames.size());
  EXPECT_EQ(r["identical"].get<std::size_t>(), frames.size());

  for (std::vector<std::uint8_t> &f : frames) {
    const std::size_t l2 = f[12] == 0x81 ? 18 : 14;
    if (f[l2] >> 4 == 4) f[l2 + 4] = f[l2 + 5] = 0;  // every IPv4 ID 0
  }
  mbufnic::rtltest::WritePcap(ids, frames);
  const json i = ReplayTso(ids, "--backend model");
  EXPECT_TRUE(i["ok"].get<bool>());
  // Only the IPv6 bulk flow is coalesced now.
  EXPECT_GT(i["tso"]["segments_coalesced"].get<int>(), 0);
  EXPECT_LT(i["tso"]["segments_coalesced"], base["tso"]["segments_coalesced"]);
  EXPECT_EQ(i["identical"].get<std::size_t>(), frames.size());
  for (const std::string &p : {orig, rev, ids}) std::remove(p.c_str());
}

TEST(CliReplay, BadCapturesAreRefusedClearly) {
  const std::string raw = Temp("rawip") + ".pcap", text = Temp("text") + ".pcap",
                    cut = Temp("cut") + ".pcap", full = Temp("full") + ".pcap";
  WriteRawPcap(raw, 101, {{std::vector<std::uint8_t>(40, 0x45), 40}});  // LINKTYPE_RAW
  std::ofstream(text) << "not a capture at all\n";
  Demo("--backend model --sends 5 --seed 2 --pcap " + full);
  const std::string bytes = Slurp(full);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 7);  // last record cut
  struct Case {
    std::string args, message;
  };
  for (const Case &c :
       {Case{"replay " + raw, "is not Ethernet"}, Case{"replay " + text, "cannot read " + text},
        Case{"replay " + cut, "truncated"}, Case{"replay /nonexistent-dir/x.pcap", "No such file"},
        Case{"replay", "in is required"}}) {
    const Ran r = Mbufnic(c.args + " --backend model");
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
  }
  for (const std::string &p : {raw, text, cut, full}) std::remove(p.c_str());
}

// ---- Errors: a message on stderr and a non-zero exit, never a crash.

TEST(CliErrors, UnknownBackend) {
  const Ran r = Mbufnic("demo --backend nope");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown device 'nope'; this build has: "), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliErrors, BackendNotInThisBuild) {
  const Ran r = Mbufnic("demo --backend xrt:0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("device 'xrt:0': the xrt backend (a real Alveo card) is not in this build"),
            std::string::npos)
      << r.err;
  if (HaveSystemc()) return;
  const Ran s = Mbufnic("demo --backend systemc");
  EXPECT_EQ(s.status, 2);
  EXPECT_NE(s.err.find("the SystemC/TLM-2.0 backend is not in this build"), std::string::npos)
      << s.err;
}

TEST(CliErrors, BadArguments) {
  for (const char *args :
       {"demo --sends 0", "demo --sends lots", "demo --bogus", "", "frobnicate", "demo --seed -"}) {
    const Ran r = Mbufnic(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_FALSE(r.err.empty() && r.out.empty()) << args << ": no message";
  }
}

TEST(CliErrors, UnwritableCapture) {
  const Ran r = Mbufnic("demo --backend model --sends 5 --pcap /nonexistent-dir/x.pcap");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.err.find("/nonexistent-dir/x.pcap"), std::string::npos) << r.err;
}

TEST(CliHelp, EverySubcommand) {
  for (const char *args : {"--help", "demo --help", "traffic --help", "replay --help",
                           "stat --help", "bench --help"}) {
    const Ran r = Mbufnic(args);
    EXPECT_EQ(r.status, 0) << args;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args << r.out;
  }
}

// ---- mbufnic traffic

// Runs a JSON traffic run and parses its output; fails the test on a non-zero exit or on
// anything written to stderr (not a terminal here, so no progress line either).
json Traffic(const std::string &args) {
  const Ran r = Mbufnic("traffic --json " + args);
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

// What every good traffic run must show: everything sent came back, the counts agree.
void CheckTraffic(const json &j) {
  EXPECT_TRUE(j["ok"].get<bool>()) << j["failures"].dump();
  const json &s = j["sent"], &w = j["wire"], &r = j["received"], &c = j["card_counters"];
  EXPECT_EQ(w["frames"], s["expected_frames"]);
  EXPECT_EQ(r["frames"], w["frames"]);
  EXPECT_EQ(r["payload_bytes"], s["payload_bytes"]);
  EXPECT_EQ(c["port_tx_frames"], w["frames"]);
  EXPECT_EQ(c["port_rx_frames"], w["frames"]);
  EXPECT_EQ(r["errors"], 0);
  EXPECT_EQ(j["dma_violations"], 0);
  EXPECT_TRUE(j["mbufs_returned"].get<bool>());
  std::uint64_t sends = 0, frames = 0;
  for (const json &f : j["flows"]) {
    sends += f["sends"].get<std::uint64_t>();
    frames += f["frames"].get<std::uint64_t>();
    EXPECT_EQ(f["received_bytes"], f["sent_bytes"]) << f.dump();
  }
  EXPECT_EQ(sends, s["sends"].get<std::uint64_t>());
  EXPECT_EQ(frames, r["frames"].get<std::uint64_t>());
  EXPECT_GT(j["wire_gbps"].get<double>(), 0);
  EXPECT_GT(j["frames_per_second"].get<double>(), 0);
}

TEST(CliTraffic, MixedFlowsOnModel) {
  const json j = Traffic("--backend model -n 2000 --seed 7");
  CheckTraffic(j);
  EXPECT_EQ(j["sent"]["sends"], 2000);
  EXPECT_FALSE(j["stopped_by_time"].get<bool>());
  EXPECT_GT(j["sent"]["tso_sends"].get<int>(), 0);
  EXPECT_EQ(j["card_counters"]["tso_requests"], j["sent"]["tso_sends"]);
  // The default: four flows, TCP and UDP over IPv4 and IPv6.
  ASSERT_EQ(j["flows"].size(), 4u);
  const std::vector<std::string> names = {"tcp4-0", "udp4-1", "tcp6-2", "udp6-3"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(j["flows"][i]["name"], names[i]);
    EXPECT_GT(j["flows"][i]["frames"].get<int>(), 0);
  }
}

TEST(CliTraffic, DurationOrCountWhicheverComesFirst) {
  const json t = Traffic("--backend model --duration 1");
  CheckTraffic(t);
  EXPECT_TRUE(t["stopped_by_time"].get<bool>());
  EXPECT_GT(t["sent"]["sends"].get<int>(), 0);
  EXPECT_GE(t["wall_seconds"].get<double>(), 1.0);
  EXPECT_TRUE(t["options"]["sends"].is_null());
  const json n = Traffic("--backend model --duration 600 -n 50");
  CheckTraffic(n);
  EXPECT_FALSE(n["stopped_by_time"].get<bool>());
  EXPECT_EQ(n["sent"]["sends"], 50);
}

TEST(CliTraffic, UdpOverIpv6Only) {
  const json j = Traffic("--backend model --proto udp --ip 6 --flows 3 -n 300");
  CheckTraffic(j);
  ASSERT_EQ(j["flows"].size(), 3u);
  for (const json &f : j["flows"]) {
    EXPECT_EQ(f["l4"], "udp");
    EXPECT_EQ(f["l3"], "ipv6");
    EXPECT_LE(f["max_len"].get<int>(), 1452);  // one datagram in a 1500-byte MTU
  }
  EXPECT_EQ(j["sent"]["tso_sends"], 0);
  EXPECT_EQ(j["sent"]["expected_frames"], 300);  // one frame a datagram
  EXPECT_EQ(j["received"]["l3_valid"], 0);       // no IPv4 header came back
  EXPECT_EQ(j["received"]["l4_valid"], 300);
}

TEST(CliTraffic, SizesVlanAndSoftwareOffloads) {
  const json j = Traffic(
      "--backend model --proto tcp --size 3000-5000 --vlan 42 --no-offloads --flows 2 -n 200");
  CheckTraffic(j);
  EXPECT_EQ(j["received"]["vlan"], j["received"]["frames"]);
  EXPECT_EQ(j["flows"][0]["name"], "tcp4-0-vlan42");
  // Every send is above the MSS: a TSO request each, done by the driver.
  EXPECT_EQ(j["sent"]["tso_sends"], 200);
  EXPECT_EQ(j["driver"]["sw_tso"], 200);
  EXPECT_EQ(j["card_counters"]["tso_requests"], 0);
  const double per_send = j["sent"]["payload_bytes"].get<double>() / 200;
  EXPECT_GE(per_send, 3000);
  EXPECT_LE(per_send, 5000);
}

TEST(CliTraffic, JumboFramesOnlyWithAJumboMtu) {
  const Ran no = Mbufnic("traffic --backend model --size 9000 --no-tso");
  EXPECT_EQ(no.status, 2);
  EXPECT_NE(no.err.find("--mtu"), std::string::npos) << no.err;
  EXPECT_TRUE(no.out.empty()) << no.out;
  const json j =
      Traffic("--backend model --proto tcp --no-tso --mtu 9000 --mss 8948 --size 8000-8948 -n 200");
  CheckTraffic(j);
  EXPECT_EQ(j["sent"]["tso_sends"], 0);
  EXPECT_EQ(j["wire"]["frames"], 200);  // one frame a send
  EXPECT_GT(j["wire"]["bytes"].get<double>() / 200, 8000);
}

TEST(CliTraffic, SeedReproducesTheCounts) {
  auto counts = [](const json &j) {
    json c = {{"sent", j["sent"]}, {"wire", j["wire"]}, {"received", j["received"]}};
    for (const json &f : j["flows"]) c["flows"].push_back({f["sends"], f["sent_bytes"]});
    return c;
  };
  const std::string args = "--backend model -n 400 --flows 6 --seed ";
  const json a = Traffic(args + "21"), b = Traffic(args + "21"), c = Traffic(args + "22");
  EXPECT_EQ(counts(a), counts(b));
  EXPECT_NE(counts(a), counts(c));
}

TEST(CliTraffic, SummaryForPeopleAndTheProgressLine) {
  const Ran r = Mbufnic("traffic --backend model -n 200 -v");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("every packet came back intact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frames and"), std::string::npos) << r.out;  // the rate line
  EXPECT_NE(r.out.find("udp6-3"), std::string::npos) << r.out;      // --verbose table
  EXPECT_TRUE(r.err.empty()) << r.err;  // stderr is no terminal: no progress line
  const Ran p = Mbufnic("traffic --backend model --duration 0.5 --progress");
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.err.find("\r["), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("Gb/s simulated"), std::string::npos) << p.err;
}

TEST(CliTraffic, BadArguments) {
  for (const char *args : {"--flows 0", "--flows 65", "--size 0", "--size 10-5", "--size x",
                           "--size 100000", "--vlan 5000", "--vlan 0", "--proto foo", "--ip 5",
                           "--mss 10", "--mss 9000", "--duration 0", "--sends 0",
                           "--progress --no-progress", "--faults 0", "--faults x", "--bogus"}) {
    const Ran r = Mbufnic(std::string("traffic --backend model ") + args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_FALSE(r.err.empty()) << args << ": no message";
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
  }
  for (const char *backend : {"nosuch", "xrt:0"}) {
    const Ran r = Mbufnic(std::string("traffic -n 5 --backend ") + backend);
    EXPECT_EQ(r.status, 2) << backend;
    EXPECT_NE(r.err.find(std::string("device '") + backend + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("this build has: "), std::string::npos) << r.err;
  }
}

TEST(CliTraffic, OnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  const json j = Traffic("-n 200 --seed 3");
  EXPECT_EQ(j["backend"], "sim");
  CheckTraffic(j);
  EXPECT_EQ(j["sent"]["sends"], 200);
}

// Faults at random in a run: every kind injected and answered, frames lost on both sides, and
// each loss one the card or the driver counted (the run's own checks, which `ok` reports, and
// the same sums again here from the JSON).
void CheckFaults(const json &j, bool offloads) {
  ASSERT_TRUE(j["ok"].get<bool>()) << j["failures"].dump();
  const json &f = j["faults"], &l = j["losses"], &a = j["accounting"], &s = j["sent"];
  for (const char *k :
       {"tx_dma", "tx_dma_answered", "rx_dma", "rx_dma_answered", "link_pauses", "host_pauses"}) {
    EXPECT_GT(f[k].get<int>(), 0) << k;
  }
  EXPECT_GT(l["tx_frames"].get<int>(), 0);
  EXPECT_GT(l["rx_frames"].get<int>(), 0);
  const auto n = [](const json &v) { return v.get<std::uint64_t>(); };
  EXPECT_EQ(n(a["wire_frames"]) + n(l["tx_frames"]), n(s["expected_frames"]));
  EXPECT_EQ(n(a["card_rx_frames"]), n(a["wire_frames"]));
  EXPECT_EQ(n(a["received_frames"]) + n(l["rx_frames"]), n(a["wire_frames"]));
  EXPECT_EQ(n(l["rx_frames"]),
            n(a["card_rx_drops"]) + n(l["driver_rx_errors"]) + n(l["driver_rx_drops"]));
  EXPECT_EQ(n(l["driver_tx_errors"]),
            offloads ? n(l["tx_sends"]) + n(l["tx_partial_sends"]) : n(l["tx_frames"]));
  EXPECT_LE(n(l["driver_rx_errors"]), n(f["rx_dma_answered"]));
  EXPECT_EQ(j["received"]["errors"], 0);
  EXPECT_EQ(j["dma_violations"], 0);
  EXPECT_TRUE(j["mbufs_returned"].get<bool>());
}

TEST(CliTraffic, FaultsEveryLossCountedOnModel) {
  CheckFaults(MbufnicJson("traffic --backend model -n 3000 --faults 20 --seed 11 --json"), true);
}

TEST(CliTraffic, FaultsWithOffloadsOffOnModel) {
  CheckFaults(
      MbufnicJson("traffic --backend model -n 2000 --faults 20 --seed 12 --no-offloads --json"),
      false);
}

TEST(CliTraffic, FaultsEveryLossCountedOnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  CheckFaults(MbufnicJson("traffic --backend sim -n 400 --faults 12 --seed 13 --json"), true);
}

TEST(CliTraffic, FaultsEveryLossCountedOnSystemc) {
  if (!HaveSystemc()) GTEST_SKIP() << "this build has no systemc backend";
  CheckFaults(MbufnicJson("traffic --backend systemc -n 400 --faults 12 --seed 13 --json"), true);
}

// ---- mbufnic stat

TEST(CliStat, FreshCardZeroCountersAndTheMbufTable) {
  const Ran r = Mbufnic("stat --backend model");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("nothing sent"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rx_drop_nobuf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("queue counters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mbufs in use"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("mbuf_cluster"), std::string::npos) << r.out;  // vmstat -z: only with -v
  const json j = json::parse(Mbufnic("stat --backend model --json").out);
  for (const auto &[name, value] : j["card_counters"].items()) EXPECT_EQ(value, 0) << name;
  EXPECT_EQ(j["queues"].size(), 8u);
  EXPECT_EQ(j["zones"][1]["name"], "mbuf_cluster");
}

TEST(CliStat, VerboseAddsVmstatZ) {
  const Ran r = Mbufnic("stat --backend model -v");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("mbufs in use"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mbuf_cluster"), std::string::npos) << r.out;
}

void CheckStatAfterSends(const std::string &args) {
  const Ran r = Mbufnic("stat --json " + args);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const json j = json::parse(r.out);
  const json &c = j["card_counters"];
  EXPECT_GT(c["port_tx_frames"].get<int>(), 0);
  EXPECT_EQ(c["port_rx_frames"], c["port_tx_frames"]);
  EXPECT_EQ(c["csum_tx_frames"], c["port_tx_frames"]);
  EXPECT_GT(c["csum_rx_frames"].get<int>(), 0);
  EXPECT_GT(c["tso_requests"].get<int>(), 0);
  EXPECT_GT(c["tso_segments"].get<int>(), c["tso_requests"].get<int>());
  EXPECT_EQ(j["queues"][0]["txq_packets"], j["sends"]);
  EXPECT_EQ(j["queues"][0]["rxq_packets"], c["port_rx_frames"]);
  EXPECT_EQ(j["queues"][1]["txq_packets"], 0);
}

TEST(CliStat, AfterSendsOnModel) { CheckStatAfterSends("--backend model --sends 50"); }

TEST(CliStat, AfterSendsOnSim) {
  if (!HaveSim()) GTEST_SKIP() << "this build has no sim backend";
  CheckStatAfterSends("--sends 50");
}

TEST(CliStat, AfterADemoOrTrafficRun) {
  const Ran d = Mbufnic("demo --backend model --sends 20 --no-pcap --stat -v");
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find("queue counters"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("mbuf_cluster"), std::string::npos) << d.out;
  const json t = Traffic("--backend model -n 20 --stat");
  EXPECT_EQ(t["stat"]["card_counters"], t["card_counters"]);
  EXPECT_EQ(t["stat"]["zones"].size(), 6u);
}

TEST(CliStat, BadArguments) {
  for (const char *args : {"stat --sends -1", "stat --sends x", "stat --backend nosuch"}) {
    const Ran r = Mbufnic(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_FALSE(r.err.empty()) << args;
  }
}

}  // namespace
