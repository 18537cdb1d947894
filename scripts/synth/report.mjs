// report.mjs: turn scripts/synth.sh's per-top Yosys runs into a Markdown table (stdout), a
// JSON file (<out>/synth.json) and a verdict (exit status 1 when any top failed).
//
//   node report.mjs --out DIR --manifest FILE [--command TEXT] [--commit REV] [--package VER]
//
// Per top, DIR/<id>/ holds yosys.log, stat.json (`stat -json` after synth_xilinx), rc and
// seconds.  A top fails when Yosys exited non-zero, printed an ERROR, or printed an
// "implicitly declared" warning: Yosys 0.55 reads some constructs (a packed array of structs
// as a port) with only that warning and builds a wrong netlist, so it is treated as an error.
import fs from 'node:fs';
import path from 'node:path';

const opts = { out: null, manifest: null, command: 'scripts/synth.sh', commit: '', package: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in opts) || i + 1 >= argv.length) {
    console.error(`report: bad argument '${argv[i]}'`);
    process.exit(2);
  }
  opts[key] = argv[i + 1];
}

// Warnings that say nothing about the RTL: block RAM address ports narrowed to the used depth,
// ABC on a purely combinational piece, and sta meeting cells with no timing model (block RAM
// outputs, so paths that start at a block RAM are not timed).
const benign = [
  /Warning: Resizing cell port .*ADDR/,
  /ABC: Warning: The network is combinational/,
  /Warning: Endpoint .* has no \(\* sta_arrival \*\) value/,
  /^Warnings: \d+ unique messages/,
];

// LUTs per LUT-RAM primitive: RAM32M/RAM64M are 4, RAM32M16/RAM64M8 8; RAM<N>X1S uses
// N/64 LUTs (at least 1) and RAM<N>X1D twice that.
function lutramLuts(type) {
  const m = /^RAM(\d+)(M16|M8|M|X1S|X1D)/.exec(type);
  if (!m) return 1;
  if (m[2] === 'M16' || m[2] === 'M8') return 8;
  if (m[2] === 'M') return 4;
  const single = Math.max(1, Number(m[1]) / 64);
  return m[2] === 'X1D' ? 2 * single : single;
}

const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null);
const sumOf = (cells, re) =>
  Object.entries(cells).reduce((n, [type, count]) => n + (re.test(type) ? count : 0), 0);
const pick = (cells, re) =>
  Object.fromEntries(Object.entries(cells).filter(([type]) => re.test(type)));

// One sta run's longest path: its delay in ns, the listing, where it starts and ends, and the
// cells on it (all null when there was no such run).
function staPath(m) {
  if (!m) return { ns: null, path: [], from: null, to: null, levels: null };
  const path = m[2].split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // The listing runs from the endpoint back: a cell line ("<ps> <cell> (<TYPE>.<arc>)"), then
  // the net that drives that arc.  The start is the net a flip-flop's C->Q drives (or a
  // primary input); levels are the cells in between.
  const cq = path.findIndex((l) => /\(\w+\.C->Q\)$/.test(l));
  const input = path.find((l) => /\(<primary input>\)$/.test(l));
  const end = /\((\w+\.\w+)\)$/.exec(path[0] ?? '');
  return {
    ns: Number(m[1]) / 1000,
    path,
    from: cq > 0 ? path[cq - 1] : (input ?? '?').replace(/\s*\(<primary input>\)$/, ''),
    to: `${path[1] ?? '?'}${end ? ` (${end[1]})` : ''}`,
    levels: path.slice(1, cq > 0 ? cq : path.length)
      .filter((l) => /^\d+ .*\(\w+\.\S+->\S+\)$/.test(l)).length,
  };
}

function analyse(dir, top) {
  const r = { errors: [], warnings: [] };
  r.seconds = Number(read(path.join(dir, 'seconds')) ?? NaN);
  const rc = Number((read(path.join(dir, 'rc')) ?? '1').trim());
  const log = read(path.join(dir, 'yosys.log')) ?? '';
  r.log = path.join(dir, 'yosys.log');
  const script = read(path.join(dir, 'synth.ys')) ?? '-flatten';
  // A top listed with -H keeps its hierarchy and is not timed (sta needs a flat netlist).
  r.flat = /-flatten/.test(script);
  // A top listed with -B Module leaves those modules as black boxes (counted as one cell each).
  r.black_boxes = [...script.matchAll(/^blackbox A:hdlname=(\S+)$/gm)].map((m) => m[1]);

  const lines = log.split('\n');
  r.untimed_cells = [];
  for (const line of lines) {
    const untimed = /Warning: Module '([^']+)' has no timing arcs/.exec(line);
    if (untimed) r.untimed_cells.push(untimed[1]);
    else if (/implicitly declared/.test(line)) r.errors.push(line.trim());
    else if (/ERROR/.test(line)) r.errors.push(line.trim());
    else if (/Warning/i.test(line) && !benign.some((re) => re.test(line))) {
      if (!r.warnings.includes(line.trim())) r.warnings.push(line.trim());
    }
  }
  if (rc !== 0 && r.errors.length === 0) {
    r.errors.push(`Yosys exited with status ${rc}; last lines of the log:`,
                  ...lines.filter((l) => l.trim() !== '').slice(-5));
  }
  // CPU time of the node process (run_yosys.mjs prints it last); Yosys's own "CPU:" figure
  // is wall-clock time under WebAssembly.  On a loaded machine wall-clock > CPU.
  const cpu = /^run_yosys: cpu ([\d.]+) s$/m.exec(log);
  if (cpu) r.cpu_seconds = Number(cpu[1]);
  const creator = /^Yosys \d[^\n]*/m.exec(log);
  if (creator) r.yosys = creator[0].trim();

  const statText = read(path.join(dir, 'stat.json'));
  if (statText !== null) {
    const stat = JSON.parse(statText);
    const mod = stat.design ?? stat.modules?.[`\\${top}`] ?? Object.values(stat.modules ?? {})[0];
    const cells = mod?.num_cells_by_type ?? {};
    r.cells = cells;
    r.lut_by_size = pick(cells, /^(LUT[1-6]|INV)$/);
    // INV becomes a LUT1 in Vivado; count it as one.
    r.lut = sumOf(cells, /^(LUT[1-6]|INV)$/);
    r.ff_by_type = pick(cells, /^FD[RSCP]E(_1)?$/);
    r.ff = sumOf(cells, /^FD[RSCP]E(_1)?$/);
    r.latch = sumOf(cells, /^LD[CP]E/);
    r.carry4 = sumOf(cells, /^CARRY4$/);
    r.carry8 = sumOf(cells, /^CARRY8$/);
    r.ramb18 = sumOf(cells, /^(RAMB18|FIFO18)/);
    r.ramb36 = sumOf(cells, /^(RAMB36|FIFO36)/);
    r.uram = sumOf(cells, /^URAM/);
    // LUT RAM in LUTs (Vivado's "LUT as Distributed RAM"), from the cells Yosys maps to.
    r.lutram_by_type = pick(cells, /^RAM\d+(M|X)/);
    r.lutram = Object.entries(r.lutram_by_type)
      .reduce((n, [type, count]) => n + count * lutramLuts(type), 0);
    r.srl = sumOf(cells, /^SRL/);
    r.dsp = sumOf(cells, /^DSP48/);
    r.muxf = sumOf(cells, /^MUXF[789]$/);
  } else if (rc === 0) {
    r.errors.push('no stat.json: Yosys did not reach `stat`');
  }

  // sta: "Latest arrival time in 'top' is N:" (picoseconds), then the path, latest first.  A
  // top with parameters is named $paramod\...\NumQ=32'...: quotes inside the quotes.  The
  // flow runs sta twice: over every path, then over the card's only (idle_o, the simulator's
  // hint, left out: scripts/synth.sh).  Each run's figure is looked for in its own section of
  // the log, so that one garbled by stray bytes (Yosys under node writes some now and then)
  // leaves that figure empty rather than giving the other run's to it.
  const arrival = /Latest arrival time in '.*?' is (\d+):\n((?:[ \t]+\S.*\n)*)/;
  const starts = [...log.matchAll(/Executing STA pass/g)].map((m) => m.index);
  const runs = starts.map((at, i) => arrival.exec(log.slice(at, starts[i + 1] ?? log.length)));
  const all = staPath(runs[0]);
  const card = staPath(runs[1]);
  r.critical_path_ns = all.ns;
  r.critical_path = all.path;
  r.path_from = all.from;
  r.path_to = all.to;
  r.path_levels = all.levels;
  r.card_path_ns = card.ns;
  r.card_path_from = card.from;
  r.card_path_to = card.to;
  r.card_path_levels = card.levels;
  if (rc === 0 && r.flat && (all.ns === null || card.ns === null)) {
    const which = all.ns === null ? (card.ns === null ? 'first and second runs' : 'first run')
                                  : 'second run';
    r.warnings.push(`sta's ${which} printed no readable arrival time (garbled log, or no sta run)`);
  }
  r.status = r.errors.length ? 'failed' : 'ok';
  return r;
}

// Manifest rows: list index, id, top, status, parameters, detail; reported in list order.
const rows = fs.readFileSync(opts.manifest, 'utf8').split('\n').filter((l) => l !== '')
  .map((l) => l.split('\t')).sort((a, b) => Number(a[0]) - Number(b[0]));
const results = [];
for (const [, id, top, status, params, detail] of rows) {
  const parameters = Object.fromEntries(
    (params ?? '').split(' ').filter((p) => p !== '').map((p) => {
      const eq = p.indexOf('=');
      return [p.slice(0, eq), p.slice(eq + 1)];
    }));
  const base = { top, id, parameters };
  if (status === 'run') {
    results.push({ ...base, ...analyse(path.join(opts.out, id), top) });
  } else {
    results.push({ ...base, status, errors: status === 'failed' ? [detail] : [], reason: detail });
  }
}

// ---- Markdown ---------------------------------------------------------------------------
const paramText = (p) =>
  Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ') || '—';
const bramText = (r) => {
  const parts = [];
  if (r.ramb36) parts.push(`${r.ramb36}×36K`);
  if (r.ramb18) parts.push(`${r.ramb18}×18K`);
  if (r.uram) parts.push(`${r.uram}×URAM`);
  return parts.join(' + ') || '0';
};
const carryText = (r) => (r.carry8 ? `${r.carry4} (+${r.carry8} CARRY8)` : `${r.carry4}`);
const yosys = results.find((r) => r.yosys)?.yosys ?? 'Yosys';
const date = new Date();
const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-` +
            `${String(date.getDate()).padStart(2, '0')}`;

// Logic-only delay that leaves room for routing at 250 MHz on UltraScale+ (docs/synthesis.md).
const aimNs = 2.5;
// Nanoseconds to two decimals, rounding half up (2.505 -> 2.51), as compared with the aim.
const nsText = (ns) => (Math.round(ns * 100) / 100).toFixed(2);
const md = [];
const sha = /git sha1 ([0-9a-f]+)/.exec(yosys)?.[1];
const pkg = opts.package ? `@yowasp/yosys ${opts.package}` : '';
const yosysShort = `${/^Yosys [\d.]+/.exec(yosys)?.[0] ?? 'Yosys'}` +
                   ` (${[sha, pkg].filter(Boolean).join(', ')})`;
const anyHier = results.some((r) => r.status === 'ok' && !r.flat);
md.push(`${yosysShort}, \`synth_xilinx -family xcup -flatten\`` +
        `${anyHier ? ' (tops marked -H: hierarchy kept, not timed)' : ''}, ${day}` +
        `${opts.commit ? `, commit ${opts.commit}` : ''}: \`${opts.command}\``);
md.push('');
md.push('| top | parameters | LUT | FF | CARRY4 | BRAM | LUTRAM (LUTs) | SRL | DSP | ' +
        'logic-only path (ns) | card path (ns) |');
md.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of results) {
  if (r.status !== 'ok') continue;
  let ns = r.critical_path_ns === null ? 'n/a' : nsText(r.critical_path_ns);
  let card = r.card_path_ns === null ? 'n/a' : nsText(r.card_path_ns);
  if (!r.flat) ns = card = 'not timed (-H)';
  const boxes = r.black_boxes.length ? `; black boxes: ${r.black_boxes.join(', ')}` : '';
  md.push(`| ${r.top} | ${paramText(r.parameters)}${boxes} | ${r.lut} | ${r.ff} | ` +
          `${carryText(r)} | ${bramText(r)} | ${r.lutram} | ${r.srl} | ${r.dsp} | ${ns} | ` +
          `${card} |`);
}
const notes = [];
for (const r of results) {
  if (r.status === 'skipped') notes.push(`- ${r.top}: skipped: ${r.reason}`);
  if (r.status === 'failed') notes.push(`- ${r.top}: FAILED: ${r.errors[0]}`);
  if (r.latch) notes.push(`- ${r.top}: ${r.latch} latch(es) inferred`);
}
for (const r of results) {
  if (r.status === 'ok' && r.card_path_ns !== null && Number(nsText(r.card_path_ns)) > aimNs) {
    notes.push(`- ${r.top}: ${nsText(r.card_path_ns)} ns on the card's paths, over the ` +
               `${aimNs} ns aim: ${r.card_path_levels} cells from \`${r.card_path_from}\` to ` +
               `\`${r.card_path_to}\``);
  }
  // Every path's longest, where it is another (or there was no second run).
  if (r.status === 'ok' && r.critical_path_ns !== null && r.critical_path_ns !== r.card_path_ns &&
      Number(nsText(r.critical_path_ns)) > aimNs) {
    const what = r.card_path_ns === null ? '' : ' with the paths into idle_o';
    notes.push(`- ${r.top}: ${nsText(r.critical_path_ns)} ns${what}, over the ${aimNs} ns aim: ` +
               `${r.path_levels} cells from \`${r.path_from}\` to \`${r.path_to}\``);
  }
}
if (notes.length) md.push('', ...notes);
console.log(md.join('\n'));

// ---- Details on stderr, JSON file, verdict -------------------------------------------------
for (const r of results) {
  if (r.status === 'failed') {
    console.error(`synth: ${r.top} FAILED${r.log ? ` (log: ${r.log})` : ''}:`);
    for (const e of r.errors.slice(0, 20)) console.error(`  ${e}`);
  }
  if (r.untimed_cells?.length) {
    console.error(`synth: ${r.top}: sta has no timing model for ${r.untimed_cells.join(', ')}: ` +
                  'paths through it are not timed');
  }
  for (const w of (r.warnings ?? []).slice(0, 10)) console.error(`synth: ${r.top}: ${w}`);
  if ((r.warnings ?? []).length > 10) {
    console.error(`synth: ${r.top}: ... ${r.warnings.length - 10} more warnings in ${r.log}`);
  }
}
const json = {
  yosys,
  package: opts.package ? `@yowasp/yosys@${opts.package}` : null,
  flow: 'synth_xilinx -family xcup -flatten; stat; ' +
        'read_verilog -lib -specify +/xilinx/cells_sim.v timing_extra.v; design -save timed; ' +
        'sta; design -load timed; delete w:idle_o %ci1 t:OBUF %i; delete -output w:idle_o; ' +
        'opt_clean; sta (card_path_ns) ' +
        '(tops with flat: false: synth_xilinx -family xcup; stat -top, not timed)',
  date: date.toISOString(),
  commit: opts.commit || null,
  command: opts.command,
  tops: results,
};
const jsonFile = path.join(opts.out, 'synth.json');
fs.writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
console.error(`synth: wrote ${jsonFile}`);
process.exitCode = results.some((r) => r.status === 'failed') ? 1 : 0;
