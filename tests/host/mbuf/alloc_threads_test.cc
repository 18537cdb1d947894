// The allocator under threads, run under ThreadSanitizer in CI: packets of every kind made on one
// thread and freed on another while statistics are read; shared storage whose references are
// dropped on several threads at once (the storage goes back once, its free routine runs once);
// threads competing for a zone at its limit with M_WAITOK.  Data written by the producer is
// checked by the consumer, so an item handed out twice shows up as corrupted data.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

// A blocking queue of batches of packets (batches keep the queue's lock out of the picture).
class BatchQueue {
 public:
  void Push(std::vector<struct mbuf *> batch) {
    std::lock_guard<std::mutex> lock(mu_);
    q_.push_back(std::move(batch));
    cv_.notify_one();
  }
  bool Pop(std::vector<struct mbuf *> *batch) {  // false once closed and empty
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *batch = std::move(q_.front());
    q_.pop_front();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<struct mbuf *>> q_;
  bool closed_ = false;
};

// Caller storage for MEXTADD, freed by the last reference on whatever thread that is.
std::atomic<int> g_ext_frees{0};
void ExtFree(struct mbuf *m) {
  delete[] static_cast<char *>(m->m_ext.ext_arg1);
  g_ext_frees.fetch_add(1, std::memory_order_relaxed);
}

// A stamp identifying one packet, written at the front of its data.
struct Stamp {
  uint32_t producer, seq;
};

// One packet of a kind chosen by i, stamped.  Kinds: plain mbuf, header mbuf, packet pair, each
// jumbo size, m_get2 of a varying size, an m_getm2 chain, and caller storage.
struct mbuf *MakePacket(uint32_t producer, uint32_t i) {
  struct mbuf *m = nullptr;
  switch (i % 9) {
    case 0:
      m = m_get(M_WAITOK, MT_DATA);
      break;
    case 1:
      m = m_gethdr(M_WAITOK, MT_DATA);
      break;
    case 2:
      m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
      break;
    case 3:
      m = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUMPAGESIZE);
      break;
    case 4:
      m = m_getjcl(M_WAITOK, MT_DATA, 0, (i & 16) ? MJUM9BYTES : MJUM16BYTES);
      break;
    case 5:
      m = m_get2(static_cast<int>(i % MJUMPAGESIZE) + 1, M_WAITOK, MT_DATA, M_PKTHDR);
      break;
    case 6:
      m = m_getm2(nullptr, static_cast<int>(i % 20000) + 1, M_WAITOK, MT_DATA, M_PKTHDR);
      break;
    case 7:
      m = m_get(M_NOWAIT, MT_DATA);  // may fail only if the limits are hit: they are not
      break;
    default: {
      m = m_gethdr(M_WAITOK, MT_DATA);
      char *buf = new char[512];
      MEXTADD(m, buf, 512, ExtFree, buf, nullptr, 0, EXT_NET_DRV);
      break;
    }
  }
  if (m == nullptr) return nullptr;
  const Stamp s{producer, i};
  for (struct mbuf *n = m; n; n = n->m_next) {
    std::memcpy(mtod(n, void *), &s, sizeof s);
    n->m_len = sizeof s;
  }
  return m;
}

bool CheckStamp(const struct mbuf *m, uint32_t producer, uint32_t seq) {
  for (; m; m = m->m_next) {
    Stamp s;
    std::memcpy(&s, mtod(m, const void *), sizeof s);
    if (m->m_len != sizeof s || s.producer != producer || s.seq != seq) return false;
  }
  return true;
}

// Reads every statistic over and over until told to stop.
class StatsReader {
 public:
  StatsReader()
      : t_([this] {
          FILE *null = std::fopen("/dev/null", "w");
          while (!stop_.load()) {
            for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
              mbufnic_zone_stats st{};
              mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
              EXPECT_LT(st.used, uint64_t{1} << 40);  // never an underflowed count
            }
            mbufnic_print_netstat_m(null);
            mbufnic_print_vmstat_z(null);
            mbufnic_arena_info info{};
            mbufnic_arena_get_info(&info);
            ++reads_;
            std::this_thread::yield();
          }
          std::fclose(null);
        }) {}
  ~StatsReader() {
    stop_ = true;
    t_.join();
    EXPECT_GT(reads_, 0);
  }

 private:
  std::atomic<bool> stop_{false};
  int reads_ = 0;
  std::thread t_;
};

TEST(AllocThreads, ProducersAndConsumersWithEveryKindOfPacket) {
  LeakCheck leaks;
  g_ext_frees = 0;
  constexpr uint32_t kProducers = 2, kConsumers = 2, kPerProducer = 40000, kBatch = 32;
  BatchQueue queue;
  std::atomic<uint64_t> consumed{0}, corrupted{0};
  std::atomic<int> ext_made{0};
  StatsReader stats;
  std::vector<std::thread> consumers;
  for (uint32_t c = 0; c < kConsumers; ++c)
    consumers.emplace_back([&] {
      std::vector<struct mbuf *> batch;
      while (queue.Pop(&batch)) {
        for (struct mbuf *m : batch) {
          Stamp s;
          std::memcpy(&s, mtod(m, const void *), sizeof s);
          if (!CheckStamp(m, s.producer, s.seq) || s.producer >= kProducers) ++corrupted;
          m_freem(m);
          ++consumed;
        }
      }
      mbufnic_thread_cache_drain();
    });
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      std::vector<struct mbuf *> batch;
      for (uint32_t i = 0; i < kPerProducer; ++i) {
        struct mbuf *m = MakePacket(p, i);
        ASSERT_NE(m, nullptr) << i;
        if (m->m_flags & M_EXT && m->m_ext.ext_type == EXT_NET_DRV) ++ext_made;
        // Every 7th packet is shared: a copy goes to the consumer and the original is freed
        // here, so the last reference drops on the other thread.
        if (i % 7 == 0 && (m->m_flags & M_PKTHDR) && (m->m_flags & M_EXT)) {
          m->m_pkthdr.len = m_length(m, nullptr);
          struct mbuf *c = m_copypacket(m, M_WAITOK);
          m_freem(m);
          m = c;
        }
        batch.push_back(m);
        if (batch.size() == kBatch) queue.Push(std::exchange(batch, {}));
      }
      if (!batch.empty()) queue.Push(std::move(batch));
      mbufnic_thread_cache_drain();
    });
  for (auto &t : producers) t.join();
  queue.Close();
  for (auto &t : consumers) t.join();
  EXPECT_EQ(consumed.load(), uint64_t{kProducers} * kPerProducer);
  EXPECT_EQ(corrupted.load(), 0u);
  EXPECT_EQ(g_ext_frees.load(), ext_made.load());
}

// One storage, several references, dropped on several threads at once.
TEST(AllocThreads, SharedStorageIsReleasedOnceWhateverThreadDropsLast) {
  LeakCheck leaks;
  g_ext_frees = 0;
  constexpr int kRounds = 3000, kCopies = 3;
  BatchQueue queues[kCopies];
  std::atomic<int> ext_made{0};
  std::vector<std::thread> droppers;
  for (auto &q : queues)
    droppers.emplace_back([&q] {
      std::vector<struct mbuf *> batch;
      int writable = 0;
      while (q.Pop(&batch))
        for (struct mbuf *m : batch) {
          // Reading the count (as M_WRITABLE, M_PREPEND and m_pullup do) while other threads
          // drop their references must be race-free too.
          writable += M_WRITABLE(m) ? 1 : 0;
          m_freem(m);
        }
      EXPECT_GE(writable, 0);
      mbufnic_thread_cache_drain();
    });
  for (int r = 0; r < kRounds; ++r) {
    struct mbuf *m;
    switch (r % 3) {
      case 0:
        m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
        break;
      case 1:
        m = m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, MJUMPAGESIZE);
        break;
      default: {
        m = m_gethdr(M_WAITOK, MT_DATA);
        char *buf = new char[256];
        MEXTADD(m, buf, 256, ExtFree, buf, nullptr, 0, EXT_DISPOSABLE);
        ++ext_made;
      }
    }
    m->m_len = m->m_pkthdr.len = 64;
    for (auto &q : queues) q.Push({m_copypacket(m, M_WAITOK)});
    if (r % 2) {
      m_freem(m);  // the owner goes first, or last, or in between
    } else {
      queues[r % kCopies].Push({m});
    }
  }
  for (auto &q : queues) q.Close();
  for (auto &t : droppers) t.join();
  EXPECT_EQ(g_ext_frees.load(), ext_made.load());
}

// Threads competing at a zone's limit with M_WAITOK: all of them finish, none gets NULL.
TEST(AllocThreads, WaitersAtATightLimitAllFinish) {
  LeakCheck leaks;
  mbufnic_thread_cache_drain();
  mbufnic_zone_stats st{};
  mbufnic_zone_get_stats(MBUFNIC_ZONE_JUMBO9, &st);
  ASSERT_EQ(mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO9, st.used + st.free + 3), 0);
  constexpr int kThreads = 4, kIterations = 2000;
  std::atomic<int> nulls{0}, done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        struct mbuf *m = m_getjcl(M_WAITOK, MT_DATA, 0, MJUM9BYTES);
        if (m == nullptr) {
          ++nulls;
          continue;
        }
        std::memset(mtod(m, void *), t, 64);
        m_freem(m);
      }
      ++done;
    });
  for (auto &t : ts) t.join();
  EXPECT_EQ(done.load(), kThreads);
  EXPECT_EQ(nulls.load(), 0);
  mbufnic_zone_stats after{};
  mbufnic_zone_get_stats(MBUFNIC_ZONE_JUMBO9, &after);
  EXPECT_LE(after.used + after.free, st.used + st.free + 3);  // the limit held throughout
  mbufnic_zone_set_limit(MBUFNIC_ZONE_JUMBO9, st.limit);
}

// Threads that come and go while statistics are read: their caches join and leave the registry.
TEST(AllocThreads, ShortLivedThreadsAndStatistics) {
  LeakCheck leaks;
  StatsReader stats;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([] {
        std::vector<struct mbuf *> v;
        for (int i = 0; i < 300; ++i) v.push_back(m_getcl(M_WAITOK, MT_DATA, M_PKTHDR));
        for (auto *m : v) m_freem(m);  // left in this thread's cache: drained at exit
      });
    for (auto &t : ts) t.join();
  }
}

}  // namespace
}  // namespace mbufnic::test
