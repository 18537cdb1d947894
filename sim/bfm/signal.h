// Byte-level access to Verilated signals of any width.
//
// Verilator hands out ports up to 8 bits as CData, 16 as SData, 32 as IData, 64 as QData and
// anything wider as VlWide<N> (N 32-bit words, least significant first).  Stream models move
// bytes; these helpers let one bus model serve every data width.
#ifndef MBUFNIC_SIM_BFM_SIGNAL_H_
#define MBUFNIC_SIM_BFM_SIGNAL_H_

#include <verilated.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace mbufnic::sim {

// Number of bytes a signal type holds (a whole number of bytes is assumed).
template <typename T>
constexpr size_t SignalBytes() {
  if constexpr (std::is_integral_v<T>) {
    return sizeof(T);
  } else {
    return sizeof(T::m_storage);
  }
}

// Byte `i` (bits 8i+7..8i) of a signal.
template <typename T>
inline uint8_t GetByte(const T& s, size_t i) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<uint8_t>(static_cast<uint64_t>(s) >> (8 * i));
  } else {
    return static_cast<uint8_t>(s[i / 4] >> (8 * (i % 4)));
  }
}

// Sets byte `i` of a signal, leaving the others.
template <typename T>
inline void SetByte(T& s, size_t i, uint8_t v) {
  if constexpr (std::is_integral_v<T>) {
    uint64_t x = static_cast<uint64_t>(s);
    x &= ~(uint64_t{0xff} << (8 * i));
    x |= uint64_t{v} << (8 * i);
    s = static_cast<T>(x);
  } else {
    uint32_t& w = s[i / 4];
    w = (w & ~(0xffu << (8 * (i % 4)))) | (uint32_t{v} << (8 * (i % 4)));
  }
}

// Bit `i` of a signal.
template <typename T>
inline bool GetBit(const T& s, size_t i) {
  if constexpr (std::is_integral_v<T>) {
    return (static_cast<uint64_t>(s) >> i) & 1;
  } else {
    return (s[i / 32] >> (i % 32)) & 1;
  }
}

// Sets the low `bits` bits of a signal from a 64-bit value (the rest cleared).
template <typename T>
inline void SetU64(T& s, uint64_t v) {
  if constexpr (std::is_integral_v<T>) {
    s = static_cast<T>(v);
  } else {
    for (size_t w = 0; w < SignalBytes<T>() / 4; ++w) s[w] = 0;
    s[0] = static_cast<uint32_t>(v);
    if (SignalBytes<T>() > 4) s[1] = static_cast<uint32_t>(v >> 32);
  }
}

// The low 64 bits of a signal.
template <typename T>
inline uint64_t GetU64(const T& s) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<uint64_t>(s);
  } else {
    uint64_t v = s[0];
    if (SignalBytes<T>() > 4) v |= uint64_t{s[1]} << 32;
    return v;
  }
}

}  // namespace mbufnic::sim

#endif  // MBUFNIC_SIM_BFM_SIGNAL_H_
