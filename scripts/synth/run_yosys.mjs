// run_yosys.mjs: run the pinned WebAssembly Yosys (@yowasp/yosys) like a command-line yosys.
//
// Yosys runs in a virtual file system, so every file it reads is mounted explicitly and every
// file it writes is copied back out.  Usage:
//   node run_yosys.mjs [--mount NAME=PATH ...] [--outdir DIR] -- <yosys arguments>
// NAME is the path Yosys sees (relative to its working directory); PATH is the real file.
// Files Yosys writes (e.g. `tee -o stat.json stat -json`) land in DIR (default: the current
// directory).  Yosys's log goes to stdout, and a last line on stderr gives the CPU time used
// ("run_yosys: cpu N s"); the exit status is Yosys's.
import fs from 'node:fs';
import path from 'node:path';
import { runYosys, Exit } from '@yowasp/yosys';

const mounts = [];
let outdir = '.';
let yosysArgs = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') {
    yosysArgs = argv.slice(i + 1);
    break;
  } else if (a === '--mount' && i + 1 < argv.length) {
    const arg = argv[++i];
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      console.error(`run_yosys: --mount wants NAME=PATH, got '${arg}'`);
      process.exit(2);
    }
    mounts.push([arg.slice(0, eq), arg.slice(eq + 1)]);
  } else if (a === '--outdir' && i + 1 < argv.length) {
    outdir = argv[++i];
  } else {
    console.error(`run_yosys: unknown argument '${a}'`);
    console.error('usage: node run_yosys.mjs [--mount NAME=PATH ...] [--outdir DIR] -- ARGS');
    process.exit(2);
  }
}
if (yosysArgs === null) {
  console.error('run_yosys: missing "--" before the Yosys arguments');
  process.exit(2);
}

// Build the virtual tree: "a/b/c.sv" becomes {a: {b: {"c.sv": contents}}}.
const tree = {};
for (const [name, real] of mounts) {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    console.error(`run_yosys: bad mount name '${name}'`);
    process.exit(2);
  }
  let dir = tree;
  for (const p of parts.slice(0, -1)) dir = dir[p] ??= {};
  dir[parts.at(-1)] = fs.readFileSync(real);
}
const mountedTop = new Set(Object.keys(tree));

const write = (stream) => (bytes) => {
  if (bytes) stream.write(bytes);
};

let files;
let code = 0;
try {
  files = await runYosys(yosysArgs, tree, {
    stdout: write(process.stdout),
    stderr: write(process.stderr),
  });
} catch (e) {
  if (!(e instanceof Exit)) throw e;
  code = e.code;
  files = e.files;
}

// Copy back the plain files Yosys created at the top of its working directory.
fs.mkdirSync(outdir, { recursive: true });
for (const [name, contents] of Object.entries(files ?? {})) {
  if (mountedTop.has(name)) continue;
  if (typeof contents === 'string' || contents instanceof Uint8Array) {
    fs.writeFileSync(path.join(outdir, name), contents);
  }
}
const cpu = process.cpuUsage();
console.error(`run_yosys: cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
process.exitCode = code;
