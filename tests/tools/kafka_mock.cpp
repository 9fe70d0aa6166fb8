// kafka_mock: a Kafka cluster for e2e tests, without Kafka. It starts
// librdkafka's mock cluster (one broker, in this process, on a loopback
// port), creates the topics given as arguments, prints the bootstrap servers
// as the first line of stdout, then produces what it reads on stdin until
// stdin closes or it gets SIGTERM/SIGINT.
//
//   kafka_mock TOPIC[:PARTITIONS] ...        (PARTITIONS defaults to 1)
//
// stdin, one command per line, fields separated by tabs:
//   TOPIC <tab> KEY <tab> VALUE [<tab> NAME=VALUE ...]
//       produces one record (an empty KEY is a null key; the NAME=VALUE
//       fields are headers, e.g. ce_id=1); answered on stdout with
//       "ok TOPIC PARTITION OFFSET" once the cluster has it, or "error ...".
//   !partition N
//       the records after it go to partition N (default: by key hash).
//   !committed GROUP TOPIC
//       answered with "committed TOPIC P=OFFSET ..." (-1001: none).
//   !consume TOPIC
//       every record the topic holds now, one JSON object a line
//       ({"partition", "offset", "key" (null for a null key), "value",
//       "headers": {name: value}}), then "end COUNT" (for the sinks' tests).
// Every answer is one line, flushed. Exit status 0 unless setup failed.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

std::vector<std::string> Split(const std::string& line, char separator) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, separator)) out.push_back(field);
  if (!line.empty() && line.back() == separator) out.emplace_back();
  return out;
}

void Answer(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Answer(std::string("error ") + rd_kafka_err2str(message->err));
    return;
  }
  Answer("ok " + std::string(rd_kafka_topic_name(message->rkt)) + " " +
         std::to_string(message->partition) + " " + std::to_string(message->offset));
}

void Produce(rd_kafka_t* producer, const std::vector<std::string>& fields, int32_t partition) {
  if (fields.size() < 3) return Answer("error expected TOPIC<tab>KEY<tab>VALUE");
  rd_kafka_headers_t* headers = rd_kafka_headers_new(fields.size() - 3);
  for (size_t i = 3; i < fields.size(); ++i) {
    size_t eq = fields[i].find('=');
    if (eq == std::string::npos) {
      rd_kafka_headers_destroy(headers);
      return Answer("error header without '=': " + fields[i]);
    }
    rd_kafka_header_add(headers, fields[i].data(), static_cast<ssize_t>(eq),
                        fields[i].data() + eq + 1, static_cast<ssize_t>(fields[i].size() - eq - 1));
  }
  const std::string& key = fields[1];
  const std::string& value = fields[2];
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer, RD_KAFKA_V_TOPIC(fields[0].c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);
    return Answer(std::string("error ") + rd_kafka_err2str(err));
  }
  rd_kafka_flush(producer, 10'000);  // answers through OnDelivery
}

rd_kafka_t* NewConsumer(const std::string& bootstraps, const std::string& group) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), error, sizeof(error));
  rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof(error));
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (consumer == nullptr) Answer(std::string("error ") + error);
  return consumer;
}

void Committed(const std::string& bootstraps, const std::vector<std::string>& words) {
  if (words.size() != 3) return Answer("error expected !committed GROUP TOPIC");
  rd_kafka_t* consumer = NewConsumer(bootstraps, words[1]);
  if (consumer == nullptr) return;
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer, words[2].c_str(), nullptr);
  std::string line = "committed " + words[2];
  if (rd_kafka_metadata(consumer, 0, topic, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      metadata->topic_cnt == 1) {
    int count = metadata->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(count);
    for (int p = 0; p < count; ++p) rd_kafka_topic_partition_list_add(list, words[2].c_str(), p);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer, list, 5000);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      line += " " + std::to_string(list->elems[i].partition) + "=" +
              std::to_string(list->elems[i].offset);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) line = std::string("error ") + rd_kafka_err2str(err);
    rd_kafka_topic_partition_list_destroy(list);
  } else {
    line = "error no metadata for topic " + words[2];
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(consumer);
  Answer(line);
}

nlohmann::json RecordJson(const rd_kafka_message_t* m) {
  nlohmann::json record = {
      {"partition", m->partition}, {"offset", m->offset}, {"headers", nlohmann::json::object()}};
  record["key"] = m->key == nullptr
                      ? nlohmann::json()
                      : nlohmann::json(std::string(static_cast<const char*>(m->key), m->key_len));
  record["value"] = std::string(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record["headers"][name] = std::string(static_cast<const char*>(value), size);
    }
  }
  return record;
}

// Reads every partition of the topic from its start to its end as it is now.
void Consume(const std::string& bootstraps, const std::vector<std::string>& words) {
  if (words.size() != 2) return Answer("error expected !consume TOPIC");
  rd_kafka_t* consumer = NewConsumer(bootstraps, "kafka-mock-consume");
  if (consumer == nullptr) return;
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer, words[1].c_str(), nullptr);
  int64_t remaining = 0;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  if (rd_kafka_metadata(consumer, 0, topic, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      metadata->topic_cnt == 1) {
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_query_watermark_offsets(consumer, words[1].c_str(), p, &low, &high, 5000);
      remaining += high - low;
      rd_kafka_topic_partition_list_add(list, words[1].c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(topic);
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);
  int64_t count = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count < remaining && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Answer(RecordJson(m).dump());
      ++count;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  Answer("end " + std::to_string(count));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TOPIC[:PARTITIONS] ...\n", argv[0]);
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", error, sizeof(error));
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  rd_kafka_mock_cluster_t* cluster =
      producer != nullptr ? rd_kafka_handle_mock_cluster(producer) : nullptr;
  if (cluster == nullptr) {
    std::fprintf(stderr, "kafka_mock: cannot start the mock cluster: %s\n", error);
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    std::vector<std::string> spec = Split(argv[i], ':');
    int partitions = spec.size() > 1 ? std::atoi(spec[1].c_str()) : 1;
    if (spec.empty() || spec[0].empty() || partitions < 1 ||
        rd_kafka_mock_topic_create(cluster, spec[0].c_str(), partitions, 1) != 0) {
      std::fprintf(stderr, "kafka_mock: bad topic '%s'\n", argv[i]);
      return 1;
    }
  }
  const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  Answer(bootstraps);
  int32_t partition = RD_KAFKA_PARTITION_UA;
  std::string pending;  // stdin bytes not yet ending in a newline
  bool open = true;
  while (!g_stop && open) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n <= 0) open = false;  // stdin closed: finish the last line, then stop
    if (n > 0) pending.append(chunk, static_cast<size_t>(n));
    if (!open && !pending.empty() && pending.back() != '\n') pending.push_back('\n');
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (line.starts_with("!partition ")) {
        partition = std::atoi(line.c_str() + 11);
      } else if (line.starts_with("!committed ")) {
        Committed(bootstraps, Split(line, ' '));
      } else if (line.starts_with("!consume ")) {
        Consume(bootstraps, Split(line, ' '));
      } else {
        Produce(producer, Split(line, '\t'), partition);
      }
    }
  }
  rd_kafka_destroy(producer);
  return 0;
}
