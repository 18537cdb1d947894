// The SystemVerilog package and the C++ header, both generated from hw/nic.toml, must put
// every field in the same place.  nic_hw_probe (generated beside them) shows, for each entry of
// nic_hw_fields.inc, what the package says: a packed struct with only that field set to all
// ones, an enum item's value, a register's reset value and masks.  Each test here builds the
// same thing from the C++ header and compares bit for bit, so a generator change that moves a
// field on one side only fails here, naming the field.
#include <gtest/gtest.h>
#include <mbufnic/hw/nic_hw.h>
#include <verilated.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "Vnic_hw_probe.h"

namespace mbufnic::hw {
namespace {

// What the probe reports for one entry.
struct ProbeOut {
  std::vector<uint32_t> value;  // value_o, 32-bit words, least significant first
  uint32_t bits = 0;            // bits_o: $bits of the SystemVerilog object
  uint32_t info[4] = {};        // info_o: localparams belonging to the entry
};

class Probe {
 public:
  Probe() : ctx_(std::make_unique<VerilatedContext>()) {
    top_ = std::make_unique<Vnic_hw_probe>(ctx_.get(), "probe");
  }
  ~Probe() { top_->final(); }

  unsigned count() {
    top_->field_i = 0;
    top_->eval();
    return top_->count_o;
  }

  ProbeOut Get(unsigned index) {
    top_->field_i = static_cast<uint16_t>(index);
    top_->eval();
    ProbeOut out;
    const auto& v = top_->value_o;
    out.value.assign(v.data(), v.data() + sizeof(v) / sizeof(v[0]));
    out.bits = top_->bits_o;
    for (size_t i = 0; i < 4; ++i) out.info[i] = top_->info_o[i];
    return out;
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vnic_hw_probe> top_;
};

// value_o as bytes, little-endian, the way the C++ structs hold theirs.
std::vector<uint8_t> Bytes(const ProbeOut& p) {
  std::vector<uint8_t> b;
  for (uint32_t w : p.value) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  return b;
}

// All ones of a field's C++ type; the setter keeps as many bits as the header thinks the
// field has, so a wrong width shows up as a wrong byte pattern.
template <typename T>
constexpr T Ones() {
  if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<T>(static_cast<std::underlying_type_t<T>>(~std::underlying_type_t<T>{}));
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(~T{});
  } else {
    return detail::AllOnes<T>();  // a nested struct
  }
}

// Bytes with exactly bits [lsb + width - 1 : lsb] set: the field as its constants describe it.
std::vector<uint8_t> MaskBytes(size_t n, unsigned lsb, unsigned width) {
  std::vector<uint8_t> b(n, 0);
  for (unsigned i = lsb; i < lsb + width; ++i) b[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  return b;
}

struct Entry {
  unsigned index;
  std::string name;
  void (*check)(const ProbeOut&);  // a capture-free lambda: ~370 of them, kept cheap to compile
};

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const Entry& e, std::ostream* os) {
  *os << e.name << " (probe entry " << e.index << ")";
}

void CheckValueRestZero(const std::vector<uint8_t>& got, size_t from) {
  for (size_t i = from; i < got.size(); ++i) {
    EXPECT_EQ(got[i], 0) << "value_o byte " << i << " is past the object and must be 0";
  }
}

// s: a zeroed C++ struct with the field set to all ones through its setter.
template <typename T>
void CheckStructField(const ProbeOut& p, const char* field, const T& s, unsigned lsb,
                      unsigned width) {
  const std::vector<uint8_t> got = Bytes(p);
  const std::vector<uint8_t> want(s.bytes.begin(), s.bytes.end());
  ASSERT_GE(got.size(), want.size());
  EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.begin() + static_cast<long>(want.size())), want)
      << field << ": the SystemVerilog struct and the C++ setter set different bits";
  CheckValueRestZero(got, want.size());
  EXPECT_EQ(want, MaskBytes(T::kBytes, lsb, width))
      << field << ": the C++ setter and the C++ Lsb/Width constants disagree";
  EXPECT_EQ(p.bits, sizeof(T) * 8) << "$bits of the struct vs sizeof";
  EXPECT_EQ(p.info[0], lsb) << field << ": <STRUCT>_<FIELD>_LSB vs kLsb";
  EXPECT_EQ(p.info[1], width) << field << ": <STRUCT>_<FIELD>_WIDTH vs kWidth";
  EXPECT_EQ(p.info[2], T::kBytes) << "<STRUCT>_BYTES vs kBytes";
}

void CheckCsrWords(const ProbeOut& p, uint32_t num_regs, uint32_t offset, uint32_t mask) {
  std::vector<uint32_t> want(p.value.size(), 0);
  ASSERT_LT(offset / 4, num_regs);
  want[offset / 4] = mask;
  EXPECT_EQ(p.value, want) << "field set in the SystemVerilog <block>_regs_t vs the C++ "
                              "register offset and field mask";
  EXPECT_EQ(p.bits, num_regs * 32) << "$bits(<block>_regs_t) vs kNumRegs";
}

void CheckEnumItem(const ProbeOut& p, uint32_t value, uint32_t width) {
  EXPECT_EQ(p.value[0], value);
  EXPECT_EQ(p.bits, width) << "enum width";
}

void CheckCsrBlock(const ProbeOut& p, uint32_t base, uint32_t size, uint32_t num_regs,
                   uint32_t id_value) {
  EXPECT_EQ(p.info[0], base) << "BASE";
  EXPECT_EQ(p.info[1], size) << "SIZE";
  EXPECT_EQ(p.info[2], num_regs) << "NUM_REGS";
  EXPECT_EQ(p.info[3], id_value) << "ID_VALUE";
  EXPECT_EQ(p.bits, num_regs * 32) << "$bits(<block>_regs_t)";
}

void CheckCsrReg(const ProbeOut& p, uint32_t reset, uint32_t rw_mask, uint32_t pulse_mask,
                 uint32_t offset) {
  EXPECT_EQ(p.value[0], reset) << "RESET word";
  EXPECT_EQ(p.value[1], rw_mask) << "WRITE_MASK word";
  EXPECT_EQ(p.value[2], pulse_mask) << "PULSE_MASK word";
  EXPECT_EQ(p.info[0], offset) << "OFFSET";
  EXPECT_EQ(p.info[1], offset / 4) << "IDX";
  EXPECT_EQ(p.bits, 32u) << "a register is one 32-bit word";
}

// One entry per line of nic_hw_fields.inc.  Each lambda only gathers the C++ side's constants
// and hands them to a check above, so the few hundred of them stay cheap to compile.
std::vector<Entry> Entries() {
  std::vector<Entry> e;
#define MBUFNIC_HW_ENUM_ITEM(i, E, item)                                        \
  e.push_back({i, #E "::" #item, [](const ProbeOut& p) {                        \
                 CheckEnumItem(p, static_cast<uint32_t>(E::item), k##E##Width); \
               }});
#define MBUFNIC_HW_STRUCT_FIELD(i, T, field, F)                                       \
  e.push_back({i, #T "." #field, [](const ProbeOut& p) {                              \
                 T s{};                                                               \
                 s.set_##field(Ones<decltype(s.field())>());                          \
                 CheckStructField(p, #T "." #field, s, T::k##F##Lsb, T::k##F##Width); \
               }});
#define MBUFNIC_HW_CSR_BLOCK(i, block)                                                        \
  e.push_back({i, "csr::" #block, [](const ProbeOut& p) {                                     \
                 CheckCsrBlock(p, csr::block::kBase, csr::block::kSize, csr::block::kNumRegs, \
                               csr::block::kIdValue);                                         \
               }});
#define MBUFNIC_HW_CSR_REG(i, block, reg, kReg)                                    \
  e.push_back({i, "csr::" #block "::" #reg, [](const ProbeOut& p) {                \
                 CheckCsrReg(p, csr::block::reg::kReset, csr::block::reg::kRwMask, \
                             csr::block::reg::kPulseMask, csr::block::kReg);       \
               }});
#define MBUFNIC_HW_CSR_FIELD(i, block, reg, kReg, F)                       \
  e.push_back({i, "csr::" #block "::" #reg "." #F, [](const ProbeOut& p) { \
                 CheckCsrWords(p, csr::block::kNumRegs, csr::block::kReg,  \
                               csr::block::reg::k##F##Mask);               \
               }});
#include "nic_hw_fields.inc"
#undef MBUFNIC_HW_ENUM_ITEM
#undef MBUFNIC_HW_STRUCT_FIELD
#undef MBUFNIC_HW_CSR_BLOCK
#undef MBUFNIC_HW_CSR_REG
#undef MBUFNIC_HW_CSR_FIELD
  return e;
}

class HwAgreement : public ::testing::TestWithParam<Entry> {};

TEST_P(HwAgreement, SameAsThePackage) {
  Probe probe;
  GetParam().check(probe.Get(GetParam().index));
}

INSTANTIATE_TEST_SUITE_P(Entries, HwAgreement, ::testing::ValuesIn(Entries()),
                         [](const ::testing::TestParamInfo<Entry>& info) {
                           std::string n = info.param.name;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// The probe and the C++ table are the same list: same length, indices 0..n-1 in order, and
// the probe reports nothing past the end.
TEST(HwAgreementTable, ProbeAndTableHaveTheSameEntries) {
  const std::vector<Entry> e = Entries();
  ASSERT_EQ(e.size(), static_cast<size_t>(MBUFNIC_HW_PROBE_ENTRIES));
  for (size_t i = 0; i < e.size(); ++i) EXPECT_EQ(e[i].index, i) << e[i].name;
  Probe probe;
  EXPECT_EQ(probe.count(), e.size());
  const ProbeOut past = probe.Get(static_cast<unsigned>(e.size()));
  EXPECT_EQ(past.bits, 0u);
  for (uint32_t w : past.value) EXPECT_EQ(w, 0u);
}

}  // namespace
}  // namespace mbufnic::hw
