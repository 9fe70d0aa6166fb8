// `eventlake send`: sends events from files or stdin to a source of a
// running server (POST /v1/sources/{source}/events).
//
//   eventlake send [FILE ...] --source NAME [--format auto|json|ndjson|csv|cloudevents]
//                  [--type TYPE] [--batch-size N] [--batch-bytes SIZE]
//                  [--max-retries N] [--no-progress]
//
// Inputs are read in order, "-" or no FILE meaning stdin, and streamed in
// batches (see send_input.h, send_sender.h). Progress is drawn on stderr when
// it is a terminal; a one-line summary (accepted, rejected, retries, time) is
// always printed on stderr. Exit 0 when every event was accepted; 1 when the
// send stopped (a malformed record, a refused batch, retries used up, no
// server) or the server rejected some items, which are listed with their
// input line; 2 for a bad command line.
#pragma once

#include <CLI/CLI.hpp>

namespace eventlake::cli {

void AddSendCommand(CLI::App& app);

}  // namespace eventlake::cli
