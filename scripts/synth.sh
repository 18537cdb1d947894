#!/usr/bin/env bash
# synth.sh: the open synthesis check and resource/timing estimate of the RTL.
#
# Synthesizes each top of scripts/synth/tops.txt with Yosys 0.55 (`synth_xilinx -family xcup`,
# the WebAssembly build from npm, run by node), prints a Markdown table of LUT/FF/CARRY/BRAM/
# LUTRAM/DSP counts and the logic-only critical path, and writes the same as JSON.  Fails when
# a top does not synthesize, or Yosys prints an ERROR or an "implicitly declared" warning (a
# sign that it misread the RTL: see the house style, STYLE.md "RTL").  docs/synthesis.md says
# how to read the numbers.
#
# Usage: scripts/synth.sh [--out DIR] [--jobs N] [--strict] [--full] [--hw-dir DIR] [--tops FILE]
#                         [TOP ...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
synth_dir="$here/synth"

usage() {
  cat <<'EOF'
Usage: scripts/synth.sh [options] [TOP ...]

Synthesize RTL tops with Yosys 0.55 (synth_xilinx -family xcup) and report resources and the
logic-only critical path.  With no TOP, every top in the tops file.

Options:
  --out DIR     where logs, netlist statistics and synth.json go (default: build/synth)
  --jobs N      tops synthesized at once (default: 2)
  --strict      a top whose source file is missing is an error, not a skip
  --full        synthesize the modules a top's -B marks leave as black boxes too (the whole
                card's figures: scripts/synth.sh --full nic_top)
  --hw-dir DIR  take the generated hardware package (@hw/...) from DIR instead of running
                python3 hw/gen.py
  --tops FILE   the tops list (default: scripts/synth/tops.txt)
  -h, --help    this text

Exit status: 0 when every top that was not skipped synthesized cleanly, 1 otherwise, 2 on a
usage error.
EOF
}

die() { echo "synth: $*" >&2; exit 1; }

command_line="scripts/synth.sh${*:+ $*}"
out="$root/build/synth"
jobs=2
strict=0
full=0
hw_dir=""
tops_file="$synth_dir/tops.txt"
selected=()
while (($#)); do
  case $1 in
    --out) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --jobs) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    --strict) strict=1; shift ;;
    --full) full=1; shift ;;
    --hw-dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; hw_dir=$2; shift 2 ;;
    --hw-dir=*) hw_dir=${1#*=}; shift ;;
    --tops) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; tops_file=$2; shift 2 ;;
    --tops=*) tops_file=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "synth: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) selected+=("$1"); shift ;;
  esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "synth: --jobs wants a positive number" >&2; exit 2; }
[[ -f $tops_file ]] || die "no tops list at $tops_file"
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -n $hw_dir ]]; then
  [[ -d $hw_dir ]] || die "--hw-dir $hw_dir is not a directory"
  hw_dir=$(cd "$hw_dir" && pwd)
fi

# ---- Yosys: node + the pinned @yowasp/yosys in scripts/synth/node_modules ---------------------
if ! command -v node >/dev/null 2>&1; then
  die "node is not installed: Yosys runs as WebAssembly under node (>= 18).  Install Debian's" \
      "nodejs and npm packages (scripts/setup.sh does), then run this again."
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || die "node $(node --version) is too old: @yowasp/yosys needs node >= 18"

lock="$synth_dir/package-lock.json"
pinned=$(node -p "require('$lock').packages['node_modules/@yowasp/yosys'].version")
installed=$(node -p "try { require('$synth_dir/node_modules/@yowasp/yosys/package.json').version }
                     catch { '' }")
if [[ $installed != "$pinned" ]]; then
  command -v npm >/dev/null 2>&1 ||
    die "npm is not installed: it fetches @yowasp/yosys $pinned.  Install Debian's npm package" \
        "(scripts/setup.sh does), then run this again."
  echo "synth: installing @yowasp/yosys $pinned into scripts/synth/node_modules (npm ci)" >&2
  (cd "$synth_dir" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
    die "npm ci failed in scripts/synth (is the npm registry reachable?)"
fi

# ---- The tops list ------------------------------------------------------------------------
# One entry per top: name, sources (space-separated), parameters (Name=value, space-separated).
entry_top=() entry_srcs=() entry_params=() entry_hier=() entry_bbox=()
{
  line=""
  while IFS= read -r raw || [[ -n $raw ]]; do
    raw=${raw%%#*}
    if [[ $raw =~ \\[[:space:]]*$ ]]; then
      line+=" ${raw%\\*}"
      continue
    fi
    line+=" $raw"
    read -ra words <<<"$line"
    line=""
    ((${#words[@]})) || continue
    top=${words[0]} src_list=() param_list=() hier=0 bbox_list=()
    for ((i = 1; i < ${#words[@]}; i++)); do
      if [[ ${words[i]} == -H ]]; then
        hier=1
      elif [[ ${words[i]} == -B ]]; then
        ((i + 1 < ${#words[@]})) || die "$tops_file: $top: -B without a module name"
        p=${words[++i]}
        [[ $p =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "$tops_file: $top: bad module name '$p'"
        bbox_list+=("$p")
      elif [[ ${words[i]} == -P ]]; then
        ((i + 1 < ${#words[@]})) || die "$tops_file: $top: -P without Name=value"
        p=${words[++i]}
        [[ $p =~ ^[A-Za-z_][A-Za-z0-9_]*=.+$ ]] || die "$tops_file: $top: bad parameter '$p'"
        param_list+=("$p")
      else
        src_list+=("${words[i]}")
      fi
    done
    ((${#src_list[@]})) || die "$tops_file: $top has no source files"
    entry_top+=("$top") entry_srcs+=("${src_list[*]}") entry_params+=("${param_list[*]}")
    entry_hier+=("$hier") entry_bbox+=("${bbox_list[*]}")
  done
} <"$tops_file"

for t in "${selected[@]}"; do
  found=0
  for e in "${entry_top[@]}"; do [[ $e == "$t" ]] && found=1; done
  ((found)) || die "$t is not in $tops_file (tops: ${entry_top[*]})"
done
want() {
  ((${#selected[@]} == 0)) && return 0
  local t
  for t in "${selected[@]}"; do [[ $t == "$1" ]] && return 0; done
  return 1
}

# ---- The generated hardware package -------------------------------------------------------
need_hw=0
for i in "${!entry_top[@]}"; do
  want "${entry_top[i]}" && [[ " ${entry_srcs[i]}" == *" @hw/"* ]] && need_hw=1
done
hw_missing=""   # why @hw/ files are unavailable, when they are
if ((need_hw)) && [[ -z $hw_dir ]]; then
  if [[ -f $root/hw/gen.py ]]; then
    hw_dir="$out/hw"
    mkdir -p "$hw_dir"
    echo "synth: python3 hw/gen.py --toml hw/nic.toml --out ${hw_dir#"$root"/}" >&2
    (cd "$root" && python3 hw/gen.py --toml hw/nic.toml --out "$hw_dir") ||
      die "hw/gen.py failed: the tops that read @hw/ files cannot be synthesized"
  else
    hw_missing="hw/gen.py (the generator of the @hw/ files)"
  fi
fi

# ---- One Yosys run per top, --jobs at a time ----------------------------------------------
# One line per top: list index, id, top, status (run/skipped/failed), parameters, detail.
manifest="$out/manifest.tsv"
: >"$manifest"
failed=0

synth_one() {  # id top "srcs" "params" hier "bbox": in the background, writes $out/$id/{rc,seconds}
  local id=$1 top=$2 srcs=$3 params=$4 hier=$5 bbox=$6 dir="$out/$1" mounts=() reads=() s p m
  rm -rf "$dir" && mkdir -p "$dir"
  for s in $srcs; do
    if [[ $s == @hw/* ]]; then
      mounts+=(--mount "generated/hw/${s#@hw/}=$hw_dir/${s#@hw/}")
      reads+=("generated/hw/${s#@hw/}")
    else
      mounts+=(--mount "$s=$root/$s")
      reads+=("$s")
    fi
  done
  {
    echo "read_verilog -sv ${reads[*]}"
    for p in $params; do echo "chparam -set ${p%%=*} ${p#*=} $top"; done
    if [[ -n $bbox ]]; then
      # -B: the modules given, as the top instantiates them (with parameters, so each is a
      # derived module whose hdlname is its own), are left as black boxes: only their ports.
      # A name that matches nothing is an error, not a silently larger run.
      echo "hierarchy -top $top"
      for m in $bbox; do
        echo "select -assert-min 1 A:hdlname=$m"
        echo "blackbox A:hdlname=$m"
      done
    fi
    if ((hier)); then
      # -H: each module synthesized once and the hierarchy kept, at about half the CPU of a flat
      # run of a big top; stat -top counts the whole tree.  Not timed: sta needs a flat netlist.
      echo "synth_xilinx -family xcup -top $top"
      echo "delete t:\$scopeinfo"
      echo "tee -q -o stat.json stat -json -top $top"
      echo "stat -top $top"
    else
      # -flatten, as Vivado does by default (and sta times only a flat netlist); the scope
      # records that flatten leaves behind are not cells.
      echo "synth_xilinx -family xcup -flatten -top $top"
      echo "delete t:\$scopeinfo"
      echo "tee -q -o stat.json stat -json"
      echo "stat"
      # Logic-only delay: the Xilinx cell library with its specify blocks, then static timing.
      echo "read_verilog -lib -specify +/xilinx/cells_sim.v timing_extra.v"
      echo "design -save timed"
      echo "sta"
      # Then the card's paths only.  idle_o is a simulator's hint: nothing on a card reads it
      # (nic_kernel leaves nic_top's open, and a synthesis tool removes the logic behind it), so
      # a path that ends there is not one of the card's.  On the saved netlist (sta leaves one
      # it cannot time again): its output buffer and port flag go, then the cells only it used
      # (opt_clean), and sta again.  The counts above are from before.
      echo "design -load timed"
      echo "delete w:idle_o %ci1 t:OBUF %i"
      echo "delete -output w:idle_o"
      echo "opt_clean"
      echo "sta"
    fi
  } >"$dir/synth.ys"
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  node "$synth_dir/run_yosys.mjs" "${mounts[@]}" --mount "synth.ys=$dir/synth.ys" \
    --mount "timing_extra.v=$synth_dir/timing_extra.v" \
    --outdir "$dir" -- -s synth.ys >"$dir/yosys.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  echo "$rc" >"$dir/rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$dir/seconds"
  local cpu
  cpu=$(sed -n 's/^run_yosys: cpu \(.*\) s$/\1/p' "$dir/yosys.log")
  echo "synth: $top done in $(cat "$dir/seconds") s (cpu ${cpu:-?} s, exit $rc)" >&2
}

# Start the biggest tops first (by source size) so that the small ones fill in beside them;
# the table keeps the order of the tops list.
order=$(for i in "${!entry_top[@]}"; do
  bytes=0
  for s in ${entry_srcs[i]}; do
    [[ -f $root/$s ]] && bytes=$((bytes + $(wc -c <"$root/$s")))
  done
  echo "$bytes $i"
done | sort -k1,1nr -k2,2n | awk '{ print $2 }')

# Interrupted: stop this script's own Yosys runs (each is a subshell with its node child).
pids=()
# shellcheck disable=SC2317  # called by the trap
stop_runs() {
  local p
  for p in "${pids[@]}"; do
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  exit 130
}
trap stop_runs INT TERM
for i in $order; do
  top=${entry_top[i]} srcs=${entry_srcs[i]} params=${entry_params[i]} hier=${entry_hier[i]}
  bbox=${entry_bbox[i]}
  ((full)) && bbox=""
  want "$top" || continue
  id=$top
  for p in $params; do id+="_${p%%=*}${p#*=}"; done
  for p in $bbox; do id+="_B$p"; done
  id=${id//[^A-Za-z0-9_.-]/_}
  missing=""
  for s in $srcs; do
    if [[ $s == @hw/* ]]; then
      if [[ -n $hw_missing ]]; then
        missing="$s: no $hw_missing"
      elif [[ ! -f $hw_dir/${s#@hw/} ]]; then
        missing="$s (not in ${hw_dir#"$root"/})"
      fi
    elif [[ ! -f $root/$s ]]; then
      missing=$s
    fi
    [[ -z $missing ]] || break
  done
  if [[ -n $missing ]]; then
    if ((strict)); then
      echo "synth: $top: missing $missing (--strict)" >&2
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$id" "$top" failed "$params" "missing $missing" \
        >>"$manifest"
      failed=1
    else
      echo "synth: $top skipped: missing $missing" >&2
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$id" "$top" skipped "$params" "missing $missing" \
        >>"$manifest"
    fi
    continue
  fi
  printf '%s\t%s\t%s\t%s\t%s\t\n' "$i" "$id" "$top" run "$params" >>"$manifest"
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  echo "synth: $top ${params:+($params) }..." >&2
  synth_one "$id" "$top" "$srcs" "$params" "$hier" "$bbox" &
  pids+=($!)
done
wait

# ---- Table, JSON and the verdict ----------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)
# "+changes": the RTL or the synthesis set-up differ from that commit.
if [[ -n $commit && -n $(git -C "$root" status --porcelain -- rtl hw scripts/synth 2>/dev/null) ]]
then
  commit+="+changes"
fi
node "$synth_dir/report.mjs" --out "$out" --manifest "$manifest" --command "$command_line" \
  --commit "$commit" --package "$pinned" || failed=1
exit "$failed"
