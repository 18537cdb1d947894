#!/usr/bin/env bash
# Install the built tree into a scratch prefix, then build and run two consumers against the
# installed files only: a FreeBSD-style C file with pkg-config flags, and a CMake project with
# find_package(mbufnic).  Usage: run_install_test.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 src=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null

export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig:$scratch/prefix/lib/x86_64-linux-gnu/pkgconfig"
flags=$(pkg-config --cflags --libs mbufnic)
echo "pkg-config: $flags"
# The C file is compiled as C11 with warnings as errors: the compat headers must be clean.
cc -std=c11 -Wall -Werror -o "$scratch/freebsd_consumer_pc" "$src/tests/install/freebsd_consumer.c" \
   $flags -lstdc++ -lpthread
libdir=$(pkg-config --variable=libdir mbufnic)
out=$(LD_LIBRARY_PATH="$libdir" "$scratch/freebsd_consumer_pc")
echo "pkg-config consumer: $out"
[[ $out == "ok 58" ]]

cmake -S "$src/tests/install/cmake_consumer" -B "$scratch/consumer" -G Ninja \
      -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
out=$("$scratch/consumer/freebsd_consumer")
echo "find_package consumer (static): $out"
[[ $out == "ok 58" ]]
out=$(LD_LIBRARY_PATH="$libdir" "$scratch/consumer/cxx_consumer")
echo "find_package consumer (C++, shared): $out"
[[ $out == "ok 5000" ]]
out=$("$scratch/consumer/driver_consumer")
echo "find_package consumer (driver on the model backend): $out"
[[ $out == "ok driver 1" ]]
echo "install test passed"
