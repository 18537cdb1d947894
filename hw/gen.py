#!/usr/bin/env python3
"""Generate the card's hardware definitions from hw/nic.toml.

    python3 hw/gen.py --toml hw/nic.toml --out build/hw

writes, under --out:

    nic_hw_pkg.sv                   SystemVerilog package nic_hw_pkg (RTL reads this)
    include/mbufnic/hw/nic_hw.h     C++20 header, namespace mbufnic::hw (the host reads this)
    nic_hw.md                       Markdown reference tables
    nic_hw_probe.sv                 test-only module that shows where the package puts each field
    nic_hw_fields.inc               test-only C++ table of the same fields, in the same order

The TOML file is the only place a layout is written down; everything else is derived here, so
the RTL and the host cannot drift apart (tests/rtl/hw checks the two outputs against each other
through a Verilated nic_hw_probe).  A bad definition stops with "file: item: message" on stderr
and exit status 1, before any file is written.  Files whose content did not change are left
alone, so re-running the generator at configure time does not make the build re-verilate.

Python standard library only (tomllib needs Python 3.11).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import textwrap

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - depends on the interpreter
    sys.stderr.write("gen.py: needs Python 3.11 or newer (tomllib)\n")
    sys.exit(1)

ACCESS_KINDS = ("ro", "rw", "w1c", "w1p")
# Who may write a field: the host (through the host's CSR port, and the management side too)
# or only the card's management side (its firmware); a host write that would change a "mgmt"
# bit changes nothing and answers SLVERR (docs/admin.md).
SIDES = ("host", "mgmt")
ACCESS_MEANING = {
    "ro": "read-only: the value comes from the hardware; writes are ignored",
    "rw": "read/write storage in the CSR slave",
    "w1c": "reads a status bit the block holds; writing 1 clears it (a one-cycle pulse)",
    "w1p": "writing 1 starts an action (a one-cycle pulse); reads 0",
}

# Names the generator keeps for itself, or that would not survive as identifiers in one of the
# output languages.
RESERVED_PREFIXES = ("rsvd", "set_")
KEYWORDS = set("""
    alias always always_comb always_ff always_latch and assert assign assume automatic before begin
    bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class
    clocking cmos config const constraint context continue cover covergroup coverpoint cross
    deassign default defparam design disable dist do edge else end endcase endchecker endclass
    endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage
    endprimitive endprogram endproperty endspecify endsequence endtable endtask enum event
    eventually expect export extends extern final first_match for force foreach forever fork
    forkjoin function generate genvar global highz0 highz1 if iff ifnone ignore_bins
    illegal_bins implements implies import incdir include initial inout input inside instance int
    integer interconnect interface intersect join join_any join_none large let liblist library
    local localparam logic longint macromodule matches medium modport module nand negedge
    nettype new nexttime nmos nor noshowcancelled not notif0 notif1 null or output package packed
    parameter pmos posedge primitive priority program property protected pull0 pull1 pulldown
    pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos
    real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0
    rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence shortint
    shortreal showcancelled signed small soft solve specify specparam static string strong
    strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on table tagged task
    this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior
    trireg type typedef union unique unique0 unsigned until until_with untyped use uwire var
    vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard wire with within
    wor xnor xor
    alignas alignof and_eq asm auto bitand bitor bool catch char char8_t char16_t char32_t
    compl concept consteval constexpr constinit const_cast co_await co_return co_yield decltype
    delete double dynamic_cast explicit false float friend goto inline long mutable namespace
    noexcept not_eq nullptr operator or_eq private public register reinterpret_cast requires
    short sizeof static_assert static_cast switch template thread_local throw true try typeid
    typename using volatile wchar_t xor_eq
    bytes value_o bits_o info_o count_o field_i
""".split())

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class DefError(Exception):
    """A problem in the definition file: reported as "file: item: message"."""

    def __init__(self, item: str, message: str):
        super().__init__(message)
        self.item = item
        self.message = message


# ---------------------------------------------------------------------------------------------
# The model the TOML file is read into
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class EnumValue:
    name: str
    value: int
    doc: str


@dataclasses.dataclass
class Enum:
    name: str
    width: int
    doc: str
    values: list[EnumValue]


@dataclasses.dataclass
class Field:
    name: str
    lsb: int
    width: int
    doc: str
    type_kind: str | None = None      # None, "enum" or "struct"
    type_name: str | None = None
    access: str | None = None         # CSR fields only
    reset: int | None = None          # CSR fields only; None = defined by the hardware
    side: str = "host"                # CSR fields only: who may write it ("host" or "mgmt")

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def reserved(self) -> bool:
        return self.name.startswith("rsvd")


@dataclasses.dataclass
class Struct:
    name: str
    nbytes: int
    doc: str
    draft: bool
    fields: list[Field]               # declared fields, in LSB order

    @property
    def bits(self) -> int:
        return self.nbytes * 8


@dataclasses.dataclass
class Register:
    name: str
    offset: int
    doc: str
    fields: list[Field]               # in LSB order

    @property
    def index(self) -> int:
        return self.offset // 4

    def mask(self, accesses) -> int:
        m = 0
        for f in self.fields:
            if f.access in accesses:
                m |= ((1 << f.width) - 1) << f.lsb
        return m

    def mgmt_mask(self) -> int:
        """Bits only the card's management side may write."""
        m = 0
        for f in self.fields:
            if f.side == "mgmt":
                m |= ((1 << f.width) - 1) << f.lsb
        return m

    @property
    def reset(self) -> int:
        r = 0
        for f in self.fields:
            if f.reset:
                r |= f.reset << f.lsb
        return r


@dataclasses.dataclass
class Block:
    name: str
    base: int
    size: int
    block_id: int
    major: int
    minor: int
    doc: str
    regs: list[Register]              # in offset order; regs[0] is the id word
    count: int = 1                    # instances, instance i at base + i * size

    @property
    def span(self) -> int:
        return self.size * self.count

    @property
    def num_regs(self) -> int:
        return self.regs[-1].index + 1

    @property
    def id_value(self) -> int:
        return (self.block_id << 16) | (self.major << 8) | self.minor

    @property
    def addr_bits(self) -> int:
        return (self.size - 1).bit_length()

    def word_mask(self, accesses) -> int:
        v = 0
        for r in self.regs:
            v |= r.mask(accesses) << (32 * r.index)
        return v

    def word_mgmt_mask(self) -> int:
        v = 0
        for r in self.regs:
            v |= r.mgmt_mask() << (32 * r.index)
        return v

    def word_reset(self) -> int:
        v = 0
        for r in self.regs:
            v |= r.reset << (32 * r.index)
        return v


@dataclasses.dataclass
class Definition:
    enums: list[Enum]
    structs: list[Struct]
    blocks: list[Block]


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------

def _keys(item: str, table: dict, required: tuple, optional: tuple) -> None:
    if not isinstance(table, dict):
        raise DefError(item, "expected a table")
    for k in required:
        if k not in table:
            raise DefError(item, f"missing key '{k}'")
    unknown = sorted(set(table) - set(required) - set(optional))
    if unknown:
        raise DefError(item, f"unknown key(s) {', '.join(unknown)} "
                             f"(allowed: {', '.join(required + optional)})")


def _int(item: str, table: dict, key: str, lo: int, hi: int, default=None) -> int:
    v = table.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        raise DefError(item, f"'{key}' must be an integer")
    if not lo <= v <= hi:
        raise DefError(item, f"'{key}' = {v:#x} is outside {lo:#x}..{hi:#x}")
    return v


def _str(item: str, table: dict, key: str, default=None) -> str:
    v = table.get(key, default)
    if not isinstance(v, str):
        raise DefError(item, f"'{key}' must be a string")
    return v


def _name(item: str, table: dict) -> str:
    n = _str(item, table, "name")
    if not NAME_RE.match(n):
        raise DefError(item, f"name '{n}' is not lower_snake_case (a-z, 0-9, single '_')")
    if n in KEYWORDS:
        raise DefError(item, f"name '{n}' is a SystemVerilog or C++ keyword or a generated name")
    if n.startswith(RESERVED_PREFIXES):
        raise DefError(item, f"name '{n}' starts with a prefix the generator keeps for itself "
                             f"({', '.join(RESERVED_PREFIXES)})")
    return n


def _list(item: str, table: dict, key: str) -> list:
    v = table.get(key, [])
    if not isinstance(v, list):
        raise DefError(item, f"'{key}' must be an array of tables ([[...{key}]])")
    return v


def _unique(item: str, names, what: str) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise DefError(item, f"duplicate {what} name '{n}'")
        seen.add(n)


def _check_layout(item: str, fields: list[Field], nbits: int) -> None:
    """Fields must lie inside nbits and not share a bit."""
    for f in fields:
        if f.lsb + f.width > nbits:
            raise DefError(f"{item}.{f.name}",
                           f"bits [{f.msb}:{f.lsb}] go beyond the {nbits}-bit size")
    ordered = sorted(fields, key=lambda f: f.lsb)
    for a, b in zip(ordered, ordered[1:]):
        if b.lsb <= a.msb:
            raise DefError(f"{item}.{b.name}", f"bits [{b.msb}:{b.lsb}] overlap field "
                                               f"'{a.name}' [{a.msb}:{a.lsb}]")


def _named(item: str, raw) -> str:
    """item, with its "#n"/"[n]" placeholder replaced by the name when there is one, so
    even a key error names what it is about."""
    m = re.search(r"( #\d+|\.[a-z]+\[\d+\])$", item)
    if m and isinstance(raw, dict) and isinstance(raw.get("name"), str):
        sep = " " if m.group(1).startswith(" ") else "."
        return item[:m.start()] + sep + raw["name"]
    return item


def _read_field(item: str, raw: dict, enums: dict, structs: dict, csr: bool,
                default_access: str | None, default_side: str = "host") -> Field:
    opt = ("width", "type", "doc") + (("access", "reset", "side") if csr else ())
    item = _named(item, raw)
    _keys(item, raw, ("name", "lsb"), opt)
    name = _name(item, raw)
    limit = 31 if csr else 1023
    lsb = _int(item, raw, "lsb", 0, limit)
    kind = tname = None
    type_width = None
    if "type" in raw:
        tname = _str(item, raw, "type")
        if tname in enums:
            kind, type_width = "enum", enums[tname].width
        elif tname in structs and not csr:
            kind, type_width = "struct", structs[tname].bits
            if lsb % 8:
                raise DefError(item, f"a field of struct type must start on a byte boundary "
                                     f"(lsb {lsb})")
        else:
            raise DefError(item, f"unknown enum{'' if csr else ' or struct'} '{tname}' "
                                 "(types must be defined above their first use)")
    if "width" in raw:
        width = _int(item, raw, "width", 1, 32 if csr else 64)
        if type_width is not None and width != type_width:
            raise DefError(item, f"width {width} does not match type '{tname}' "
                                 f"({type_width} bits)")
    elif type_width is not None:
        width = type_width
    else:
        raise DefError(item, "missing key 'width'")
    doc = _str(item, raw, "doc", "")
    access = reset = None
    if csr:
        access = _str(item, raw, "access", default_access)
        if access not in ACCESS_KINDS:
            raise DefError(item, f"access '{access}' is not one of {', '.join(ACCESS_KINDS)}")
        if "reset" in raw:
            reset = _int(item, raw, "reset", 0, (1 << 64) - 1)
            if reset >> width:
                raise DefError(item, f"reset value {reset:#x} is wider than the field "
                                     f"({width} bit{'s' if width > 1 else ''})")
            if kind == "enum" and reset not in {v.value for v in enums[tname].values}:
                raise DefError(item, f"reset value {reset} is not a value of enum '{tname}'")
            if access == "w1p" and reset:
                raise DefError(item, "a w1p field reads 0: its reset must be 0")
        elif access in ("rw", "w1p"):
            reset = 0
    side = "host"
    if csr:
        side = _str(item, raw, "side", default_side)
        if side not in SIDES:
            raise DefError(item, f"side '{side}' is not one of {', '.join(SIDES)}")
        if side == "mgmt" and access == "ro":
            raise DefError(item, "side 'mgmt' is for fields something writes; this one is ro")
    return Field(name, lsb, width, doc, kind, tname, access, reset, side)


def load(path: str) -> Definition:
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as e:
        raise DefError("file", f"cannot read: {e.strerror}")
    except tomllib.TOMLDecodeError as e:
        raise DefError("TOML syntax", str(e))
    _keys("top level", raw, (), ("enum", "struct", "block"))

    enums: dict[str, Enum] = {}
    for i, e in enumerate(_list("top level", raw, "enum")):
        item = _named(f"enum #{i + 1}", e)
        _keys(item, e, ("name", "width", "values"), ("doc",))
        name = _name(item, e)
        item = f"enum {name}"
        if name in enums:
            raise DefError(item, f"duplicate enum name '{name}'")
        width = _int(item, e, "width", 1, 32)
        values = []
        for j, v in enumerate(_list(item, e, "values")):
            vitem = _named(f"{item}.values[{j}]", v)
            _keys(vitem, v, ("name", "value"), ("doc",))
            vname = _name(vitem, v)
            vitem = f"{item}.{vname}"
            values.append(EnumValue(vname, _int(vitem, v, "value", 0, (1 << width) - 1),
                                    _str(vitem, v, "doc", "")))
        if not values:
            raise DefError(item, "an enum needs at least one value")
        _unique(item, [v.name for v in values], "value")
        seen = {}
        for v in values:
            if v.value in seen:
                raise DefError(f"{item}.{v.name}", f"value {v.value} is already used by "
                                                   f"'{seen[v.value]}'")
            seen[v.value] = v.name
        enums[name] = Enum(name, width, _str(item, e, "doc", ""), values)

    structs: dict[str, Struct] = {}
    for i, s in enumerate(_list("top level", raw, "struct")):
        item = _named(f"struct #{i + 1}", s)
        _keys(item, s, ("name", "bytes", "field"), ("doc", "status"))
        name = _name(item, s)
        item = f"struct {name}"
        if name in structs or name in enums:
            raise DefError(item, f"duplicate type name '{name}'")
        nbytes = _int(item, s, "bytes", 1, 128)
        status = _str(item, s, "status", "stable")
        if status not in ("stable", "draft"):
            raise DefError(item, f"status '{status}' is not 'stable' or 'draft'")
        fields = [_read_field(f"{item}.field[{j}]", f, enums, structs, False, None)
                  for j, f in enumerate(_list(item, s, "field"))]
        if not fields:
            raise DefError(item, "a struct needs at least one field")
        _unique(item, [f.name for f in fields], "field")
        _check_layout(item, fields, nbytes * 8)
        structs[name] = Struct(name, nbytes, _str(item, s, "doc", ""), status == "draft",
                               sorted(fields, key=lambda f: f.lsb))

    blocks: list[Block] = []
    for i, b in enumerate(_list("top level", raw, "block")):
        item = _named(f"block #{i + 1}", b)
        _keys(item, b, ("name", "base", "size", "id", "major", "minor"), ("doc", "reg", "count"))
        name = _name(item, b)
        item = f"block {name}"
        size = _int(item, b, "size", 8, 1 << 16)
        if size & (size - 1):
            raise DefError(item, f"size {size:#x} is not a power of two")
        base = _int(item, b, "base", 0, (1 << 32) - size)
        if base % size:
            raise DefError(item, f"base {base:#x} is not aligned to the block size {size:#x}")
        # A block with count = n is n copies of one register layout (a queue's registers, say),
        # copy i at base + i * size; the card may build fewer and says how many elsewhere.
        count = _int(item, b, "count", 1, 4096) if "count" in b else 1
        if base + size * count > 1 << 32:
            raise DefError(item, f"{count} copies of {size:#x} bytes from {base:#x} pass 4 GiB")
        block_id = _int(item, b, "id", 1, 0xFFFF)
        major = _int(item, b, "major", 0, 0xFF)
        minor = _int(item, b, "minor", 0, 0xFF)
        # Word 0 of every block is the same id/version word, so the host can walk the address
        # map and refuse a block it does not understand.  It is generated, never written.
        regs = [Register("id", 0, "Block id and version: the host checks it before using the "
                                   "block (same major version, minor at least what it knows).", [
            Field("minor", 0, 8, "Minor version: compatible additions.", access="ro",
                  reset=minor),
            Field("major", 8, 8, "Major version: incompatible changes.", access="ro",
                  reset=major),
            Field("block_id", 16, 16, "Block id (two ASCII characters).", access="ro",
                  reset=block_id),
        ])]
        for j, r in enumerate(_list(item, b, "reg")):
            ritem = _named(f"{item}.reg[{j}]", r)
            _keys(ritem, r, ("name", "offset"), ("doc", "access", "reset", "field", "side"))
            rname = _name(ritem, r)
            ritem = f"{item}.{rname}"
            if rname == "id":
                raise DefError(ritem, "'id' is the generated id/version word at offset 0")
            offset = _int(ritem, r, "offset", 0, size - 1)
            if offset % 4:
                raise DefError(ritem, f"offset {offset:#x} is not a multiple of 4")
            if offset == 0:
                raise DefError(ritem, "offset 0 is the id/version word of every block")
            access = _str(ritem, r, "access", "ro")
            side = _str(ritem, r, "side", "host")
            if "field" in r:
                if "reset" in r:
                    raise DefError(ritem, "'reset' belongs on the fields when a register has "
                                          "fields")
                fields = [_read_field(f"{ritem}.field[{k}]", f, enums, {}, True, access, side)
                          for k, f in enumerate(_list(ritem, r, "field"))]
                if not fields:
                    raise DefError(ritem, "'field' is empty; leave it out for a plain "
                                          "32-bit register")
            else:
                # A register without fields is one 32-bit field called "value" (counters).
                plain = {"name": "value", "lsb": 0, "width": 32, "doc": ""}
                if "reset" in r:
                    plain["reset"] = r["reset"]
                fields = [_read_field(ritem + ".value", plain, enums, {}, True, access, side)]
            _unique(ritem, [f.name for f in fields], "field")
            _check_layout(ritem, fields, 32)
            regs.append(Register(rname, offset, _str(ritem, r, "doc", ""),
                                 sorted(fields, key=lambda f: f.lsb)))
        _unique(item, [r.name for r in regs], "register")
        regs.sort(key=lambda r: r.offset)
        for a, c in zip(regs, regs[1:]):
            if a.offset == c.offset:
                raise DefError(f"{item}.{c.name}", f"offset {c.offset:#x} overlaps register "
                                                   f"'{a.name}'")
        blocks.append(Block(name, base, size, block_id, major, minor, _str(item, b, "doc", ""),
                            regs, count))

    _unique("top level", [b.name for b in blocks], "block")
    ordered = sorted(blocks, key=lambda b: b.base)
    for a, c in zip(ordered, ordered[1:]):
        if c.base < a.base + a.span:
            raise DefError(f"block {c.name}", f"address range {c.base:#x}+{c.span:#x} overlaps "
                                              f"block '{a.name}' ({a.base:#x}+{a.span:#x})")
    ids = {}
    for b in blocks:
        if b.block_id in ids:
            raise DefError(f"block {b.name}", f"id {b.block_id:#06x} is already used by block "
                                              f"'{ids[b.block_id]}'")
        ids[b.block_id] = b.name

    d = Definition(list(enums.values()), list(structs.values()), blocks)
    _check_generated_names(d)
    return d


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def _check_generated_names(d: Definition) -> None:
    """Different TOML items must not turn into the same identifier in any output."""
    scopes: dict[tuple, dict[str, str]] = {}

    def claim(scope, ident, owner):
        table = scopes.setdefault(scope, {})
        if ident in table and table[ident] != owner:
            raise DefError(owner, f"generated name '{ident}' collides with {table[ident]}")
        table[ident] = owner

    for e in d.enums:
        claim("sv", f"{e.name}_e", f"enum {e.name}")
        claim("cpp", camel(e.name), f"enum {e.name}")
        claim("cpp", f"k{camel(e.name)}Width", f"enum {e.name}")
        for v in e.values:
            claim("sv", camel(e.name) + camel(v.name), f"enum {e.name}.{v.name}")
    for s in d.structs:
        own = f"struct {s.name}"
        claim("sv", f"{s.name}_t", own)
        claim("sv", f"{s.name.upper()}_BYTES", own)
        claim("cpp", camel(s.name), own)
        for f in s.fields:
            fo = f"{own}.{f.name}"
            for suffix in ("LSB", "WIDTH"):
                claim("sv", f"{s.name.upper()}_{f.name.upper()}_{suffix}", fo)
            for ident in (f.name, f"set_{f.name}", f"k{camel(f.name)}Lsb",
                          f"k{camel(f.name)}Width", f"k{camel(f.name)}Max"):
                claim(("cpp", s.name), ident, fo)
            claim(("cpp", s.name), "kBytes", own)
    for b in d.blocks:
        own = f"block {b.name}"
        up = b.name.upper()
        for ident in ("BASE", "SIZE", "ADDR_BITS", "NUM_REGS", "ID_VALUE", "WRITE_MASK",
                      "RESET", "PULSE_MASK", "MGMT_MASK"):
            claim("sv", f"{up}_{ident}", own)
        claim("sv", f"{b.name}_regs_t", own)
        for ident in ("kBase", "kSize", "kNumRegs", "kIdValue", "kRegs"):
            claim(("cpp", b.name), ident, own)
        for r in b.regs:
            ro = f"{own}.{r.name}"
            claim("sv", f"{b.name}_{r.name}_t", ro)
            claim("sv", f"{up}_{r.name.upper()}_OFFSET", ro)
            claim("sv", f"{up}_{r.name.upper()}_IDX", ro)
            claim(("cpp", b.name), f"k{camel(r.name)}", ro)
            claim(("cpp", b.name), r.name, ro)
            for f in r.fields:
                for suffix in ("Shift", "Width", "Mask"):
                    claim(("cpp", b.name, r.name), f"k{camel(f.name)}{suffix}",
                          f"{ro}.{f.name}")
            for ident in ("kReset", "kRwMask", "kPulseMask", "kMgmtMask"):
                claim(("cpp", b.name, r.name), ident, ro)
    claim("cpp", "csr", "the csr namespace")
    claim("cpp", "detail", "the detail namespace")
    # The C header has one flat scope of macros, where an enum value, a struct field and a
    # register can spell the same name (enum admin_status next to register admin.status).
    for ident, owner in c_names(d):
        claim("c", ident, owner)


# ---------------------------------------------------------------------------------------------
# Helpers shared by the writers
# ---------------------------------------------------------------------------------------------

def wrap(text: str, prefix: str, width: int = 100) -> list[str]:
    """A doc string as comment lines (paragraphs kept, each wrapped)."""
    text = text.strip()
    if text.endswith(":"):      # "name [bits]: " with no doc after it
        text = text[:-1]
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        para = " ".join(para.split())
        if para:
            if out:
                out.append(prefix.rstrip())
            out += textwrap.wrap(para, width - len(prefix), initial_indent=prefix,
                                 subsequent_indent=prefix, break_on_hyphens=False)
    return out


def banner(prefix: str, title: str) -> str:
    head = f"{prefix}==== {title} "
    return head + "=" * (100 - len(head))


def with_reserved(fields: list[Field], nbits: int) -> list[Field]:
    """The fields in LSB order, with every gap filled by a reserved field named rsvd<lsb>."""
    out, pos = [], 0
    for f in fields:
        if f.lsb > pos:
            out.append(Field(f"rsvd{pos}", pos, f.lsb - pos, "Reserved: write 0, ignore on read.",
                             access="ro", reset=0))
        out.append(f)
        pos = f.lsb + f.width
    if pos < nbits:
        out.append(Field(f"rsvd{pos}", pos, nbits - pos, "Reserved: write 0, ignore on read.",
                         access="ro", reset=0))
    return out


def bits_str(f: Field) -> str:
    return f"[{f.msb}]" if f.width == 1 else f"[{f.msb}:{f.lsb}]"


def sv_hex(value: int, nbits: int) -> str:
    """nbits'h literal with an underscore every 32 bits (one CSR word per group)."""
    digits = f"{value:0{(nbits + 3) // 4}x}"
    groups = []
    while digits:
        groups.insert(0, digits[-8:])
        digits = digits[:-8]
    return f"{nbits}'h" + "_".join(groups)


def sv_field_type(f: Field) -> str:
    if f.type_kind == "enum":
        return f"{f.type_name}_e"
    if f.type_kind == "struct":
        return f"{f.type_name}_t"
    return "logic" if f.width == 1 else f"logic [{f.width - 1}:0]"


def sv_ones(f: Field) -> str:
    if f.type_kind == "enum":
        return f"nic_hw_pkg::{f.type_name}_e'({f.width}'h{(1 << f.width) - 1:x})"
    return "'1"


HEADER_NOTE = "Generated by hw/gen.py from {src}; do not edit (edit the TOML and rebuild)."


# ---------------------------------------------------------------------------------------------
# SystemVerilog package
# ---------------------------------------------------------------------------------------------

def _sv_struct(lines: list, type_name: str, fields: list[Field], nbits: int, indent="  ") -> None:
    lines.append(f"{indent}typedef struct packed {{")
    decl = []
    for f in reversed(with_reserved(fields, nbits)):    # MSB first: bit 0 is the last field
        decl.append((sv_field_type(f), f.name, bits_str(f)))
    tw = max(len(t) for t, _, _ in decl)
    nw = max(len(n) for _, n, _ in decl) + 1
    for t, n, b in decl:
        lines.append(f"{indent}  {t:<{tw}} {n + ';':<{nw}} // {b}")
    lines.append(f"{indent}}} {type_name};")


def write_sv_pkg(d: Definition, src: str) -> str:
    L = [
        f"// {HEADER_NOTE.format(src=src)}",
        "//",
        "// nic_hw_pkg: every layout the card shares with the host (descriptor fields, sideband",
        "// commands and results, CSR blocks), generated from the one definition in hw/nic.toml.",
        "// Struct bit 0 is bit 0 of byte 0 (little-endian bit numbering, the way the host lays",
        "// the bytes out in memory).  Write nic_hw_pkg::name: Yosys 0.55 does not read `import`.",
        "// Widths are spelled as numbers, not as package constants, for the same reader.",
        "package nic_hw_pkg;",
        "",
        "  // A package of definitions: any one design uses a few of them, so Verilator's unused-",
        "  // parameter warning says nothing useful here.",
        "  /* verilator lint_off UNUSEDPARAM */",
    ]
    if d.enums:
        L += ["", banner("  // ", "Enums")]
    for e in d.enums:
        L.append("")
        L += wrap(f"{e.name}: {e.doc}", "  // ")
        L.append(f"  typedef enum logic [{e.width - 1}:0] {{")
        items = [(camel(e.name) + camel(v.name), f"{e.width}'d{v.value}", v.doc) for v in e.values]
        nw = max(len(n) for n, _, _ in items)
        for k, (n, val, doc) in enumerate(items):
            comma = "," if k + 1 < len(items) else ""
            tail = f"  // {' '.join(doc.split())}" if doc else ""
            L.append(f"    {n:<{nw}} = {val}{comma:1}{tail}".rstrip())
        L.append(f"  }} {e.name}_e;")

    if d.structs:
        L += ["", banner("  // ", "Structs")]
    for s in d.structs:
        up = s.name.upper()
        L.append("")
        L += wrap(f"{s.name} ({s.nbytes} byte{'s' if s.nbytes > 1 else ''}"
                  f"{', DRAFT' if s.draft else ''}): {s.doc}", "  // ")
        L.append(f"  localparam int unsigned {up}_BYTES = {s.nbytes};")
        for f in s.fields:
            L.append(f"  localparam int unsigned {up}_{f.name.upper()}_LSB = {f.lsb};")
            L.append(f"  localparam int unsigned {up}_{f.name.upper()}_WIDTH = {f.width};")
        L.append("  // Fields, MSB first:")
        for f in s.fields:
            L += wrap(f"{f.name} {bits_str(f)}: {f.doc}", "  //   ")
        _sv_struct(L, f"{s.name}_t", s.fields, s.bits)

    if d.blocks:
        L += ["", banner("  // ", "CSR blocks")]
        L += wrap("Per block: its base and size in the card's CSR space, register offsets (bytes "
                  "from the base) and word indices, one packed struct per register and one for "
                  "the whole block (word i at bits [32*i+31:32*i]), and the masks nic_csr_axil "
                  "takes: WRITE_MASK (1 = storage bit, written by the host), RESET (reset value "
                  "of every bit; the id word's is its constant value) and PULSE_MASK (1 = writing "
                  "1 gives a one-cycle pulse to the block, nothing is stored).", "  // ")
    for b in d.blocks:
        up = b.name.upper()
        n = b.num_regs
        L.append("")
        L += wrap(f"{b.name} block at {b.base:#06x}, {b.size:#x} bytes, id {b.block_id:#06x} "
                  f"v{b.major}.{b.minor}: {b.doc}", "  // ")
        L.append(f"  localparam logic [31:0] {up}_BASE = 32'h{b.base:08x};")
        L.append(f"  localparam int unsigned {up}_SIZE = {b.size};")
        L.append(f"  // Copies of the block the address map holds, copy i at _BASE + i * _SIZE.")
        L.append(f"  localparam int unsigned {up}_COUNT = {b.count};")
        L.append("  // Address bits the block decodes itself; the interconnect decodes the rest.")
        L.append(f"  localparam int unsigned {up}_ADDR_BITS = {b.addr_bits};")
        L.append("  // Words from the id word up to the last register; past them is SLVERR.")
        L.append(f"  localparam int unsigned {up}_NUM_REGS = {n};")
        L.append(f"  localparam logic [31:0] {up}_ID_VALUE = 32'h{b.id_value:08x};")
        for r in b.regs:
            ru = r.name.upper()
            L.append(f"  localparam logic [31:0] {up}_{ru}_OFFSET = 32'h{r.offset:08x};")
            L.append(f"  localparam int unsigned {up}_{ru}_IDX = {r.index};")
        for r in b.regs:
            L.append("")
            L += wrap(f"{r.name} (+{r.offset:#04x}): {r.doc}", "  // ")
            for f in r.fields:
                reset = "hw" if f.reset is None else f"{f.reset:#x}"
                L += wrap(f"{f.name} {bits_str(f)} {f.access}, reset {reset}: {f.doc}", "  //   ")
            _sv_struct(L, f"{b.name}_{r.name}_t", [
                Field(f.name, f.lsb, f.width, f.doc, f.type_kind, f.type_name) for f in r.fields
            ], 32)
        L.append("")
        L.append(f"  // The whole {b.name} block, word 0 (the id word) at bits [31:0].")
        L.append("  typedef struct packed {")
        words = []
        by_index = {r.index: r for r in b.regs}
        for i in range(n):
            if i in by_index:
                r = by_index[i]
                words.append((f"{b.name}_{r.name}_t", r.name, f"+{r.offset:#04x}"))
            else:
                words.append(("logic [31:0]", f"rsvd{32 * i}", f"+{4 * i:#04x} (no register)"))
        tw = max(len(t) for t, _, _ in words)
        nw = max(len(x) for _, x, _ in words) + 1
        for t, x, c in reversed(words):
            L.append(f"    {t:<{tw}} {x + ';':<{nw}} // {c}")
        L.append(f"  }} {b.name}_regs_t;")
        L.append(f"  localparam logic [{32 * n - 1}:0] {up}_WRITE_MASK =")
        L.append(f"      {sv_hex(b.word_mask(('rw',)), 32 * n)};")
        L.append(f"  localparam logic [{32 * n - 1}:0] {up}_RESET =")
        L.append(f"      {sv_hex(b.word_reset(), 32 * n)};")
        L.append(f"  localparam logic [{32 * n - 1}:0] {up}_PULSE_MASK =")
        L.append(f"      {sv_hex(b.word_mask(('w1c', 'w1p')), 32 * n)};")
        L.append(f"  localparam logic [{32 * n - 1}:0] {up}_MGMT_MASK =")
        L.append(f"      {sv_hex(b.word_mgmt_mask(), 32 * n)};")

    L += ["", "  /* verilator lint_on UNUSEDPARAM */", "", "endpackage", ""]
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------
# Probe module (tests only): shows where the SystemVerilog package puts each field
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class ProbeEntry:
    kind: str            # STRUCT_FIELD, ENUM_ITEM, CSR_FIELD, CSR_REG, CSR_BLOCK
    sv: list[str]        # statements, in the probe's case arm
    cpp: str             # X-macro line for nic_hw_fields.inc
    width: int           # bits of value_o the entry uses


def probe_entries(d: Definition) -> list[ProbeEntry]:
    out: list[ProbeEntry] = []

    def add(kind, sv, cpp_args, width):
        idx = len(out)
        out.append(ProbeEntry(kind, sv, f"MBUFNIC_HW_{kind}({idx}, {cpp_args})", width))

    for e in d.enums:
        for v in e.values:
            item = f"nic_hw_pkg::{camel(e.name)}{camel(v.name)}"
            add("ENUM_ITEM", [f"e_{e.name} = {item};",
                              f"value_o[{e.width - 1}:0] = e_{e.name};",
                              f"bits_o = $bits(e_{e.name});"],
                f"{camel(e.name)}, k{camel(v.name)}", e.width)
    for s in d.structs:
        var = f"s_{s.name}"
        up = s.name.upper()
        for f in s.fields:
            add("STRUCT_FIELD", [
                f"{var}.{f.name} = {sv_ones(f)};",
                f"value_o[{s.bits - 1}:0] = {var};",
                f"bits_o = $bits({var});",
                f"info_o[31:0] = nic_hw_pkg::{up}_{f.name.upper()}_LSB;",
                f"info_o[63:32] = nic_hw_pkg::{up}_{f.name.upper()}_WIDTH;",
                f"info_o[95:64] = nic_hw_pkg::{up}_BYTES;",
            ], f"{camel(s.name)}, {f.name}, {camel(f.name)}", s.bits)
    for b in d.blocks:
        var = f"r_{b.name}"
        up = b.name.upper()
        n = b.num_regs
        add("CSR_BLOCK", [
            f"bits_o = $bits({var});",
            f"info_o[31:0] = nic_hw_pkg::{up}_BASE;",
            f"info_o[63:32] = nic_hw_pkg::{up}_SIZE;",
            f"info_o[95:64] = nic_hw_pkg::{up}_NUM_REGS;",
            f"info_o[127:96] = nic_hw_pkg::{up}_ID_VALUE;",
        ], b.name, 0)
        for r in b.regs:
            lo, hi = 32 * r.index, 32 * r.index + 31
            add("CSR_REG", [
                f"value_o[31:0] = nic_hw_pkg::{up}_RESET[{hi}:{lo}];",
                f"value_o[63:32] = nic_hw_pkg::{up}_WRITE_MASK[{hi}:{lo}];",
                f"value_o[95:64] = nic_hw_pkg::{up}_PULSE_MASK[{hi}:{lo}];",
                f"bits_o = $bits({var}.{r.name});",
                f"info_o[31:0] = nic_hw_pkg::{up}_{r.name.upper()}_OFFSET;",
                f"info_o[63:32] = nic_hw_pkg::{up}_{r.name.upper()}_IDX;",
            ], f"{b.name}, {r.name}, k{camel(r.name)}", 96)
            for f in r.fields:
                add("CSR_FIELD", [
                    f"{var}.{r.name}.{f.name} = {sv_ones(f)};",
                    f"value_o[{32 * n - 1}:0] = {var};",
                    f"bits_o = $bits({var});",
                ], f"{b.name}, {r.name}, k{camel(r.name)}, {camel(f.name)}", 32 * n)
    return out


def write_probe(d: Definition, src: str) -> tuple[str, str]:
    entries = probe_entries(d)
    vw = max([128] + [e.width for e in entries])
    L = [
        f"// {HEADER_NOTE.format(src=src)}",
        "//",
        "// nic_hw_probe: for tests only.  For entry field_i of nic_hw_fields.inc it drives",
        "// value_o with what the package says (a struct with only that field set to all ones,",
        "// an enum item, a register's reset and masks), bits_o with the $bits of the type and",
        "// info_o with the matching localparams, so a test can hold the C++ header against the",
        "// SystemVerilog package field by field.  count_o is the number of entries.",
        "module nic_hw_probe (",
        "  input  logic [15:0] field_i,",
        f"  output logic [{vw - 1}:0] value_o,",
        "  output logic [31:0] bits_o,",
        "  output logic [127:0] info_o,",
        "  output logic [15:0] count_o",
        ");",
        "",
        f"  assign count_o = 16'd{len(entries)};",
        "",
    ]
    # $bits of a variable, not of a package type: Yosys 0.55 reads only the former.
    decls = [f"  nic_hw_pkg::{e.name}_e e_{e.name};" for e in d.enums]
    decls += [f"  nic_hw_pkg::{s.name}_t s_{s.name};" for s in d.structs]
    decls += [f"  nic_hw_pkg::{b.name}_regs_t r_{b.name};" for b in d.blocks]
    L += decls
    L += ["", "  always_comb begin", "    value_o = '0;", "    bits_o  = '0;", "    info_o  = '0;"]
    L += [f"    e_{e.name} = nic_hw_pkg::{camel(e.name)}{camel(e.values[0].name)};"
          for e in d.enums]
    L += [f"    s_{s.name} = '0;" for s in d.structs]
    L += [f"    r_{b.name} = '0;" for b in d.blocks]
    L.append("    unique case (field_i)")
    for i, e in enumerate(entries):
        L.append(f"      16'd{i}: begin")
        L += [f"        {st}" for st in e.sv]
        L.append("      end")
    L += ["      default: ;", "    endcase", "  end", "", "endmodule", ""]

    inc = [
        f"// {HEADER_NOTE.format(src=src)}",
        "//",
        "// One line per nic_hw_probe entry, in the probe's order (the first argument is its",
        "// field_i).  Define the macros you use before including; the rest expand to nothing.",
        "//   MBUFNIC_HW_ENUM_ITEM(index, EnumType, kItem)",
        "//   MBUFNIC_HW_STRUCT_FIELD(index, StructType, field, Field)",
        "//   MBUFNIC_HW_CSR_BLOCK(index, block)",
        "//   MBUFNIC_HW_CSR_REG(index, block, reg, kReg)",
        "//   MBUFNIC_HW_CSR_FIELD(index, block, reg, kReg, Field)",
        "// MBUFNIC_HW_PROBE_ENTRIES is the number of entries.",
    ]
    for kind in ("ENUM_ITEM", "STRUCT_FIELD", "CSR_BLOCK", "CSR_REG", "CSR_FIELD"):
        inc += [f"#ifndef MBUFNIC_HW_{kind}", f"#define MBUFNIC_HW_{kind}(...)",
                f"#define MBUFNIC_HW_{kind}_UNDEF_", "#endif"]
    inc += [f"#define MBUFNIC_HW_PROBE_ENTRIES {len(entries)}"]
    inc += [e.cpp for e in entries]
    for kind in ("ENUM_ITEM", "STRUCT_FIELD", "CSR_BLOCK", "CSR_REG", "CSR_FIELD"):
        inc += [f"#ifdef MBUFNIC_HW_{kind}_UNDEF_", f"#undef MBUFNIC_HW_{kind}",
                f"#undef MBUFNIC_HW_{kind}_UNDEF_", "#endif"]
    inc.append("")
    return "\n".join(L), "\n".join(inc)


# ---------------------------------------------------------------------------------------------
# C++ header
# ---------------------------------------------------------------------------------------------

def cpp_assert(cond: str) -> list[str]:
    """static_assert(cond); broken at && to stay within 100 columns."""
    line = f"static_assert({cond});"
    if len(line) <= 100:
        return [line]
    parts = cond.split(" && ")
    out, cur = [], "static_assert("
    for k, p in enumerate(parts):
        piece = p + (" &&" if k + 1 < len(parts) else ");")
        if cur.strip() and len(cur) + len(piece) + 1 > 100 and cur != "static_assert(":
            out.append(cur.rstrip())
            cur = " " * 14
        cur += piece + " "
    out.append(cur.rstrip())
    return out


def cpp_ones(f: Field) -> str:
    """An all-ones value of the field's C++ type, for the compile-time layout checks."""
    if f.type_kind == "enum":
        return f"static_cast<{camel(f.type_name)}>({(1 << f.width) - 1:#x})"
    if f.type_kind == "struct":
        return f"detail::AllOnes<{camel(f.type_name)}>()"
    return "true" if f.width == 1 else f"{(1 << f.width) - 1:#x}u"


def cpp_uint(width: int) -> str:
    for w in (8, 16, 32, 64):
        if width <= w:
            return f"std::uint{w}_t"
    raise AssertionError(width)


def cpp_field_type(f: Field) -> str:
    if f.type_kind in ("enum", "struct"):
        return camel(f.type_name)
    return "bool" if f.width == 1 else cpp_uint(f.width)


CPP_PRELUDE = r"""
//
// mbufnic::hw: every layout the host shares with the card, from the same definition the
// RTL package nic_hw_pkg is generated from.  Structs hold their little-endian bytes
// exactly as they sit in host memory (copy them in and out with memcpy); the accessors
// work on any host byte order.  Zero one with `T x{};` (a plain `T x;` is uninitialised,
// like a C struct).  Setters keep the low bits of a value wider than its field, as the
// hardware would: range-check values before setting them.  CSR offsets are bytes from the
// block's base (csr::<block>::kBase).
#ifndef MBUFNIC_HW_NIC_HW_H_
#define MBUFNIC_HW_NIC_HW_H_

#if __cplusplus < 202002L
#error "mbufnic/hw/nic_hw.h needs C++20"
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace mbufnic::hw {

namespace detail {

// Bits [Lsb + Width - 1 : Lsb] of a little-endian byte array; only the bytes the field
// touches are read, so the compiler reduces a call to a load, a shift and a mask.
template <unsigned Lsb, unsigned Width, std::size_t N>
constexpr std::uint64_t GetBits(const std::array<std::uint8_t, N>& b) {
  static_assert(Width >= 1 && Width <= 64 && Lsb + Width <= N * 8);
  std::uint64_t v = 0;
  for (unsigned i = Lsb / 8; i <= (Lsb + Width - 1) / 8; ++i) {
    const unsigned pos = i * 8;  // bit position of byte i
    v |= pos >= Lsb ? std::uint64_t{b[i]} << (pos - Lsb) : std::uint64_t{b[i]} >> (Lsb - pos);
  }
  return Width == 64 ? v : v & ((std::uint64_t{1} << Width) - 1);
}

template <unsigned Lsb, unsigned Width, std::size_t N>
constexpr void SetBits(std::array<std::uint8_t, N>& b, std::uint64_t v) {
  static_assert(Width >= 1 && Width <= 64 && Lsb + Width <= N * 8);
  const std::uint64_t mask = Width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << Width) - 1;
  v &= mask;
  for (unsigned i = Lsb / 8; i <= (Lsb + Width - 1) / 8; ++i) {
    const unsigned pos = i * 8;
    const std::uint64_t m = pos >= Lsb ? mask >> (pos - Lsb) : mask << (Lsb - pos);
    const std::uint64_t x = pos >= Lsb ? v >> (pos - Lsb) : v << (Lsb - pos);
    b[i] = static_cast<std::uint8_t>((b[i] & ~m) | (x & m));
  }
}

// A nested struct field: whole bytes, copied.
template <std::size_t Offset, std::size_t M, std::size_t N>
constexpr std::array<std::uint8_t, M> GetBytes(const std::array<std::uint8_t, N>& b) {
  static_assert(Offset + M <= N);
  std::array<std::uint8_t, M> out{};
  for (std::size_t i = 0; i < M; ++i) out[i] = b[Offset + i];
  return out;
}

template <std::size_t Offset, std::size_t M, std::size_t N>
constexpr void SetBytes(std::array<std::uint8_t, N>& b, const std::array<std::uint8_t, M>& v) {
  static_assert(Offset + M <= N);
  for (std::size_t i = 0; i < M; ++i) b[Offset + i] = v[i];
}

// Compile-time layout checks: b has exactly bits [lsb + width - 1 : lsb] set.
template <std::size_t N>
constexpr bool OnlyBits(const std::array<std::uint8_t, N>& b, unsigned lsb, unsigned width) {
  for (unsigned i = 0; i < N * 8; ++i) {
    const bool set = ((b[i / 8] >> (i % 8)) & 1u) != 0;
    if (set != (i >= lsb && i < lsb + width)) return false;
  }
  return true;
}

template <typename T>
constexpr T AllOnes() {
  T t{};
  for (auto& byte : t.bytes) byte = 0xFF;
  return t;
}

}  // namespace detail
"""


CPP_CSR_PRELUDE = r"""
// Every block starts with the same id/version word (offset 0): block id in [31:16],
// major version in [15:8], minor in [7:0].  A host accepts a block when the id and
// the major version match and the minor version is at least the one it knows.
namespace csr {

inline constexpr std::uint32_t kIdBlockShift = 16;
inline constexpr std::uint32_t kIdBlockMask = 0xFFFF0000u;
inline constexpr std::uint32_t kIdMajorShift = 8;
inline constexpr std::uint32_t kIdMajorMask = 0x0000FF00u;
inline constexpr std::uint32_t kIdMinorShift = 0;
inline constexpr std::uint32_t kIdMinorMask = 0x000000FFu;

// True when a block whose id word reads `found` can be driven by code written for
// `known` (the generated kIdValue).
constexpr bool IdCompatible(std::uint32_t found, std::uint32_t known) {
  return (found & (kIdBlockMask | kIdMajorMask)) == (known & (kIdBlockMask | kIdMajorMask)) &&
         (found & kIdMinorMask) >= (known & kIdMinorMask);
}

// One register, for code that walks a block (register dumps, bus tests).
struct RegInfo {
  const char* name;
  std::uint32_t offset;      // bytes from the block's base
  std::uint32_t reset;       // value after reset (0 in bits the hardware defines)
  std::uint32_t rw_mask;     // bits the host writes and reads back
  std::uint32_t pulse_mask;  // bits where writing 1 starts an action (w1c, w1p)
  std::uint32_t mgmt_mask;   // of those, bits only the card's management side may change
};

// The card's address map, for code that walks it.
struct BlockInfo {
  const char* name;
  std::uint32_t base;
  std::uint32_t size;
  std::uint32_t id_value;
  std::uint32_t count;  // copies, copy i at base + i * size
};
"""


def write_cpp(d: Definition, src: str) -> str:
    L = [
        f"// {HEADER_NOTE.format(src=src)}",
        *CPP_PRELUDE.strip("\n").split("\n"),
    ]

    if d.enums:
        L += ["", banner("// ", "Enums")]
    for e in d.enums:
        L.append("")
        L += wrap(f"{e.name}: {e.doc}", "// ")
        L.append(f"enum class {camel(e.name)} : {cpp_uint(e.width)} {{")
        for v in e.values:
            doc = f"  // {' '.join(v.doc.split())}" if v.doc else ""
            L.append(f"  k{camel(v.name)} = {v.value},{doc}")
        L.append("};")
        L.append(f"inline constexpr unsigned k{camel(e.name)}Width = {e.width};")
        L.append(f"// The value's name as hw/nic.toml spells it (\"?\" for a value it does not define).")
        L.append(f"constexpr const char* Name({camel(e.name)} v) {{")
        L.append("  switch (v) {")
        for v in e.values:
            L.append(f"    case {camel(e.name)}::k{camel(v.name)}:")
            L.append(f"      return \"{v.name}\";")
        L.append("  }")
        L.append("  return \"?\";")
        L.append("}")

    if d.structs:
        L += ["", banner("// ", "Structs")]
    for s in d.structs:
        T = camel(s.name)
        L.append("")
        L += wrap(f"{s.name} ({s.nbytes} byte{'s' if s.nbytes > 1 else ''}"
                  f"{', DRAFT' if s.draft else ''}): {s.doc}", "// ")
        L.append(f"struct {T} {{")
        L.append(f"  static constexpr std::size_t kBytes = {s.nbytes};")
        for f in s.fields:
            C = camel(f.name)
            L.append(f"  static constexpr unsigned k{C}Lsb = {f.lsb};")
            L.append(f"  static constexpr unsigned k{C}Width = {f.width};")
            if f.type_kind is None:
                L.append(f"  static constexpr std::uint64_t k{C}Max = {(1 << f.width) - 1:#x};")
        L.append("")
        # No default member initializer: it would make the struct non-trivial, and code that
        # memcpy's a ring entry into it would warn (-Wclass-memaccess).  T x{} zeroes it.
        L.append("  std::array<std::uint8_t, kBytes> bytes;")
        for f in s.fields:
            C = camel(f.name)
            ft = cpp_field_type(f)
            L.append("")
            L += wrap(f"{f.name} {bits_str(f)}: {f.doc}", "  // ")
            if f.type_kind == "struct":
                n = f.width // 8
                L.append(f"  constexpr {ft} {f.name}() const {{")
                L.append(f"    return {ft}{{detail::GetBytes<k{C}Lsb / 8, {n}>(bytes)}};")
                L.append("  }")
                L.append(f"  constexpr {T}& set_{f.name}(const {ft}& v) {{")
                L.append(f"    detail::SetBytes<k{C}Lsb / 8>(bytes, v.bytes);")
            else:
                L.append(f"  constexpr {ft} {f.name}() const {{")
                L.append(f"    return static_cast<{ft}>(")
                L.append(f"        detail::GetBits<k{C}Lsb, k{C}Width>(bytes));")
                L.append("  }")
                L.append(f"  constexpr {T}& set_{f.name}({ft} v) {{")
                L.append(f"    detail::SetBits<k{C}Lsb, k{C}Width>(bytes, "
                         f"static_cast<std::uint64_t>(v));")
            L.append("    return *this;")
            L.append("  }")
        L.append("")
        L.append(f"  friend constexpr bool operator==(const {T}&, const {T}&) = default;")
        L.append("};")
        L.append(f"static_assert(sizeof({T}) == {s.nbytes} && {T}::kBytes == {s.nbytes});")
        L += cpp_assert(f"std::is_trivial_v<{T}> && std::is_standard_layout_v<{T}>")
        # Each setter, given all ones, sets exactly the field's bits, at the position the
        # definition gives (the numbers are spelled out, not taken from the constants above).
        for f in s.fields:
            C = camel(f.name)
            L += cpp_assert(f"{T}::k{C}Lsb == {f.lsb} && {T}::k{C}Width == {f.width}")
            L += cpp_assert(f"detail::OnlyBits({T}{{}}.set_{f.name}({cpp_ones(f)}).bytes, "
                            f"{f.lsb}, {f.width})")

    if d.blocks:
        L += ["", banner("// ", "CSR blocks"), *CPP_CSR_PRELUDE.strip("\n").split("\n")]
    for b in d.blocks:
        L.append("")
        L += wrap(f"{b.name} block: {b.doc}", "// ")
        L.append(f"namespace {b.name} {{")
        L.append(f"inline constexpr std::uint32_t kBase = {b.base:#06x};")
        L.append(f"inline constexpr std::uint32_t kSize = {b.size:#x};")
        L.append(f"// Copies in the address map; copy i starts at Base(i) = kBase + i * kSize.")
        L.append(f"inline constexpr std::uint32_t kCount = {b.count};")
        L.append("constexpr std::uint32_t Base(std::uint32_t i) { return kBase + i * kSize; }")
        L.append(f"inline constexpr std::uint32_t kNumRegs = {b.num_regs};")
        L.append(f"inline constexpr std::uint32_t kIdValue = {b.id_value:#010x};"
                 f"  // id {b.block_id:#06x}, v{b.major}.{b.minor}")
        L.append("// Register offsets, in bytes from kBase.")
        for r in b.regs:
            L.append(f"inline constexpr std::uint32_t k{camel(r.name)} = {r.offset:#04x};")
        for r in b.regs:
            L.append("")
            L += wrap(f"{r.name} (+{r.offset:#04x}): {r.doc}", "// ")
            L.append(f"namespace {r.name} {{")
            L.append(f"inline constexpr std::uint32_t kReset = {r.reset:#010x};")
            L.append(f"inline constexpr std::uint32_t kRwMask = {r.mask(('rw',)):#010x};")
            L.append(f"inline constexpr std::uint32_t kPulseMask = {r.mask(('w1c', 'w1p')):#010x};")
            L.append(f"inline constexpr std::uint32_t kMgmtMask = {r.mgmt_mask():#010x};")
            for f in r.fields:
                C = camel(f.name)
                reset = "hw" if f.reset is None else f"{f.reset:#x}"
                who = ", management side only" if f.side == "mgmt" else ""
                L += wrap(f"{f.name} {bits_str(f)} {f.access}{who}, reset {reset}: {f.doc}", "// ")
                L.append(f"inline constexpr std::uint32_t k{C}Shift = {f.lsb};")
                L.append(f"inline constexpr std::uint32_t k{C}Width = {f.width};")
                L.append(f"inline constexpr std::uint32_t k{C}Mask = "
                         f"{((1 << f.width) - 1) << f.lsb:#010x};")
            L.append(f"}}  // namespace {r.name}")
        L.append("")
        L.append("// Every register of the block, in offset order.")
        L.append(f"inline constexpr std::array<RegInfo, {len(b.regs)}> kRegs = {{{{")
        for r in b.regs:
            head = f"    {{\"{r.name}\", k{camel(r.name)}, {r.name}::kReset, "
            tail = f"{r.name}::kRwMask, {r.name}::kPulseMask, {r.name}::kMgmtMask}},"
            if len(head) + len(tail) <= 100:
                L.append(head + tail)
            else:
                L += [head.rstrip(), "     " + tail]
        L.append("}};")
        # Compile-time checks of the block, stated independently of the numbers above where
        # the rule allows it.
        L.append("")
        L.append("static_assert(kBase % kSize == 0 && (kSize & (kSize - 1)) == 0);")
        L.append("static_assert(kNumRegs * 4 <= kSize);")
        L.append("static_assert(kId == 0 && id::kReset == kIdValue);")
        for r in b.regs:
            C = camel(r.name)
            L += cpp_assert(f"k{C} == {r.offset:#04x} && k{C} % 4 == 0 && k{C} < kNumRegs * 4")
            ns = r.name
            L.append(f"static_assert(({ns}::kRwMask & {ns}::kPulseMask) == 0);")
            used = 0
            for f in r.fields:
                FC = camel(f.name)
                mask = ((1 << f.width) - 1) << f.lsb
                L += cpp_assert(f"{ns}::k{FC}Shift == {f.lsb} && {ns}::k{FC}Width == {f.width} && "
                                f"{ns}::k{FC}Mask == {mask:#010x}")
                used |= mask
            # Storage, pulses and reset values only in named fields.
            if used != 0xFFFFFFFF:
                L += cpp_assert(" && ".join(f"({ns}::{k} & ~{used:#010x}u) == 0"
                                            for k in ("kRwMask", "kPulseMask", "kReset")))
        L.append(f"}}  // namespace {b.name}")
    if d.blocks:
        L.append("")
        L.append(f"inline constexpr std::array<BlockInfo, {len(d.blocks)}> kBlocks = {{{{")
        for b in d.blocks:
            L.append(f"    {{\"{b.name}\", {b.name}::kBase, {b.name}::kSize, {b.name}::kIdValue, {b.name}::kCount}},")
        L.append("}};")
        L.append("")
        L.append("// The register at byte offset `offset` of the card's address map (any copy of a")
        L.append("// block), or nullptr where there is none.")
        L.append("constexpr const RegInfo* FindReg(std::uint32_t offset) {")
        for b in d.blocks:
            n = b.name
            L.append(f"  if (offset >= {n}::kBase && offset - {n}::kBase < {n}::kSize * {n}::kCount) {{")
            L.append(f"    const std::uint32_t rel = (offset - {n}::kBase) % {n}::kSize;")
            L.append(f"    for (const RegInfo& r : {n}::kRegs) {{")
            L.append("      if (r.offset == rel) return &r;")
            L.append("    }")
            L.append("    return nullptr;")
            L.append("  }")
        L.append("  return nullptr;")
        L.append("}")
        L.append("")
        L.append("}  // namespace csr")
    L += ["", "}  // namespace mbufnic::hw", "", "#endif  // MBUFNIC_HW_NIC_HW_H_", ""]
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------
# C header (C99, freestanding: the card's firmware reads this)
# ---------------------------------------------------------------------------------------------

C_PRELUDE = r"""
/*
 * Every layout the card's firmware shares with the host and the RTL, as C99 macros from the
 * same definition as nic_hw.h and nic_hw_pkg.sv (usable freestanding: <stdint.h> only).
 *
 *   NIC_<ENUM>_<VALUE>                              enum values
 *   NIC_<STRUCT>_BYTES, NIC_<STRUCT>_<FIELD>_LSB/_WIDTH
 *                                                   structs: bit positions in the little-endian
 *                                                   bytes as they sit in memory
 *   NIC_<BLOCK>_BASE/_SIZE/_ID_VALUE (/_COUNT)      CSR blocks; copy i at BASE + i * SIZE
 *   NIC_<BLOCK>_<REG>                               register byte offset from the block's base
 *   NIC_<BLOCK>_<REG>_RESET/_RW_MASK/_PULSE_MASK    the register's reset word and access masks
 *   NIC_<BLOCK>_<REG>_<FIELD>_SHIFT/_MASK           fields of a register (mask in place)
 *
 * nic_get_bits()/nic_set_bits() read and write a field of up to 64 bits in such bytes on any
 * host byte order.
 */
#ifndef MBUFNIC_HW_NIC_HW_C_H_
#define MBUFNIC_HW_NIC_HW_C_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits [lsb + width - 1 : lsb] of the little-endian bytes b (1 <= width <= 64). */
static inline uint64_t nic_get_bits(const uint8_t *b, unsigned lsb, unsigned width) {
  uint64_t v = 0;
  unsigned i;
  for (i = lsb / 8; i <= (lsb + width - 1) / 8; ++i) {
    const unsigned pos = i * 8; /* bit position of byte i */
    v |= pos >= lsb ? (uint64_t)b[i] << (pos - lsb) : (uint64_t)b[i] >> (lsb - pos);
  }
  return width >= 64 ? v : v & (((uint64_t)1 << width) - 1);
}

/* Sets bits [lsb + width - 1 : lsb] of b to the low width bits of v; other bits unchanged. */
static inline void nic_set_bits(uint8_t *b, unsigned lsb, unsigned width, uint64_t v) {
  const uint64_t mask = width >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << width) - 1;
  unsigned i;
  v &= mask;
  for (i = lsb / 8; i <= (lsb + width - 1) / 8; ++i) {
    const unsigned pos = i * 8;
    const uint64_t m = pos >= lsb ? mask >> (pos - lsb) : mask << (lsb - pos);
    const uint64_t x = pos >= lsb ? v >> (pos - lsb) : v << (lsb - pos);
    b[i] = (uint8_t)((b[i] & ~m) | (x & m));
  }
}

/* A struct field by name: NIC_GET(b, ADMIN_CMD, OPCODE), NIC_SET(b, ADMIN_CPL, TAG, 7). */
#define NIC_GET(b, s, f) nic_get_bits((b), NIC_##s##_##f##_LSB, NIC_##s##_##f##_WIDTH)
#define NIC_SET(b, s, f, v) nic_set_bits((b), NIC_##s##_##f##_LSB, NIC_##s##_##f##_WIDTH, (v))
"""


def c_banner(title: str) -> str:
    return banner("/* ", title)[:97] + " */"


def c_names(d: Definition):
    """(identifier, owner) for every macro write_c emits, for the collision check."""
    for e in d.enums:
        for v in e.values:
            yield f"NIC_{e.name.upper()}_{v.name.upper()}", f"enum {e.name}.{v.name}"
    for s in d.structs:
        own = f"struct {s.name}"
        yield f"NIC_{s.name.upper()}_BYTES", own
        for f in s.fields:
            for suffix in ("LSB", "WIDTH"):
                yield f"NIC_{s.name.upper()}_{f.name.upper()}_{suffix}", f"{own}.{f.name}"
    for b in d.blocks:
        own = f"block {b.name}"
        up = f"NIC_{b.name.upper()}"
        for ident in ("BASE", "SIZE", "ID_VALUE") + (("COUNT",) if b.count > 1 else ()):
            yield f"{up}_{ident}", own
        for r in b.regs:
            ro = f"{own}.{r.name}"
            yield f"{up}_{r.name.upper()}", ro
            for ident in ("RESET", "RW_MASK", "PULSE_MASK"):
                yield f"{up}_{r.name.upper()}_{ident}", ro
            for f in r.fields:
                for suffix in ("SHIFT", "MASK"):
                    yield f"{up}_{r.name.upper()}_{f.name.upper()}_{suffix}", f"{ro}.{f.name}"


def c_define(name: str, value: str, doc: str = "") -> list[str]:
    line = f"#define {name} {value}"
    if not doc:
        return [line]
    doc = " ".join(doc.split())
    one = f"{line} /* {doc} */"
    if len(one) <= 100:
        return [one]
    return [*c_comment(doc), line]


def c_comment(text: str, indent: str = "") -> list[str]:
    """text as a C comment: one line when it fits, else a block."""
    lines = wrap(text, indent + " * ")
    if not lines:
        return []
    one = f"{indent}/* {lines[0][len(indent) + 3:]} */"
    if len(lines) == 1 and len(one) <= 100:
        return [one]
    return [f"{indent}/*", *lines, f"{indent} */"]


def write_c(d: Definition, src: str) -> str:
    L = [f"/* {HEADER_NOTE.format(src=src)} */", *C_PRELUDE.strip("\n").split("\n")]

    if d.enums:
        L += ["", c_banner("Enums")]
    for e in d.enums:
        L.append("")
        L += c_comment(f"{e.name} ({e.width} bits): {e.doc}")
        for v in e.values:
            L += c_define(f"NIC_{e.name.upper()}_{v.name.upper()}", f"{v.value}u", v.doc)

    if d.structs:
        L += ["", c_banner("Structs")]
    for s in d.structs:
        S = f"NIC_{s.name.upper()}"
        L.append("")
        L += c_comment(f"{s.name} ({s.nbytes} byte{'s' if s.nbytes > 1 else ''}"
                       f"{', DRAFT' if s.draft else ''}): {s.doc}")
        L.append(f"#define {S}_BYTES {s.nbytes}u")
        for f in s.fields:
            typ = f" ({f.type_kind} {f.type_name})" if f.type_name else ""
            L += c_comment(f"{f.name} {bits_str(f)}{typ}: {f.doc}")
            L.append(f"#define {S}_{f.name.upper()}_LSB {f.lsb}u")
            L.append(f"#define {S}_{f.name.upper()}_WIDTH {f.width}u")

    if d.blocks:
        L += ["", c_banner("CSR blocks")]
    for b in d.blocks:
        B = f"NIC_{b.name.upper()}"
        L.append("")
        L += c_comment(f"{b.name} block: {b.doc}")
        L.append(f"#define {B}_BASE {b.base:#06x}u")
        L.append(f"#define {B}_SIZE {b.size:#x}u")
        L.append(f"#define {B}_ID_VALUE {b.id_value:#010x}u /* id {b.block_id:#06x}, "
                 f"v{b.major}.{b.minor} */")
        if b.count > 1:
            L.append(f"#define {B}_COUNT {b.count}u /* copy i at {B}_BASE + i * {B}_SIZE */")
        for r in b.regs:
            R = f"{B}_{r.name.upper()}"
            L += c_comment(f"{r.name} (+{r.offset:#04x}): {r.doc}")
            L.append(f"#define {R} {r.offset:#04x}u")
            L.append(f"#define {R}_RESET {r.reset:#010x}u")
            L.append(f"#define {R}_RW_MASK {r.mask(('rw',)):#010x}u")
            L.append(f"#define {R}_PULSE_MASK {r.mask(('w1c', 'w1p')):#010x}u")
            for f in r.fields:
                reset = "hw" if f.reset is None else f"{f.reset:#x}"
                who = ", management side only" if f.side == "mgmt" else ""
                L += c_comment(f"{f.name} {bits_str(f)} {f.access}{who}, reset {reset}: {f.doc}",
                               "  ")
                L.append(f"#define {R}_{f.name.upper()}_SHIFT {f.lsb}u")
                L.append(f"#define {R}_{f.name.upper()}_MASK {((1 << f.width) - 1) << f.lsb:#010x}u")

    L += ["", "#ifdef __cplusplus", "}", "#endif", "", "#endif /* MBUFNIC_HW_NIC_HW_C_H_ */", ""]
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------

def md_text(s: str) -> str:
    return " ".join(s.split()).replace("|", "\\|")


def md_access(f: Field) -> str:
    return f"{f.access} (mgmt)" if f.side == "mgmt" else f.access


def write_md(d: Definition, src: str) -> str:
    L = [f"<!-- {HEADER_NOTE.format(src=src)} -->", "",
         "# mbufnic hardware definitions", "",
         "Generated from `hw/nic.toml`; `docs/hw.md` says how to change it.  Bit 0 is bit 0 of",
         "byte 0 of a struct (little-endian); a CSR offset is in bytes from its block's base.",
         "Bits no field names are reserved: write 0, ignore on read.", ""]
    if d.blocks:
        L += ["## CSR address map", "", "| Block | Base | Size | Copies | Id word | Meaning |",
              "|---|---|---|---|---|---|"]
        for b in d.blocks:
            L.append(f"| [{b.name}](#csr-block-{b.name}) | `{b.base:#06x}` | `{b.size:#x}` | "
                     f"{b.count} | `{b.id_value:#010x}` | {md_text(b.doc)} |")
        L += ["", "Access kinds:", ""]
        L += [f"- `{k}`: {v}." for k, v in ACCESS_MEANING.items()]
        L += ["", "Reset `hw`: the value is the hardware's (a capability, a width), not a stored "
                  "reset value.", ""]
    for e in d.enums:
        L += [f"## Enum {e.name}", "", f"{e.width} bits.  {md_text(e.doc)}", "",
              "| Value | Name | Meaning |", "|---|---|---|"]
        for v in e.values:
            L.append(f"| {v.value} | `{v.name}` | {md_text(v.doc)} |")
        L.append("")
    for s in d.structs:
        typed = any(f.type_name for f in s.fields)
        L += [f"## Struct {s.name}", "",
              f"{'**Draft.** ' if s.draft else ''}{s.nbytes} byte{'s' if s.nbytes > 1 else ''}.  "
              f"{md_text(s.doc)}", ""]
        L += ["| Field | Bits | Type | Meaning |", "|---|---|---|---|"] if typed else \
             ["| Field | Bits | Meaning |", "|---|---|---|"]
        for f in reversed(with_reserved(s.fields, s.bits)):
            name = "*reserved*" if f.reserved else f"`{f.name}`"
            typ = f" `{f.type_name}` |" if f.type_name else (" |" if typed else "")
            L.append(f"| {name} | {bits_str(f)} |{typ} {md_text(f.doc)} |")
        L.append("")
    for b in d.blocks:
        L += [f"## CSR block {b.name}", "",
              f"Base `{b.base:#06x}`, size `{b.size:#x}`, id `{b.block_id:#06x}`, version "
              f"{b.major}.{b.minor}.  {md_text(b.doc)}  Offsets past `{4 * (b.num_regs - 1):#04x}` "
              "answer SLVERR.", "",
              "| Offset | Register | Field | Bits | Access | Reset | Meaning |",
              "|---|---|---|---|---|---|---|"]
        for r in b.regs:
            if len(r.fields) == 1 and r.fields[0].name == "value" and r.fields[0].width == 32:
                f = r.fields[0]
                reset = "hw" if f.reset is None else f"`{f.reset:#x}`"
                L.append(f"| `{r.offset:#04x}` | **{r.name}** | | [31:0] | {md_access(f)} | {reset} | "
                         f"{md_text(r.doc)} |")
                continue
            reset = "hw" if all(f.reset is None for f in r.fields) else f"`{r.reset:#010x}`"
            L.append(f"| `{r.offset:#04x}` | **{r.name}** | | | | {reset} | {md_text(r.doc)} |")
            for f in reversed(r.fields):
                reset = "hw" if f.reset is None else f"`{f.reset:#x}`"
                typ = f" (`{f.type_name}`)" if f.type_name else ""
                L.append(f"| | | `{f.name}`{typ} | {bits_str(f)} | {md_access(f)} | {reset} | "
                         f"{md_text(f.doc)} |")
        L.append("")
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------

def write_if_changed(path: str, text: str) -> None:
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--toml", required=True, help="the definition (hw/nic.toml)")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args(argv)
    try:
        d = load(args.toml)
    except DefError as e:
        sys.stderr.write(f"{args.toml}: {e.item}: {e.message}\n")
        return 1
    src = os.path.basename(args.toml)
    probe, inc = write_probe(d, src)
    outputs = {
        "nic_hw_pkg.sv": write_sv_pkg(d, src),
        os.path.join("include", "mbufnic", "hw", "nic_hw.h"): write_cpp(d, src),
        os.path.join("include", "mbufnic", "hw", "nic_hw_c.h"): write_c(d, src),
        "nic_hw.md": write_md(d, src),
        "nic_hw_probe.sv": probe,
        "nic_hw_fields.inc": inc,
    }
    for rel, text in outputs.items():
        write_if_changed(os.path.join(args.out, rel), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
