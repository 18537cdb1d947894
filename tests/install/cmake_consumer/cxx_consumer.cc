// New C++ code on the installed package: the owning Packet handle.
#include <mbufnic/runtime.h>

#include <cstdio>
#include <mbufnic/packet.hpp>
#include <vector>

int main() {
  std::vector<std::byte> data(5000, std::byte{0x5a});
  auto p = mbufnic::Packet::FromBytes(data);
  if (!p) return 1;
  size_t seen = 0;
  for (auto seg : p->Segments()) seen += seg.size();
  if (seen != data.size() || mbufnic_vtobus(p->get()->m_data) == MBUFNIC_BUSADDR_INVALID) return 2;
  std::printf("ok %zu\n", seen);
  return 0;
}
