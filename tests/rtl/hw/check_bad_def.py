#!/usr/bin/env python3
"""Run hw/gen.py on a broken definition and check that it refuses it properly.

    check_bad_def.py <gen.py> <bad.toml> <scratch output dir>

The definition's first line is "# expect: <regex>".  Passes when gen.py exits with status 1,
prints one "<file>: <item>: <message>" line matching the regex on stderr, and writes nothing.
"""
import os
import re
import shutil
import subprocess
import sys


def main() -> int:
    gen, toml, out = sys.argv[1:4]
    with open(toml, encoding="utf-8") as f:
        first = f.readline()
    m = re.match(r"#\s*expect:\s*(.+?)\s*$", first)
    if not m:
        print(f"{toml}: first line must be '# expect: <regex>'")
        return 1
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([sys.executable, gen, "--toml", toml, "--out", out],
                       capture_output=True, text=True)
    print(f"exit {p.returncode}; stderr: {p.stderr.strip()}")
    ok = True
    if p.returncode != 1:
        print("FAIL: expected exit status 1")
        ok = False
    line = p.stderr.strip()
    if not line.startswith(f"{toml}: ") or len(line.splitlines()) != 1:
        print("FAIL: expected one line starting with the file name")
        ok = False
    if not re.search(m.group(1), line):
        print(f"FAIL: message does not match /{m.group(1)}/")
        ok = False
    if os.path.exists(out):
        print("FAIL: files were written for a refused definition")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
