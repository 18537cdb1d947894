#!/usr/bin/env bash
# Soak: long seeded runs of `mbufnic traffic`, on the C++ model of the card (tens of millions of
# frames) and on the Verilated card (millions of cycles), in rounds that change the traffic's
# shape and the seed.  Every frame of every round is checked on its way back and accounted for:
# the frames the host's sends make = the card's transmit counter = the frames on the wire = the
# card's receive counter = the frames the host took back (no drop is allowed in a loopback run),
# with no DMA violation and every mbuf given back (docs/reliability.md).  The last round injects
# faults at random (DMA errors, link pauses, a host that stops taking frames): there each lost
# frame must be one the card or the driver counted, and the rest must come back intact.
#
#   scripts/soak.sh [--short] [--build DIR | --cli PATH] [--backends "model sim"]
#                   [--model-sends N] [--sim-sends N] [--seed S] [--keep DIR]
#
# Defaults: 4 000 000 sends on `model` and 40 000 on `sim` (and `systemc`, the same RTL), each
# split over the rounds below;
# --short (CI's version): 8 000 and 400.  A failed round leaves its JSON in --keep (default
# soak-failures/) and prints the command that repeats it; the exit code is 1 then.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cli=
backends="model sim"
model_sends=4000000
sim_sends=40000
seed=1
keep=soak-failures
while [[ $# -gt 0 ]]; do
  case "$1" in
    --short) model_sends=8000; sim_sends=400 ;;
    --build) build="$2"; shift ;;
    --cli) cli="$2"; shift ;;
    --backends) backends="$2"; shift ;;
    --model-sends) model_sends="$2"; shift ;;
    --sim-sends) sim_sends="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --keep) keep="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$cli" ]] || cli="$build/bin/mbufnic"
if [[ ! -x "$cli" ]]; then
  echo "soak: $cli not found: build first (cmake --build --preset default), or give --build" >&2
  exit 2
fi

# The rounds: mixed TCP/UDP over IPv4/IPv6 with TSO; jumbo frames without TSO; small sends on a
# VLAN; the offloads off (the driver's software checksum and segmentation); mixed traffic with
# a fault about every 50 sends.
rounds=(
  "--flows 8"
  "--flows 4 --no-tso --mtu 9000 --mss 8948"
  "--flows 6 --vlan 42 --size 1-200"
  "--flows 4 --no-offloads"
  "--flows 8 --faults 50"
)

failed=0
frames_total=0
summary() {  # a run's JSON on stdin -> one line on stdout, its frames received on stderr
  python3 -c '
import json, sys
j = json.load(sys.stdin)
a = j["accounting"]
line = ("{:>8} sends {:>9} frames: card tx {}, wire {}, card rx {} ({} dropped), host {}; "
        "{} cycles, {:.1f} s")
print(line.format(j["sent"]["sends"], a["expected_frames"], a["card_tx_frames"], a["wire_frames"],
                  a["card_rx_frames"], a["card_rx_drops"], a["received_frames"], j["cycles"],
                  j["wall_seconds"]))
if "faults" in j:
    f, l = j["faults"], j["losses"]
    print("      faults: {} tx DMA, {} rx DMA, {} link pauses, {} host pauses; lost {} frames on "
          "transmit ({} tx errors), {} on receive ({} card drops, {} rx errors)".format(
              f["tx_dma_answered"], f["rx_dma_answered"], f["link_pauses"], f["host_pauses"],
              l["tx_frames"], l["driver_tx_errors"], l["rx_frames"], a["card_rx_drops"],
              l["driver_rx_errors"]))
for f in j["failures"][:5]:
    print("      FAILED: " + f)
print(a["received_frames"], file=sys.stderr)'
}

for backend in $backends; do
  total=$model_sends
  [[ $backend == sim || $backend == systemc ]] && total=$sim_sends  # the RTL, cycle by cycle
  [[ $total -gt 0 ]] || continue
  per=$(( (total + ${#rounds[@]} - 1) / ${#rounds[@]} ))
  for i in "${!rounds[@]}"; do
    args="--backend $backend --seed $seed -n $per --no-progress ${rounds[$i]}"
    out=$(mktemp)
    rc=0
    "$cli" traffic $args --json >"$out" || rc=$?
    if [[ $rc -eq 2 ]] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" \
        2>/dev/null; then
      echo "soak: mbufnic traffic $args: could not run (exit $rc)" >&2
      cat "$out" >&2
      rm -f "$out"
      exit 2
    fi
    line=$(summary <"$out" 2>"$out.n")
    frames_total=$(( frames_total + $(cat "$out.n") ))
    printf 'soak: %-5s seed %-4s %-40s%s\n' "$backend" "$seed" "${rounds[$i]}" "$line"
    if [[ $rc -ne 0 ]]; then
      failed=1
      mkdir -p "$keep"
      cp "$out" "$keep/$backend-seed$seed.json"
      echo "soak: round failed; its JSON is $keep/$backend-seed$seed.json; again:" \
           "$cli traffic $args" >&2
    fi
    rm -f "$out" "$out.n"
    seed=$(( seed + 1 ))
  done
done
if [[ $failed -ne 0 ]]; then
  echo "soak: FAILED (rounds above)" >&2
  exit 1
fi
echo "soak: every round passed: $frames_total frames sent, carried, received and checked"
