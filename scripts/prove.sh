#!/usr/bin/env bash
# Formal checks with the pinned Yosys (@yowasp/yosys in scripts/synth, which scripts/synth.sh
# installs): a block that has a plain reference in tests/rtl/formal is proved to give the same
# outputs as it for every input, at several parameter values (a miter of the two, proved by
# Yosys's SAT solver).  Usage: scripts/prove.sh   (exit 1 when a proof fails)
#
# Each proof: <block> <block source> <reference source> <parameter> <values...>.  The reference
# file defines <block>_dut and <block>_ref, the two sides with the same ports (wrappers that
# constrain inputs the way every caller does, e.g. a one-hot "last grant").
set -euo pipefail
cd "$(dirname "$0")/.."

proofs=(
  "nic_rr_pick rtl/common/nic_rr_pick.sv tests/rtl/formal/nic_rr_pick_spec.sv Num 2 3 5 8 16 32"
)

if [[ ! -d scripts/synth/node_modules/@yowasp/yosys ]]; then
  echo "prove: the pinned Yosys is not installed: run scripts/synth.sh once (it installs it)" >&2
  exit 1
fi

failed=0
for p in "${proofs[@]}"; do
  read -r block src ref param values <<<"$p"
  for v in $values; do
    script="read_verilog -sv block.sv ref.sv; chparam -set $param $v ${block}_dut ${block}_ref;
            hierarchy -check; proc; flatten; opt_clean;
            miter -equiv -flatten -make_assert ${block}_dut ${block}_ref miter;
            hierarchy -top miter; flatten; opt; sat -verify -prove-asserts miter"
    if log=$(cd scripts/synth && node run_yosys.mjs --mount "block.sv=$PWD/../../$src" \
               --mount "ref.sv=$PWD/../../$ref" -- -p "$script" 2>&1) &&
       grep -q "SUCCESS" <<<"$log"; then
      echo "prove: $block $param=$v: equal to tests/rtl/formal's reference for every input"
    else
      echo "prove: $block $param=$v: NOT equal to its reference (Yosys's counterexample below)" >&2
      grep -A20 "Signal Name" <<<"$log" >&2 || tail -20 <<<"$log" >&2
      failed=1
    fi
  done
done
exit $failed
