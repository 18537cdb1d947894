#!/usr/bin/env bash
# Formal checks with the pinned Yosys (@yowasp/yosys in scripts/synth, which scripts/synth.sh
# installs): a block that has a plain reference in tests/rtl/formal is proved to give the same
# outputs as it for every input, at several parameter values (a miter of the two, proved by
# Yosys's SAT solver).  Usage: scripts/prove.sh   (exit 1 when a proof fails)
#
# Each proof: <block> <block sources> <reference sources> <cycles> <parameter> <values...>, the
# sources comma-separated.  The reference files define <block>_dut and <block>_ref, the two sides
# with the same ports (wrappers that constrain inputs the way every caller does, e.g. a one-hot
# "last grant").  Cycles 1: combinational, the outputs compared for every input.  Cycles 2: a
# block whose registers are all loaded every cycle, run two cycles from any state and its outputs
# compared in the second.
set -euo pipefail
cd "$(dirname "$0")/.."

proofs=(
  "nic_rr_pick rtl/common/nic_rr_pick.sv tests/rtl/formal/nic_rr_pick_spec.sv 1 Num 2 3 5 8 16 32"
  "nic_rr_pick_reg rtl/common/nic_rr_pick.sv,rtl/common/nic_rr_pick_reg.sv tests/rtl/formal/nic_rr_pick_spec.sv,tests/rtl/formal/nic_rr_pick_reg_spec.sv 2 Num 1 3 8 16 17 40 64 72"
)

if [[ ! -d scripts/synth/node_modules/@yowasp/yosys ]]; then
  echo "prove: the pinned Yosys is not installed: run scripts/synth.sh once (it installs it)" >&2
  exit 1
fi

failed=0
for p in "${proofs[@]}"; do
  read -r block srcs refs cycles param values <<<"$p"
  sat="sat -verify -prove-asserts"
  [[ $cycles == 1 ]] || sat="$sat -seq $cycles -prove-skip $((cycles - 1))"
  mounts=()
  files=()
  for f in ${srcs//,/ } ${refs//,/ }; do
    mounts+=(--mount "$(basename "$f")=$PWD/$f")
    files+=("$(basename "$f")")
  done
  for v in $values; do
    script="read_verilog -sv ${files[*]}; chparam -set $param $v ${block}_dut ${block}_ref;
            hierarchy -check; proc; flatten; opt_clean;
            miter -equiv -flatten -make_assert ${block}_dut ${block}_ref miter;
            hierarchy -top miter; flatten; opt;
            $sat miter"
    if log=$(cd scripts/synth && node run_yosys.mjs "${mounts[@]}" -- -p "$script" 2>&1) &&
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
