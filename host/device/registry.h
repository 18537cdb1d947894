// Backend registry behind mbufnic::device::Open() (internal to the device layer).
//
// The "model" backend is built into libmbufnic_device; other backends live in libraries of their
// own (the Verilated card, "sim", needs Verilator and is built only with the RTL) and add
// themselves here, so the device layer never depends on them.  A backend library calls
// RegisterBackend once, e.g. from a static initialiser or from an explicit set-up function its
// users call; registering a name again replaces the earlier factory.
#ifndef MBUFNIC_HOST_DEVICE_REGISTRY_H_
#define MBUFNIC_HOST_DEVICE_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mbufnic/device.hpp"

namespace mbufnic::device {

// Makes a backend from the options Open() was given; throws DeviceError when it cannot.
using BackendFactory = std::function<std::unique_ptr<Device>(const Options&)>;

// Makes `name` openable through Open(name, options).  Thread-safe.
void RegisterBackend(std::string name, BackendFactory factory);

// A backend that is one of several cards, named "<base>:<which>" ("xrt:0", "xrt:0000:03:00.1"):
// the factory gets the whole name Open() was given.
using NamedBackendFactory =
    std::function<std::unique_ptr<Device>(std::string_view name, const Options&)>;

// Makes "<base>" and every "<base>:..." openable, unless a backend registered by RegisterBackend
// has that exact name; Backends() lists it as "<base>".  Thread-safe.
void RegisterBackendFamily(std::string base, NamedBackendFactory factory);

}  // namespace mbufnic::device

#endif  // MBUFNIC_HOST_DEVICE_REGISTRY_H_
