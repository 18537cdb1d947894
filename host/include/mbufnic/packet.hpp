// mbufnic::Packet: an owning C++ handle over an mbuf chain, for new code.
//
// FreeBSD's API hands raw `struct mbuf *` around and leaves it to the caller to know which calls
// consume a chain (M_PREPEND on failure, m_pullup on failure, m_freem).  Packet owns exactly one
// chain and encodes those rules: a call that would free the chain leaves the handle empty, a move
// transfers ownership, and the destructor frees what is left.  No exceptions: allocation failure
// is reported through std::optional or a false return, as the data path requires.
//
//   auto p = mbufnic::Packet::FromBytes(payload);      // std::optional<Packet>
//   if (!p || !p->Prepend(hdr)) return;                // headers in front, chain freed on failure
//   for (std::span<const std::byte> seg : p->Segments()) dma.Post(seg);
//   struct mbuf *m = p->Release();                     // hand over to FreeBSD-style code
#ifndef MBUFNIC_PACKET_HPP_
#define MBUFNIC_PACKET_HPP_

#include <sys/mbuf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <span>
#include <utility>

namespace mbufnic {

// The data of one mbuf of a chain, optionally clipped to a byte range of the packet.
class SegmentIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = std::span<const std::byte>;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = value_type;

  SegmentIterator() = default;
  // Segments of [off, off + len) of the chain starting at m; len < 0 means "to the end".
  SegmentIterator(const struct mbuf *m, int off, int len) : m_(m), skip_(off), left_(len) {
    Settle();
  }

  value_type operator*() const {
    const int n = left_ < 0 ? m_->m_len - skip_ : std::min(left_, m_->m_len - skip_);
    return {reinterpret_cast<const std::byte *>(m_->m_data) + skip_, static_cast<size_t>(n)};
  }
  SegmentIterator &operator++() {
    if (left_ >= 0) left_ -= static_cast<int>((**this).size());
    m_ = m_->m_next;
    skip_ = 0;
    Settle();
    return *this;
  }
  SegmentIterator operator++(int) {
    SegmentIterator t = *this;
    ++*this;
    return t;
  }
  bool operator==(const SegmentIterator &o) const { return m_ == o.m_; }

 private:
  // Move past mbufs that the range does not reach: those before the offset, empty ones, and
  // everything once the length is used up.
  void Settle() {
    while (m_ != nullptr && (skip_ >= m_->m_len || left_ == 0)) {
      if (left_ == 0) {
        m_ = nullptr;
        return;
      }
      skip_ -= m_->m_len;
      m_ = m_->m_next;
    }
  }

  const struct mbuf *m_ = nullptr;
  int skip_ = 0;
  int left_ = -1;
};

// A range of segments, usable in range-for.
class SegmentRange {
 public:
  SegmentRange(const struct mbuf *m, int off, int len) : begin_(m, off, len) {}
  SegmentIterator begin() const { return begin_; }
  SegmentIterator end() const { return {}; }

 private:
  SegmentIterator begin_;
};

class Packet {
 public:
  Packet() = default;
  // Take ownership of a chain (which must have M_PKTHDR on its head).
  explicit Packet(struct mbuf *m) : m_(m) {}
  ~Packet() { m_freem(m_); }
  Packet(Packet &&o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  Packet &operator=(Packet &&o) noexcept {
    if (this != &o) {
      m_freem(m_);
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  Packet(const Packet &) = delete;
  Packet &operator=(const Packet &) = delete;

  // An empty packet (a header mbuf with no data), or nullopt when no mbuf could be had.
  static std::optional<Packet> Make(int how = M_NOWAIT) {
    struct mbuf *m = m_gethdr(how, MT_DATA);
    if (m == nullptr) return std::nullopt;
    return Packet(m);
  }
  // A packet holding a copy of bytes: one mbuf, one cluster or a chain of clusters as the size
  // needs (m_getm2), or nullopt when memory ran out.
  static std::optional<Packet> FromBytes(std::span<const std::byte> bytes, int how = M_NOWAIT) {
    struct mbuf *m =
        m_getm2(nullptr, std::max<int>(static_cast<int>(bytes.size()), 1), how, MT_DATA, M_PKTHDR);
    if (m == nullptr) return std::nullopt;
    Packet p(m);
    size_t off = 0;
    for (struct mbuf *n = m; n != nullptr; n = n->m_next) {
      const size_t take = std::min<size_t>(bytes.size() - off, M_TRAILINGSPACE(n));
      if (take) std::memcpy(mtod(n, void *), bytes.data() + off, take);
      n->m_len = static_cast<int>(take);
      off += take;
    }
    m->m_pkthdr.len = static_cast<int>(bytes.size());
    return p;
  }

  bool empty() const { return m_ == nullptr; }
  explicit operator bool() const { return m_ != nullptr; }
  // The chain, still owned by this handle.
  struct mbuf *get() const {
    return m_;
  }
  // Give up ownership: the caller now frees the chain.
  [[nodiscard]] struct mbuf *Release() { return std::exchange(m_, nullptr); }

  // Packet length (m_pkthdr.len); 0 for an empty handle.
  int Length() const { return m_ ? m_->m_pkthdr.len : 0; }
  // Number of mbufs in the chain.
  int SegmentCount() const {
    int n = 0;
    for (const struct mbuf *s = m_; s; s = s->m_next) ++n;
    return n;
  }
  // The non-empty data pieces of the whole packet, in order.
  SegmentRange Segments() const { return {m_, 0, -1}; }
  // The pieces covering bytes [off, off + len) of the packet; the range is clipped to the packet.
  SegmentRange View(int off, int len) const {
    const int total = Length();
    off = std::clamp(off, 0, total);
    len = std::clamp(len, 0, total - off);
    return {m_, off, len};
  }
  // Copy bytes [off, off + out.size()) out; false (nothing copied) when the range is not inside.
  bool CopyOut(int off, std::span<std::byte> out) const {
    if (off < 0 || static_cast<size_t>(off) + out.size() > static_cast<size_t>(Length()))
      return false;
    if (!out.empty())
      m_copydata(m_, off, static_cast<int>(out.size()), reinterpret_cast<caddr_t>(out.data()));
    return true;
  }

  // Append bytes at the tail (m_append).  False when memory ran out part way: what fit stays.
  bool Append(std::span<const std::byte> bytes) {
    return m_ && m_append(m_, static_cast<int>(bytes.size()),
                          reinterpret_cast<c_caddr_t>(bytes.data())) == 1;
  }
  // Put bytes in front (M_PREPEND, using leading space when there is enough).  On allocation
  // failure the chain is freed, as FreeBSD's M_PREPEND does, and the handle becomes empty.
  bool Prepend(std::span<const std::byte> bytes) {
    if (m_ == nullptr || bytes.size() > static_cast<size_t>(MHLEN)) return false;
    M_PREPEND(m_, static_cast<int>(bytes.size()), M_NOWAIT);
    if (m_ == nullptr) return false;
    std::memcpy(mtod(m_, void *), bytes.data(), bytes.size());
    return true;
  }
  // Trim n bytes from the head (n > 0) or the tail (n < 0): m_adj.
  void Adj(int n) { m_adj(m_, n); }
  // Make the first len bytes contiguous in the head mbuf (m_pullup) and return them.  On failure
  // the chain is freed (FreeBSD's rule) and the handle becomes empty.
  std::optional<std::span<std::byte>> Pullup(int len) {
    if (m_ == nullptr || len > Length()) return std::nullopt;
    if (m_->m_len < len) m_ = m_pullup(m_, len);
    if (m_ == nullptr) return std::nullopt;
    return std::span<std::byte>(mtod(m_, std::byte *), static_cast<size_t>(len));
  }
  // A read-only copy that shares clusters (m_copypacket), or nullopt when memory ran out.
  std::optional<Packet> Clone(int how = M_NOWAIT) const {
    struct mbuf *c = m_ ? m_copypacket(m_, how) : nullptr;
    if (c == nullptr) return std::nullopt;
    return Packet(c);
  }
  // A deep, writable copy (m_dup), or nullopt when memory ran out.
  std::optional<Packet> Dup(int how = M_NOWAIT) const {
    struct mbuf *c = m_ ? m_dup(m_, how) : nullptr;
    if (c == nullptr) return std::nullopt;
    return Packet(c);
  }
  // Re-pack the chain into as few clusters as possible (m_defrag).  False when memory ran out;
  // the packet is then unchanged.
  bool Defrag(int how = M_NOWAIT) {
    struct mbuf *d = m_ ? m_defrag(m_, how) : nullptr;
    if (d == nullptr) return false;
    m_ = d;
    return true;
  }

 private:
  struct mbuf *m_ = nullptr;
};

}  // namespace mbufnic

#endif  // MBUFNIC_PACKET_HPP_
