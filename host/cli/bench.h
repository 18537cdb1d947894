// `mbufnic bench`: the card's transmit and receive throughput through the driver at a range of
// frame sizes (the measurement of throughput.h, as bench_card makes it), printed as a table and
// written as a Markdown table, CSV data, a gnuplot script and its plot (SVG and PNG).
#ifndef MBUFNIC_HOST_CLI_BENCH_H_
#define MBUFNIC_HOST_CLI_BENCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace CLI {
class App;
}

namespace mbufnic::cli {

struct BenchOptions {
  CommonOptions common;  // --trace: the first transmit run; --verbose: a line per run
  std::vector<std::size_t> sizes = {64, 128, 256, 512, 1024, 1518, 4096, 9000};  // frame bytes
  std::string link = "100";           // Gb/s, or "unlimited"
  bool tso = false;                   // add the 64 KiB TSO rows (transmit, MSS 1448 and 8948)
  bool duplex = false;                // both directions at once (throughput::MeasureDuplex)
  bool quick = false;                 // fewer frames per size (throughput.h Quick)
  std::string out = "mbufnic-bench";  // prefix of the files written
  std::string format = "both";        // the plot: svg, png or both
  bool no_plot = false;               // write the data and script, do not run gnuplot
};

// Adds the `bench` subcommand and its own options to `app`, filling `options` when parsed (the
// common ones are main.cc's to add).
CLI::App *AddBenchCommand(CLI::App &app, BenchOptions &options);

// Measures, prints and writes; returns the exit code: 0 done (also when gnuplot is missing:
// the table and data are written and a message says so), 1 a measurement failed or gnuplot
// failed, 2 the card could not be opened or the files cannot be written.
int RunBench(const BenchOptions &options);

}  // namespace mbufnic::cli

#endif  // MBUFNIC_HOST_CLI_BENCH_H_
