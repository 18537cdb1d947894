// Allocation on one thread, freeing on another, with statistics read concurrently: the pattern of
// a driver's receive path (the interrupt thread allocates, the stack frees).  Clean under TSan.
#include <gtest/gtest.h>
#include <sys/mbuf.h>
#include <sys/param.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "mbuf_test_util.h"
#include "mbufnic/runtime.h"

namespace mbufnic::test {
namespace {

// A small blocking queue of packets between threads.
class Channel {
 public:
  void Push(struct mbuf *m) {
    std::lock_guard<std::mutex> lock(mu_);
    q_.push_back(m);
    cv_.notify_one();
  }
  struct mbuf *Pop() {  // nullptr once closed and empty
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return nullptr;
    struct mbuf *m = q_.front();
    q_.pop_front();
    return m;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<struct mbuf *> q_;
  bool closed_ = false;
};

// One packet of a kind chosen by i: plain, header, packet pair, jumbo, or a copy sharing storage.
struct mbuf *MakeOne(int i) {
  switch (i % 5) {
    case 0:
      return m_get(M_WAITOK, MT_DATA);
    case 1:
      return m_gethdr(M_WAITOK, MT_DATA);
    case 2:
      return m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
    case 3:
      return m_getjcl(M_WAITOK, MT_DATA, M_PKTHDR, (i % 3) ? MJUMPAGESIZE : MJUM9BYTES);
    default: {
      struct mbuf *m = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
      m->m_len = m->m_pkthdr.len = 64;
      struct mbuf *c = m_copypacket(m, M_WAITOK);  // the consumer frees both references
      m->m_nextpkt = c;
      return m;
    }
  }
}

TEST(ZoneThreads, AllocOnOneThreadFreeOnAnother) {
  LeakCheck leaks;
  constexpr int kProducers = 2, kPerProducer = 40000;
  Channel ch;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> freed{0};
  std::thread stats([&] {
    while (!stop.load()) {
      for (int z = 0; z < MBUFNIC_ZONE_COUNT; ++z) {
        mbufnic_zone_stats st{};
        mbufnic_zone_get_stats(static_cast<mbufnic_zone_id>(z), &st);
        EXPECT_LE(st.used, uint64_t{1} << 40);  // never an underflowed count
      }
      std::this_thread::yield();
    }
  });
  std::thread consumer([&] {
    while (struct mbuf *m = ch.Pop()) {
      struct mbuf *c = m->m_nextpkt;
      m->m_nextpkt = nullptr;
      m_freem(m);
      m_freem(c);
      freed.fetch_add(1);
    }
    mbufnic_thread_cache_drain();
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        struct mbuf *m = MakeOne(i + p);
        ASSERT_NE(m, nullptr);
        ch.Push(m);
      }
      mbufnic_thread_cache_drain();
    });
  for (auto &t : producers) t.join();
  ch.Close();
  consumer.join();
  stop = true;
  stats.join();
  EXPECT_EQ(freed.load(), uint64_t{kProducers} * kPerProducer);
}

TEST(ZoneThreads, ThreadsExitingWithFullCachesGiveItemsBack) {
  LeakCheck leaks;
  mbufnic_zone_stats before{};
  mbufnic_zone_get_stats(MBUFNIC_ZONE_MBUF, &before);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([] {
      std::vector<struct mbuf *> v;
      for (int i = 0; i < 2000; ++i) v.push_back(m_get(M_WAITOK, MT_DATA));
      for (auto *m : v) m_free(m);  // fills this thread's cache; the thread then exits
    });
  for (auto &t : ts) t.join();
  mbufnic_zone_stats after{};
  mbufnic_zone_get_stats(MBUFNIC_ZONE_MBUF, &after);
  EXPECT_EQ(after.used, before.used);
  EXPECT_GE(after.requests, before.requests + 8000);
}

}  // namespace
}  // namespace mbufnic::test
