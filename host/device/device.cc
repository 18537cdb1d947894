// Open() and the backend registry: "model" is built in, everything else registers itself
// (registry.h).
#include "mbufnic/device.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "model_device.h"
#include "registry.h"

namespace mbufnic::device {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendFactory> factories;  // sorted: Backends() lists them in order
};

Registry& TheRegistry() {
  // Built on first use, so a backend may register from a static initialiser of any library.
  static Registry* r = [] {
    auto* reg = new Registry;
    reg->factories.emplace("model", [](const Options& o) -> std::unique_ptr<Device> {
      return std::make_unique<ModelDevice>(o);
    });
    return reg;
  }();
  return *r;
}

}  // namespace

void RegisterBackend(std::string name, BackendFactory factory) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.factories.insert_or_assign(std::move(name), std::move(factory));
}

std::vector<std::string> Backends() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return names;
}

std::unique_ptr<Device> Open(std::string_view name, const Options& options) {
  BackendFactory factory;
  {
    Registry& r = TheRegistry();
    std::lock_guard lock(r.mu);
    auto it = r.factories.find(std::string(name));
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) {
    std::string list;
    for (const std::string& n : Backends()) list += (list.empty() ? "" : ", ") + n;
    throw DeviceError("unknown device '" + std::string(name) + "'; this build has: " + list);
  }
  // Made outside the lock: a factory may take long (building a model) or open another device.
  return factory(options);
}

}  // namespace mbufnic::device
