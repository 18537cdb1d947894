// The reference model of the mbuf chain operations, shared by the RapidCheck properties
// (model_property_test.cc) and the fuzz target (tests/fuzz/mbuf_ops_fuzz.cc).
//
// One case builds a random packet (random segment sizes, empty mbufs included; internal, 2k
// cluster and packet-zone storage; some of it shared with other references through m_copym, so
// read-only) and applies a random sequence of operations to it and, in parallel, to a flat byte
// vector: the reference model.  After every step the chain must hold exactly the model's bytes,
// m_length and m_pkthdr.len must agree with it (m_cat, which does not maintain pkthdr.len, is
// checked for exactly that and then repaired with m_fixhdr), m_sanity must accept it, its tags and
// other packet-header fields must be those it started with, and every other reference to its
// clusters must still read what it read before (unless m_copyback, which FreeBSD lets write
// through shared clusters, has written to the shared range).  Copies (m_copym, m_copypacket,
// m_dup) are checked against the model too, and some are kept as further references, or replace
// the original.
//
// Allocation failures are injected at the rate asked for (mbufnic_fault_set_alloc_failure_ppm),
// and each failed call must have the outcome mbuf-semantics.md section 3 documents: the calls that
// free the chain (M_PREPEND, m_pullup, m_copyup, m_pulldown, m_unshare) end the sequence; the
// calls that keep it (m_split, m_defrag, m_collapse, m_fragment, m_getm2, the copies) leave its
// bytes alone; m_append and m_copyback keep what they wrote before the failure.  A call may only
// report a failure when an allocation was actually denied.  After the sequence everything is
// freed and every zone and the tag count must be back where they started.
//
// Every choice (sizes, offsets, which operation) comes from a Source, and so does the reaction to
// a failed check: RapidCheck's generators and exception, or a fuzzer's bytes and abort().
#ifndef MBUFNIC_TESTS_HOST_MBUF_MBUF_MODEL_H_
#define MBUFNIC_TESTS_HOST_MBUF_MBUF_MODEL_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace mbufnic::test::model {

class Source {
 public:
  virtual ~Source() = default;
  // A value in [lo, hi] (lo < hi) for a size or an offset: may favour small values.
  virtual int Sized(int lo, int hi) = 0;
  // A value in [lo, hi] (lo < hi), uniformly: which operation, which storage.
  virtual int Any(int lo, int hi) = 0;
  // 64 arbitrary bits (header fields, the fault injection seed).
  virtual std::uint64_t Bits() = 0;
  // Whether to apply another operation after `step` of them.
  virtual bool Continue(int step) = 0;
  // A check failed: `what` says which.  Must not return.
  [[noreturn]] virtual void Fail(const std::string &what) = 0;
  // One line of the case's log (the operation a step applies).
  virtual void Log(const std::string &line) = 0;
};

// Runs one case with every M_NOWAIT allocation failing with probability ppm / 10^6.
void RunCase(Source &src, std::uint32_t ppm);

// How often each operation ran and reported an allocation failure, over every case so far.
void PrintOpStats(std::FILE *out);

}  // namespace mbufnic::test::model

#endif  // MBUFNIC_TESTS_HOST_MBUF_MBUF_MODEL_H_
