// Request templates and gzip for bench/ingest_http (see ingest_http_request.h).
#include "ingest_http_request.h"

#include <cstdio>

namespace eventlake::bench {
namespace {

constexpr std::string_view kTime = "2026-11-25T10:00:00.123Z";

// The data object of event `index`, padded to about `bytes` bytes.
std::string DataJson(int index, int bytes) {
  char fields[256];
  std::snprintf(fields, sizeof(fields),
                R"({"user":"user-%04d","count":%d,"ratio":0.625,"ok":%s,"at":"%.*s")",
                index % 10000, 1000 + index, index % 2 == 0 ? "true" : "false",
                static_cast<int>(kTime.size()), kTime.data());
  std::string data = fields;
  constexpr std::string_view kPad = R"(,"pad":"")";
  int pad = bytes - static_cast<int>(data.size() + kPad.size() + 1);
  if (pad >= 0) {
    data.append(R"(,"pad":")").append(static_cast<size_t>(pad), 'x').push_back('"');
  }
  data.push_back('}');
  return data;
}

// Appends one structured event to *body and records where its counter is.
void AppendEvent(const RequestSpec& spec, std::string_view id_prefix, int index,
                 RequestTemplate* out) {
  std::string& body = out->body;
  body.append(R"({"specversion":"1.0","id":")").append(id_prefix);
  out->counter_at.push_back(body.size());
  body.append(kCounterDigits, '0');
  body.append(R"(","source":"/bench/ingest_http","type":"bench.event","time":")")
      .append(kTime)
      .append(R"(","datacontenttype":"application/json","data":)")
      .append(DataJson(index, spec.payload_bytes))
      .push_back('}');
}

}  // namespace

std::string RunIdPrefix(uint32_t run, int thread) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%08x-%03d-", run, thread % 1000);
  return prefix;
}

RequestTemplate BuildRequestTemplate(const RequestSpec& spec, std::string_view id_prefix) {
  RequestTemplate out;
  out.events = spec.batch ? spec.batch_size : 1;
  if (spec.batch) out.body.push_back('[');
  for (int i = 0; i < out.events; ++i) {
    if (i > 0) out.body.push_back(',');
    AppendEvent(spec, id_prefix, i, &out);
  }
  if (spec.batch) out.body.push_back(']');
  out.head = "POST " + spec.path + " HTTP/1.1\r\nHost: " + spec.host + "\r\nContent-Type: " +
             (spec.batch ? "application/cloudevents-batch+json" : "application/cloudevents+json") +
             "\r\n";
  if (spec.gzip) out.head += "Content-Encoding: gzip\r\n";
  if (!spec.api_key.empty()) out.head += "Authorization: Bearer " + spec.api_key + "\r\n";
  return out;
}

void NumberEvents(const RequestTemplate& request, char* body, uint64_t* counter) {
  for (size_t at : request.counter_at) {
    uint64_t n = (*counter)++;
    for (size_t d = kCounterDigits; d > 0; --d) {
      body[at + d - 1] = static_cast<char>('0' + n % 10);
      n /= 10;
    }
  }
}

void AssembleRequest(std::string_view head, std::string_view body, std::string* wire) {
  char length[48];
  int n = std::snprintf(length, sizeof(length), "Content-Length: %zu\r\n\r\n", body.size());
  wire->assign(head).append(length, static_cast<size_t>(n)).append(body);
}

std::string DataSchemaJson() {
  return R"({"type":"object",)"
         R"("properties":{)"
         R"("user":{"type":"string","minLength":1,"maxLength":64,"pattern":"^user-[0-9]+$"},)"
         R"("count":{"type":"integer","minimum":0},)"
         R"("ratio":{"type":"number","minimum":0,"maximum":1},)"
         R"("ok":{"type":"boolean"},)"
         R"("at":{"type":"string","format":"date-time"},)"
         R"("pad":{"type":"string"}},)"
         R"("required":["user","count","ratio","ok","at"],)"
         R"("additionalProperties":false})";
}

GzipEncoder::GzipEncoder() : stream_(std::make_unique<z_stream>()) {
  // windowBits 15 + 16: a gzip wrapper instead of zlib's.
  if (deflateInit2(stream_.get(), 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    stream_.reset();
  }
}

GzipEncoder::~GzipEncoder() {
  if (stream_) deflateEnd(stream_.get());
}

bool GzipEncoder::Compress(std::string_view in, std::string* out) {
  out->clear();
  if (!stream_ || deflateReset(stream_.get()) != Z_OK) return false;
  out->resize(deflateBound(stream_.get(), in.size()));
  stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream_->avail_in = static_cast<uInt>(in.size());
  stream_->next_out = reinterpret_cast<Bytef*>(out->data());
  stream_->avail_out = static_cast<uInt>(out->size());
  if (deflate(stream_.get(), Z_FINISH) != Z_STREAM_END) {
    out->clear();
    return false;
  }
  out->resize(stream_->total_out);
  return true;
}

}  // namespace eventlake::bench
