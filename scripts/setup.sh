#!/usr/bin/env bash
# Install every Debian package mbufnic builds, tests or benchmarks with, when it is missing.
# Idempotent and quiet when everything is present.  Needs root (or sudo) only when something is
# missing.  Usage: scripts/setup.sh
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3
  clang libclang-rt-14-dev          # libFuzzer and sanitizers
  googletest libgtest-dev libgmock-dev
  libbenchmark-dev
  librapidcheck-dev
  libdpdk-dev                       # the benchmark peer
  libfmt-dev libcli11-dev           # command-line tool
  nlohmann-json3-dev                # its --json output
  libpcap-dev
  verilator zlib1g-dev              # RTL models (Verilator's FST writer needs zlib)
  libsystemc-dev                    # the card as a SystemC/TLM-2.0 module
  tshark                            # independent check of what goes on the wire
  gnuplot-nox                       # `mbufnic bench` plots
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf  # the firmware's rv32 cross-build
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js runs Yosys 0.55 (npm @yowasp/yosys) for the synthesis check.  Some machines carry a
# newer Node.js with its own npm from elsewhere; Debian's would conflict, so only a machine with
# no node at all gets Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

((${#missing[@]} == 0)) && exit 0

echo "setup: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
  echo "setup: run this script as root, or install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once when they are absent or older than a day.
if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1) ]]; then
  "${as_root[@]}" apt-get update -qq
fi
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
