// The sinks that need neither the lake nor the log, built from their specs
// (pipeline_config.h's SinkSpec): `webhook` (webhook_sink.h) and `kafka`
// (kafka_sink.h), their options read by sink_options.h with errors naming
// their path. The table and stream sinks are the server's to build
// (server/pipeline_set.cpp).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/metrics.h"
#include "core/status.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_config.h"

namespace eventlake::pipeline {

// A webhook or kafka spec of the right shape and values (nothing built,
// nothing connected); OK for the other kinds.
Status CheckSinkSpec(const SinkSpec& spec);

struct SinkContext {
  std::string pipeline;                // the metrics' `pipeline` label
  MetricsRegistry* metrics = nullptr;  // required
};

// The name a sink has at run time (Sink::name(), what a route names): the
// table or the stream, `webhook <host>`, `kafka <topic>`.
Result<std::string> SinkName(const SinkSpec& spec);

// A webhook or kafka sink; InvalidArgument for the other kinds.
Result<std::unique_ptr<Sink>> BuildSink(const SinkSpec& spec, const SinkContext& context);

// A `sinks:` entry as the API shows it: webhook header values and the
// kafka properties that may hold credentials (sasl.*, ssl.*key*, *password*,
// *secret*) replaced by "(secret)".
nlohmann::json RedactedSinkEntry(const nlohmann::json& entry);

}  // namespace eventlake::pipeline
