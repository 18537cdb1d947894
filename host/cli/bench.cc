// `mbufnic bench` (bench.h).
#include "bench.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "throughput.h"

namespace mbufnic::cli {

namespace {

namespace tp = throughput;
using nlohmann::json;

constexpr std::size_t kTsoMss[] = {1448, 8948};

// One frame size's figures, or one TSO request size's (transmit only).
struct Row {
  std::size_t size = 0;  // frame bytes, or the MSS of a TSO row
  bool tso = false;
  tp::Measurement tx, rx;
};

std::string RowName(const Row &r) {
  return r.tso ? fmt::format("TSO 64 KiB, MSS {}", r.size) : std::to_string(r.size);
}

std::string LinkText(double gbps) {
  return gbps == 0 ? "unlimited" : fmt::format("{:g} Gb/s", gbps);
}

// The Markdown table, a line at a time so it can be printed as the rows are measured.
std::string TableHead(bool tso) {
  std::string h =
      "| frame bytes | TX frames/cycle | TX Gb/s | TX line Gb/s | RX frames/cycle | RX Gb/s "
      "| RX line Gb/s | RX dropped |";
  std::string rule = "|--:|--:|--:|--:|--:|--:|--:|--:|";
  if (tso) {
    h += " TSO payload Gb/s |";
    rule += "--:|";
  }
  return h + "\n" + rule + "\n";
}

std::string TableRow(const Row &r, bool tso_column) {
  std::string s = fmt::format("| {} | {:.4f} | {:.1f} | {:.1f} |", RowName(r),
                              r.tx.frames_per_cycle, r.tx.gbps, r.tx.line_gbps);
  if (r.tso) {
    s += "  |  |  |  |";
  } else {
    s += fmt::format(" {:.4f} | {:.1f} | {:.1f} | {} of {} |", r.rx.frames_per_cycle, r.rx.gbps,
                     r.rx.line_gbps, r.rx.dropped, r.rx.count);
  }
  if (tso_column) s += r.tso ? fmt::format(" {:.1f} |", r.tx.payload_gbps) : "  |";
  return s + "\n";
}

json ToJson(const tp::Measurement &m, bool rx, bool tso) {
  json j = {{"count", m.count},
            {"frames", m.frames},
            {"frames_per_cycle", m.frames_per_cycle},
            {"bytes_per_cycle", m.bytes_per_cycle},
            {"gbps", m.gbps},
            {"line_gbps", m.line_gbps},
            {"window_cycles", m.window_cycles},
            {"sim_cycles", m.sim_cycles},
            {"wall_seconds", m.wall_seconds},
            {"sim_cycles_per_s", m.sim_cycles_per_s}};
  if (tso) j["payload_gbps"] = m.payload_gbps;
  if (rx) {
    j["dropped"] = m.dropped;
    j["dropped_nobuf"] = m.dropped_nobuf;
  }
  return j;
}

// The gnuplot data: one line per frame size (TSO rows are not frame sizes: table and JSON only).
std::string Csv(const std::vector<Row> &rows) {
  std::string s =
      "frame_bytes,tx_frames_per_cycle,tx_gbps,tx_line_gbps,rx_frames_per_cycle,rx_gbps,"
      "rx_line_gbps,rx_offered,rx_dropped\n";
  for (const Row &r : rows) {
    if (r.tso) continue;
    s += fmt::format("{},{:.6f},{:.3f},{:.3f},{:.6f},{:.3f},{:.3f},{},{}\n", r.size,
                     r.tx.frames_per_cycle, r.tx.gbps, r.tx.line_gbps, r.rx.frames_per_cycle,
                     r.rx.gbps, r.rx.line_gbps, r.rx.count, r.rx.dropped);
  }
  return s;
}

std::string Basename(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Dirname(const std::string &path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The gnuplot script.  It names its data and images without a directory and is run from the
// directory it sits in, so `gnuplot NAME.gp` there plots again (after editing it, say).
std::string PlotScript(const BenchOptions &o, double link_gbps, const std::vector<Row> &rows) {
  const std::string name = Basename(o.out);
  double top = 0;
  std::string xtics;
  std::size_t lo = SIZE_MAX, hi = 0;
  for (const Row &r : rows) {
    if (r.tso) continue;
    top = std::max({top, r.tx.line_gbps, r.rx.line_gbps});
    xtics += fmt::format("{}{}", xtics.empty() ? "" : ", ", r.size);
    lo = std::min(lo, r.size);
    hi = std::max(hi, r.size);
  }
  // The dashed line is the link's rate, or 100GbE's as a yardstick when the link is unlimited.
  const double rate = link_gbps > 0 ? link_gbps : 100;
  const double ymax = std::ceil(std::max(top, rate) * 1.15 / 10) * 10;
  std::string s = fmt::format(
      "# mbufnic bench: transmit and receive throughput against frame size, from {0}.csv.\n"
      "# Plot again: gnuplot {0}.gp (in this directory).\n"
      "set datafile separator comma\n"
      "set title \"mbufnic bench: the whole card through the driver, backend {1}, link {2}{8}\"\n"
      "set xlabel \"frame size (bytes)\"\n"
      "set ylabel \"Gb/s (line: frames with preamble and gap)\"\n"
      "set logscale x 2\n"
      "set xtics ({3})\n"
      "set xrange [{4}:{5}]\n"
      "set yrange [0:{6}]\n"
      "set grid\n"
      "set key bottom right\n"
      "set arrow from graph 0, first {7} to graph 1, first {7} nohead dashtype 2 lw 1.5 "
      "lc rgb \"#555555\"\n"
      "set label \"{7:g}GbE line rate\" at graph 0.02, first {7} offset 0,0.8 "
      "tc rgb \"#555555\"\n",
      name, o.common.backend, LinkText(link_gbps), xtics, static_cast<double>(lo) / 1.3,
      static_cast<double>(hi) * 1.3, ymax, rate, o.duplex ? ", full duplex" : "");
  // On the wire (with preamble and gap: what the link's rate is counted in) as the main lines;
  // frame bytes alone, dashed, show what small frames give up to the per-frame overhead.
  const std::string plot = fmt::format(
      "plot '{0}.csv' skip 1 using 1:4 with linespoints lw 2 pt 6 ps 1.6 lc rgb \"#1f77b4\" "
      "title \"TX line Gb/s\", \\\n"
      "     '{0}.csv' skip 1 using 1:7 with linespoints lw 2 pt 7 ps 0.9 lc rgb \"#d62728\" "
      "title \"RX line Gb/s\", \\\n"
      "     '{0}.csv' skip 1 using 1:3 with linespoints lw 1 dt 3 pt 6 ps 1.2 "
      "lc rgb \"#1f77b4\" title \"TX Gb/s (frame bytes)\", \\\n"
      "     '{0}.csv' skip 1 using 1:6 with linespoints lw 1 dt 3 pt 7 ps 0.7 "
      "lc rgb \"#d62728\" title \"RX Gb/s (frame bytes)\"\n",
      name);
  bool first = true;
  if (o.format != "png") {
    s += fmt::format("set terminal svg size 900,540 dynamic\nset output '{}.svg'\n", name);
    s += plot;
    first = false;
  }
  if (o.format != "svg") {
    // gnuplot without cairo has the libgd png terminal only.
    s += fmt::format(
        "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {{\n"
        "  set terminal pngcairo size 900,540\n"
        "}} else {{\n"
        "  set terminal png size 900,540\n"
        "}}\n"
        "set output '{}.png'\n",
        name);
    s += first ? plot : "replot\n";
  }
  return s + "unset output\n";
}

// gnuplot's path on PATH, or "" when it is not there.
std::string FindOnPath(const char *program) {
  const char *path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string dirs = path;
  for (std::size_t at = 0; at <= dirs.size();) {
    std::size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end == at ? "." : dirs.substr(at, end - at);
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return "";
}

// Runs `gnuplot script` in `dir`; its output goes to our stderr so stdout stays the table.
// Returns its exit status, or -1 when it could not be started.
int RunGnuplot(const std::string &gnuplot, const std::string &dir, const std::string &script) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(126);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execl(gnuplot.c_str(), "gnuplot", script.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool WriteFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (f.fail()) {
    fmt::print(stderr, "mbufnic bench: cannot write {}: {}\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

// Progress on a terminal only: a line that the next one (or the table) overwrites.
class Progress {
 public:
  explicit Progress(bool on) : on_(on) {}
  void Show(const std::string &what) {
    if (on_) fmt::print(stderr, "\r\033[K  measuring {} ...", what);
  }
  void Clear() {
    if (on_) fmt::print(stderr, "\r\033[K");
  }

 private:
  bool on_;
};

void PrintRun(const char *dir, const std::string &what, const tp::Measurement &m) {
  fmt::print(stderr,
             "  {} {}: {} frames, window {:.0f} cycles: {:.4f} frames/cycle, {:.1f} Gb/s, line "
             "{:.1f} Gb/s{}; {} simulated cycles in {:.2f} s ({:.0f} k cycles/s)\n",
             dir, what, m.frames, m.window_cycles, m.frames_per_cycle, m.gbps, m.line_gbps,
             *dir == 'r' ? fmt::format(", {} dropped", m.dropped) : std::string(), m.sim_cycles,
             m.wall_seconds, m.sim_cycles_per_s / 1e3);
}

// A failed measurement's exit code and message (nullopt: it did not fail).
std::optional<int> Failed(const char *dir, const std::string &what, const tp::Measurement &m) {
  if (m.ok()) return std::nullopt;
  if (m.status == tp::Measurement::Status::kCannotOpen) {
    fmt::print(stderr, "mbufnic bench: cannot open the card: {}\n", m.error);
    return 2;
  }
  fmt::print(stderr, "mbufnic bench: {} {}: {}\n", dir, what, m.error);
  return 1;
}

// Whether `path` can be written: checked before minutes of measurement, not after.
bool Writable(const std::string &path) {
  if (access(path.c_str(), F_OK) == 0) return access(path.c_str(), W_OK) == 0;
  return access(Dirname(path).c_str(), W_OK) == 0;
}

}  // namespace

CLI::App *AddBenchCommand(CLI::App &app, BenchOptions &o) {
  CLI::App *b = app.add_subcommand(
      "bench",
      "Measure transmit and receive throughput at a range of frame sizes; write a table and a "
      "plot");
  const CLI::Validator frame_size(
      [](std::string &s) -> std::string {
        std::size_t n = 0;
        try {
          std::size_t used = 0;
          n = std::stoul(s, &used);
          if (used != s.size() || s[0] == '-') return "frame size '" + s + "' is not a number";
        } catch (const std::exception &) {
          return "frame size '" + s + "' is not a number";
        }
        if (n < tp::kMinFrame || n > tp::kMaxFrame) {
          return fmt::format(
              "frame size {} is outside {}..{} bytes (the Ethernet minimum without FCS up to a "
              "9000-byte MTU's frame)",
              n, tp::kMinFrame, tp::kMaxFrame);
        }
        return "";
      },
      "60..9018");
  b->add_option("--sizes", o.sizes, "Frame sizes in bytes, comma-separated")
      ->delimiter(',')
      ->check(frame_size)
      ->capture_default_str();
  b->add_option("--link", o.link, "Link rate in Gb/s, or 'unlimited' (the card's own rate)")
      ->check(CLI::Validator(
          [](std::string &s) -> std::string {
            if (s == "unlimited") return "";
            char *end = nullptr;
            const double v = std::strtod(s.c_str(), &end);
            if (end == s.c_str() || *end != '\0' || !(v > 0 && v <= 1000)) {
              return "link '" + s + "' is neither a rate in Gb/s (up to 1000) nor 'unlimited'";
            }
            return "";
          },
          "GBPS|unlimited"))
      ->capture_default_str();
  b->add_flag("--tso", o.tso, "Add 64 KiB TSO rows (transmit, MSS 1448 and 8948)");
  b->add_flag("--duplex", o.duplex,
              "Transmit and receive at once at each frame size (full duplex), not one after the "
              "other");
  b->add_flag("--quick", o.quick, "Fewer frames per size: a first look in seconds");
  b->add_option("-o,--out", o.out, "Prefix of the files written: PREFIX.md, .csv, .gp, .svg, .png")
      ->capture_default_str();
  b->add_option("--format", o.format, "The plot's format")
      ->check(CLI::IsMember({"svg", "png", "both"}))
      ->capture_default_str();
  b->add_flag("--no-plot", o.no_plot, "Do not run gnuplot (the data and script are still written)");
  return b;
}

int RunBench(const BenchOptions &o) {
  const double link_gbps = o.link == "unlimited" ? 0 : std::strtod(o.link.c_str(), nullptr);
  std::vector<std::size_t> sizes = o.sizes;
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  const std::string md = o.out + ".md", csv = o.out + ".csv", gp = o.out + ".gp",
                    svg = o.out + ".svg", png = o.out + ".png";
  if (sizes.empty()) {
    fmt::print(stderr, "mbufnic bench: --sizes names no frame size\n");
    return 2;
  }
  if (Basename(o.out).empty()) {
    fmt::print(stderr, "mbufnic bench: --out {} names a directory; give a file name prefix\n",
               o.out);
    return 2;
  }
  for (const std::string &f : {md, csv, gp}) {
    if (!Writable(f)) {
      fmt::print(stderr, "mbufnic bench: cannot write {}: {}\n", f, std::strerror(errno));
      return 2;
    }
  }

  auto count = [&](std::size_t len) {
    return o.quick ? tp::Quick(len, false).count : tp::DefaultCount(len, false);
  };
  const int most = count(sizes.front()), least = count(sizes.back());
  const std::string title =
      fmt::format("mbufnic bench: backend '{}', link {}, {} frames per size{}{}", o.common.backend,
                  LinkText(link_gbps),
                  most == least ? std::to_string(most) : fmt::format("{} to {}", most, least),
                  o.quick ? " (--quick)" : "", o.duplex ? ", full duplex" : "");

  Progress progress(isatty(STDERR_FILENO) == 1 && !o.common.verbose);
  std::vector<Row> rows;
  bool traced = false;
  const std::size_t runs = sizes.size() * (o.duplex ? 1 : 2) + (o.tso ? std::size(kTsoMss) : 0);
  std::size_t run = 0;
  // Runs one measurement; the waveform, when asked for, is of the first transmit run.
  auto measure = [&](Row &row, bool rx) -> std::optional<int> {
    const std::string what =
        row.tso ? fmt::format("TSO 64 KiB MSS {}", row.size) : fmt::format("{} B", row.size);
    const char *dir = rx ? "rx" : "tx";
    progress.Show(fmt::format("{} {} (run {} of {})", dir, what, ++run, runs));
    tp::MeasureOptions mo = o.quick ? tp::Quick(row.size, row.tso) : tp::MeasureOptions{};
    mo.seed = o.common.seed;  // count 0 (the full run): DefaultCount
    if (!rx && !traced) {
      mo.waves = o.common.trace;
      traced = true;
    }
    tp::Measurement &m = rx ? row.rx : row.tx;
    m = rx ? tp::MeasureRx(o.common.backend, link_gbps, row.size, mo)
           : tp::MeasureTx(o.common.backend, link_gbps, row.size, row.tso, mo);
    progress.Clear();
    if (std::optional<int> code = Failed(dir, what, m)) return code;
    if (o.common.verbose) PrintRun(dir, what, m);
    return std::nullopt;
  };
  // --duplex: both of a frame size's measurements from one run.
  auto measure_duplex = [&](Row &row) -> std::optional<int> {
    const std::string what = fmt::format("{} B", row.size);
    progress.Show(fmt::format("tx+rx {} (run {} of {})", what, ++run, runs));
    tp::MeasureOptions mo = o.quick ? tp::Quick(row.size, false) : tp::MeasureOptions{};
    mo.seed = o.common.seed;
    if (!traced) {
      mo.waves = o.common.trace;
      traced = true;
    }
    const tp::Duplex d = tp::MeasureDuplex(o.common.backend, link_gbps, row.size, mo);
    row.tx = d.tx;
    row.rx = d.rx;
    progress.Clear();
    if (std::optional<int> code = Failed("tx", what, d.tx)) return code;
    if (std::optional<int> code = Failed("rx", what, d.rx)) return code;
    if (o.common.verbose) {
      PrintRun("tx", what + " (duplex)", d.tx);
      PrintRun("rx", what + " (duplex)", d.rx);
    }
    return std::nullopt;
  };
  std::vector<Row> todo;
  for (std::size_t s : sizes) todo.push_back(Row{s, false, {}, {}});
  if (o.tso) {
    for (std::size_t mss : kTsoMss) todo.push_back(Row{mss, true, {}, {}});
  }
  for (Row &row : todo) {
    if (o.duplex && !row.tso) {
      if (std::optional<int> code = measure_duplex(row)) return *code;
    } else {
      if (std::optional<int> code = measure(row, false)) return *code;
      if (!row.tso) {
        if (std::optional<int> code = measure(row, true)) return *code;
      }
    }
    rows.push_back(row);
    if (!o.common.json) {
      // The head waits for the first row: a card that cannot be opened leaves stdout empty.
      if (rows.size() == 1) fmt::print("{}\n\n{}", title, TableHead(o.tso));
      fmt::print("{}", TableRow(row, o.tso));
      std::fflush(stdout);
    }
  }

  std::string table = TableHead(o.tso);
  for (const Row &r : rows) table += TableRow(r, o.tso);
  const std::string notes =
      "Frames/cycle and Gb/s count frame bytes (no preamble, gap or FCS) at the card's 250 MHz; "
      "line Gb/s adds the 20 bytes of preamble, start and gap per frame (100 is 100GbE line "
      "rate). RX dropped: frames the card had no room for, of those offered.\n";
  if (!WriteFile(md, "# " + title + "\n\n" + table + "\n" + notes) || !WriteFile(csv, Csv(rows)) ||
      !WriteFile(gp, PlotScript(o, link_gbps, rows))) {
    return 2;
  }

  std::string plotted = "none";
  int code = 0;
  if (!o.no_plot) {
    const std::string gnuplot = FindOnPath("gnuplot");
    if (gnuplot.empty()) {
      fmt::print(stderr,
                 "gnuplot not found: install gnuplot-nox (scripts/setup.sh does) — table "
                 "written, no plot\n");
    } else if (const int st = RunGnuplot(gnuplot, Dirname(gp), Basename(gp)); st != 0) {
      fmt::print(stderr, "mbufnic bench: gnuplot failed ({}) on {}\n",
                 st < 0 ? "could not start it" : fmt::format("exit {}", st), gp);
      code = 1;
    } else {
      plotted = o.format;
    }
  }
  std::vector<std::string> files = {md, csv, gp};
  if (plotted != "none" && o.format != "png") files.push_back(svg);
  if (plotted != "none" && o.format != "svg") files.push_back(png);

  if (o.common.json) {
    json j = {{"backend", o.common.backend},
              {"link_gbps", link_gbps},
              {"seed", o.common.seed},
              {"quick", o.quick},
              {"duplex", o.duplex},
              {"plot", plotted},
              {"files", files}};
    json sized = json::array(), tso = json::array();
    for (const Row &r : rows) {
      if (r.tso) {
        tso.push_back({{"mss", r.size}, {"tx", ToJson(r.tx, false, true)}});
      } else {
        sized.push_back({{"frame_bytes", r.size},
                         {"tx", ToJson(r.tx, false, false)},
                         {"rx", ToJson(r.rx, true, false)}});
      }
    }
    j["rows"] = sized;
    if (o.tso) j["tso"] = tso;
    fmt::print("{}\n", j.dump(2));
  } else {
    std::string list;
    for (const std::string &f : files) list += (list.empty() ? "" : ", ") + f;
    fmt::print("\nwritten: {}\n", list);
  }
  return code;
}

}  // namespace mbufnic::cli
