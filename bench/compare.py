#!/usr/bin/env python3
"""Turn bench_mbuf's JSON report into the side-by-side Markdown table of RESULTS.md.

Usage: bench_mbuf --benchmark_format=json --benchmark_repetitions=N ... > run1.json
       bench/compare.py run1.json [run2.json ...]

Pairs <case>/mbufnic with <case>/dpdk (medians when repetitions were run); checksum rows show
GB/s against the memread/<size> ceiling.  With several runs, each benchmark keeps its best median
(lowest time, highest rate): on a shared VM the slow outliers are the neighbours, not the code.
"""
import json
import sys


def main(paths):
    times, rates = {}, {}
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        read(report, times, rates)
    print_tables(report["context"], times, rates, len(paths))


def read(report, times, rates):
    for b in report["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        # Registered with ->Arg(size): Google Benchmark appends "/<size>" to the name.
        parts = name.split("/")
        if len(parts) > 1 and parts[-1].isdigit() and parts[0] in ("cksum", "memread"):
            parts = parts[:-1]
        name = "/".join(parts)
        times[name] = min(times.get(name, float("inf")), b["cpu_time"])
        if "bytes_per_second" in b:
            rates[name] = max(rates.get(name, 0.0), b["bytes_per_second"] / 1e9)


def print_tables(ctx, times, rates, runs):
    print(f"Machine: {ctx.get('host_name', '?')}, {ctx['num_cpus']} CPUs at {ctx['mhz_per_cpu']} MHz; "
          f"checksum implementation: {ctx.get('mbufnic_cksum_impl', '?')}; best of {runs} run(s)\n")
    print("| case | mbufnic ns/op | DPDK ns/op | mbufnic / DPDK |")
    print("|---|---:|---:|---:|")
    for name in sorted(n[: -len("/mbufnic")] for n in times if n.endswith("/mbufnic")):
        if name.startswith("cksum"):
            continue
        ours, theirs = times[name + "/mbufnic"], times.get(name + "/dpdk")
        if theirs:
            print(f"| {name} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
    print("\n| checksum | mbufnic GB/s | DPDK GB/s | mbufnic / DPDK | memread GB/s | mbufnic / memread |")
    print("|---|---:|---:|---:|---:|---:|")
    for size in ("64", "1500", "9000", "65536"):
        for kind in ("contig", "chain"):
            key = f"cksum/{size}/{kind}"
            ours, theirs = rates.get(key + "/mbufnic"), rates.get(key + "/dpdk")
            ceiling = rates.get(f"memread/{size}")
            if ours and theirs and ceiling:
                print(f"| {size} B {kind} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f}x "
                      f"| {ceiling:.1f} | {ours / ceiling:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
