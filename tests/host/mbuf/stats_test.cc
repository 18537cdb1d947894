// What netstat -m and vmstat -z print, read back as a user reads them: the numbers on each line
// move with the allocations a program makes, the totals add up, and both reports agree with
// mbufnic_zone_get_stats().  Tag accounting feeds the byte count.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

mbufnic_zone_stats Stats(mbufnic_zone_id z) {
  mbufnic_zone_stats st{};
  EXPECT_EQ(mbufnic_zone_get_stats(z, &st), 0);
  return st;
}

std::string Capture(void (*print)(FILE *)) {
  char *buf = nullptr;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  print(f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

// netstat -m, one entry per line: the text after the numbers -> the numbers ("A/B/C", "12K/..").
using Netstat = std::map<std::string, std::vector<uint64_t>>;
Netstat ParseNetstat(const std::string &out) {
  Netstat lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string numbers;
    words >> numbers;
    std::string label;
    std::getline(words, label);
    if (!label.empty() && label[0] == ' ') label.erase(0, 1);
    std::vector<uint64_t> v;
    std::istringstream parts(numbers);
    std::string part;
    while (std::getline(parts, part, '/')) v.push_back(std::stoull(part));  // "12K" reads as 12
    lines[label] = v;
  }
  return lines;
}

const char kMbufs[] = "mbufs in use (current/cache/total)";
const char kClusters[] = "mbuf clusters in use (current/cache/total/max)";
const char kPackets[] = "mbuf+clusters out of packet secondary zone in use (current/cache)";
const char kJumboP[] = "4k (page size) jumbo clusters in use (current/cache/total/max)";
const char kJumbo9[] = "9k jumbo clusters in use (current/cache/total/max)";
const char kJumbo16[] = "16k jumbo clusters in use (current/cache/total/max)";
const char kBytes[] = "bytes allocated to network (current/cache/total)";
const char kDenied[] = "requests for mbufs denied (mbufs/clusters/mbuf+clusters)";
const char kDelayed[] = "requests for mbufs delayed (mbufs/clusters/mbuf+clusters)";
const char kJumboDelayed[] = "requests for jumbo clusters delayed (4k/9k/16k)";
const char kJumboDenied[] = "requests for jumbo clusters denied (4k/9k/16k)";

Netstat NetstatNow() { return ParseNetstat(Capture(mbufnic_print_netstat_m)); }

class StatsTest : public ::testing::Test {
 protected:
  void TearDown() override { mbufnic_fault_reset(); }
  LeakCheck leaks_;
};

TEST_F(StatsTest, NetstatMPrintsFreeBsdsLinesInOrder) {
  const std::string out = Capture(mbufnic_print_netstat_m);
  size_t pos = 0;
  for (const char *label : {kMbufs, kClusters, kPackets, kJumboP, kJumbo9, kJumbo16, kBytes,
                            kDenied, kDelayed, kJumboDelayed, kJumboDenied}) {
    const size_t at = out.find(label, pos);
    ASSERT_NE(at, std::string::npos) << label << "\n" << out;
    pos = at;
  }
  const Netstat n = ParseNetstat(out);
  // Totals are current + cache; the max is the zone's limit.
  for (const char *label : {kMbufs, kClusters, kJumboP, kJumbo9, kJumbo16}) {
    const auto &v = n.at(label);
    EXPECT_EQ(v[2], v[0] + v[1]) << label;
  }
  EXPECT_EQ(n.at(kClusters)[3], Stats(MBUFNIC_ZONE_CLUSTER).limit);
  EXPECT_EQ(n.at(kJumboP)[3], Stats(MBUFNIC_ZONE_JUMBOP).limit);
  EXPECT_EQ(n.at(kJumbo9)[3], Stats(MBUFNIC_ZONE_JUMBO9).limit);
  EXPECT_EQ(n.at(kJumbo16)[3], Stats(MBUFNIC_ZONE_JUMBO16).limit);
}

TEST_F(StatsTest, NetstatMCurrentFiguresMoveWithAllocations) {
  const Netstat before = NetstatNow();
  std::vector<struct mbuf *> held;
  for (int i = 0; i < 3; ++i) held.push_back(m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR));
  for (int i = 0; i < 2; ++i) held.push_back(m_get(M_NOWAIT, MT_DATA));
  struct mbuf *c = m_gethdr(M_NOWAIT, MT_DATA);
  MCLGET(c, M_NOWAIT);
  held.push_back(c);
  held.push_back(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE));
  held.push_back(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES));
  held.push_back(m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES));
  const Netstat during = NetstatNow();
  auto delta = [&](const char *label, int i) {
    return static_cast<int64_t>(during.at(label)[i] - before.at(label)[i]);
  };
  EXPECT_EQ(delta(kMbufs, 0), 3 + 2 + 1 + 3);  // pairs, plain, MCLGET's, the jumbos' mbufs
  EXPECT_EQ(delta(kClusters, 0), 3 + 1);       // the pairs' clusters and MCLGET's
  EXPECT_EQ(delta(kPackets, 0), 3);
  EXPECT_EQ(delta(kJumboP, 0), 1);
  EXPECT_EQ(delta(kJumbo9, 0), 1);
  EXPECT_EQ(delta(kJumbo16, 0), 1);
  // 9 mbufs, 4 clusters and one jumbo of each size: 40192 bytes, printed in K.
  const int64_t k = delta(kBytes, 0);
  EXPECT_GE(k, 39);
  EXPECT_LE(k, 40);
  for (auto *m : held) m_freem(m);
  const Netstat after = NetstatNow();
  for (const char *label : {kMbufs, kClusters, kPackets, kJumboP, kJumbo9, kJumbo16})
    EXPECT_EQ(after.at(label)[0], before.at(label)[0]) << label;
}

TEST_F(StatsTest, NetstatMCountsDenials) {
  const Netstat before = NetstatNow();
  auto fail_next = [] { mbufnic_fault_fail_nth(1); };
  fail_next();
  EXPECT_EQ(m_get(M_NOWAIT, MT_DATA), nullptr);  // mbufs
  struct mbuf *m = m_get(M_WAITOK, MT_DATA);
  mbufnic_fault_set_alloc_failure_ppm(1000000);  // m_clget tries twice: both are denied
  EXPECT_EQ(m_clget(m, M_NOWAIT), 0);            // clusters
  mbufnic_fault_set_alloc_failure_ppm(0);
  m_free(m);
  fail_next();
  EXPECT_EQ(m_getcl(M_NOWAIT, MT_DATA, 0), nullptr);  // mbuf+clusters
  for (int size : {MJUMPAGESIZE, MJUM9BYTES, MJUM9BYTES, MJUM16BYTES}) {
    fail_next();
    EXPECT_EQ(m_cljget(nullptr, M_NOWAIT, size), nullptr);
  }
  mbufnic_fault_reset();
  const Netstat after = NetstatNow();
  const std::vector<uint64_t> denied = after.at(kDenied), jdenied = after.at(kJumboDenied);
  EXPECT_EQ(denied[0], before.at(kDenied)[0] + 1);
  EXPECT_EQ(denied[1], before.at(kDenied)[1] + 2);
  EXPECT_EQ(denied[2], before.at(kDenied)[2] + 1);
  EXPECT_EQ(jdenied[0], before.at(kJumboDenied)[0] + 1);
  EXPECT_EQ(jdenied[1], before.at(kJumboDenied)[1] + 2);
  EXPECT_EQ(jdenied[2], before.at(kJumboDenied)[2] + 1);
}

TEST_F(StatsTest, NetstatMCountsDelays) {
  const Netstat before = NetstatNow();
  const auto st = Stats(MBUFNIC_ZONE_JUMBO16);
  mbufnic_thread_cache_drain();
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.used + st.free + 1), 0);
  std::vector<void *> held;
  while (void *cl = m_cljget(nullptr, M_NOWAIT, MJUM16BYTES)) held.push_back(cl);
  std::thread waiter([] {
    m_freem(m_getjcl(M_WAITOK, MT_DATA, 0, MJUM16BYTES));
    mbufnic_thread_cache_drain();
  });
  while (Stats(MBUFNIC_ZONE_JUMBO16).sleeps == st.sleeps)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (void *cl : held) {
    struct mbuf *m = m_get(M_WAITOK, MT_DATA);
    m_cljset(m, cl, EXT_JUMBO16);
    m_freem(m);
  }
  waiter.join();
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO16, st.limit), 0);
  const Netstat after = NetstatNow();
  EXPECT_EQ(after.at(kJumboDelayed)[2], before.at(kJumboDelayed)[2] + 1);
  EXPECT_EQ(after.at(kJumboDelayed)[0], before.at(kJumboDelayed)[0]);
  EXPECT_EQ(after.at(kDelayed), before.at(kDelayed));
}

TEST_F(StatsTest, TagsAreCountedInUseAndInBytes) {
  const uint64_t tags = mbufnic_tags_in_use(), bytes = mbufnic_tag_bytes_in_use();
  struct mbuf *m = m_gethdr(M_NOWAIT, MT_DATA);
  m_tag_prepend(m, m_tag_get(7, 1000, M_NOWAIT));
  EXPECT_EQ(mbufnic_tags_in_use(), tags + 1);
  EXPECT_GE(mbufnic_tag_bytes_in_use(), bytes + 1000);
  const std::string out = Capture(mbufnic_print_netstat_m);
  EXPECT_NE(out.find(std::to_string(tags + 1) + " mbuf tags in use (" +
                     std::to_string(mbufnic_tag_bytes_in_use()) + " bytes)"),
            std::string::npos)
      << out;
  m_freem(m);
  EXPECT_EQ(mbufnic_tags_in_use(), tags);
  EXPECT_EQ(mbufnic_tag_bytes_in_use(), bytes);
}

TEST_F(StatsTest, VmstatZRowsAgreeWithZoneStats) {
  // Something in every zone, so that no row is all zeros.
  std::vector<struct mbuf *> held = {m_get(M_NOWAIT, MT_DATA), m_getcl(M_NOWAIT, MT_DATA, 0),
                                     m_getjcl(M_NOWAIT, MT_DATA, 0, MJUMPAGESIZE),
                                     m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM9BYTES),
                                     m_getjcl(M_NOWAIT, MT_DATA, 0, MJUM16BYTES)};
  struct mbuf *c = m_get(M_NOWAIT, MT_DATA);
  MCLGET(c, M_NOWAIT);
  held.push_back(c);
  const std::string out = Capture(mbufnic_print_vmstat_z);
  std::istringstream in(out);
  std::string header;
  std::getline(in, header);
  for (const char *col : {"ITEM", "SIZE", "LIMIT", "USED", "FREE", "REQ", "FAIL", "SLEEP"})
    EXPECT_NE(header.find(col), std::string::npos) << col;
  int rows = 0;
  std::string name;
  uint64_t size, limit, used, cached, req, fail, sleep;
  while (in >> name >> size >> limit >> used >> cached >> req >> fail >> sleep) {
    const auto z = static_cast<mbufnic_zone_id>(rows);
    const auto st = Stats(z);
    EXPECT_EQ(name, st.name);
    EXPECT_EQ(size, st.size) << name;
    EXPECT_EQ(limit, st.limit) << name;
    EXPECT_EQ(used, st.used) << name;
    EXPECT_GE(used, 1u) << name;
    EXPECT_EQ(cached, st.free) << name;
    EXPECT_EQ(req, st.requests) << name;
    EXPECT_EQ(fail, st.failures) << name;
    EXPECT_EQ(sleep, st.sleeps) << name;
    ++rows;
  }
  EXPECT_EQ(rows, MBUFNIC_ZONE_COUNT) << out;
  for (auto *m : held) m_freem(m);
}

}  // namespace
}  // namespace mbufnic::test
