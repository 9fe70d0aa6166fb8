// object_store_check: drives an ObjectStore against a real server for the
// e2e tests (tests/e2e/test_lake_s3.py), which start versitygw.
//
//   object_store_check conformance ENDPOINT BUCKET PREFIX
//       every ObjectStore operation, the S3 store's edge cases (keys with
//       escapes, ranges, listings past a page, multipart) and its check of
//       put-if-absent; prints "ok" or the first failure and exits 1
//   object_store_check commit ENDPOINT BUCKET PREFIX WRITER COMMITS
//       one of several racing processes: COMMITS blind appends to
//       curated.race, each with a txn of appId w<WRITER>; prints "ok"
//   object_store_check verify ENDPOINT BUCKET PREFIX WRITERS COMMITS
//       the race's table: versions 0..WRITERS*COMMITS contiguous, every
//       writer's every commit present once
//
// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "lake/delta_log.h"
#include "lake/s3_object_store.h"
#include "lake/table_schema.h"

namespace {

using namespace eventlake;        // NOLINT: a test tool's one file
using namespace eventlake::lake;  // NOLINT

int Fail(const std::string& what) {
  std::printf("FAIL %s\n", what.c_str());
  return 1;
}

#define CHECK(cond, what)                 \
  do {                                    \
    if (!(cond)) return Fail(what);       \
  } while (false)

std::unique_ptr<S3ObjectStore> OpenStore(char** argv, uint64_t multipart_threshold = 64ull << 20) {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const std::string staging =
      std::filesystem::temp_directory_path() / ("osc-staging-" + std::to_string(getpid()));
  auto store = S3ObjectStore::Open({.endpoint = argv[2],
                                    .bucket = argv[3],
                                    .prefix = argv[4],
                                    .access_key_id = key ? key : "",
                                    .secret_access_key = secret ? secret : "",
                                    .multipart_threshold = multipart_threshold,
                                    .part_size = 5ull << 20,
                                    .staging_dir = staging});
  if (!store.has_value()) {
    std::printf("FAIL open: %s\n", store.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*store);
}

int Conformance(char** argv) {
  auto store = OpenStore(argv, 6ull << 20);
  const std::string odd = "t/dt=a%2Fb/x y+z=é.parquet";
  CHECK(store->Put(odd, "hello world").ok(), "put of a key with escapes");
  CHECK(store->Get(odd).value_or("") == "hello world", "get");
  CHECK(store->GetRange(odd, 6, 100).value_or("") == "world", "range to past the end");
  CHECK(store->GetRange(odd, 0, 5).value_or("") == "hello", "range");
  CHECK(store->Head(odd).has_value() && store->Head(odd)->size == 11, "head size");
  CHECK(store->Head(odd)->modified_millis > 0, "head time");
  CHECK(store->Get("t/missing").error().code() == StatusCode::kNotFound, "missing is NotFound");
  CHECK(store->PutIfAbsent("t/_delta_log/0.json", "first").ok(), "put-if-absent");
  CHECK(store->PutIfAbsent("t/_delta_log/0.json", "second").code() == StatusCode::kAlreadyExists,
        "second put-if-absent is AlreadyExists");
  CHECK(store->Get("t/_delta_log/0.json").value_or("") == "first", "first put-if-absent kept");
  CHECK(store->Copy(odd, "archive/copy.parquet").ok(), "copy");
  CHECK(store->Get("archive/copy.parquet").value_or("") == "hello world", "copied content");
  for (int i = 0; i < 1005; ++i) {  // more than one listing page
    if (!store->Put("many/k" + std::to_string(i), "").ok()) return Fail("put many");
  }
  auto many = store->List("many/");
  CHECK(many.has_value() && many->size() == 1005, "list past a page");
  auto dirs = store->ListDirectories("");
  CHECK(dirs.has_value() && *dirs == (std::vector<std::string>{"archive", "many", "t"}),
        "list directories");
  auto sub = store->ListDirectories("t/");
  CHECK(sub.has_value() && *sub == (std::vector<std::string>{"_delta_log", "dt=a%2Fb"}),
        "list subdirectories");
  // Multipart: 13 MiB in 5 MiB parts.
  const std::string big_path = store->StagingDirectory() + "/big";
  std::string big(13u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
  {
    FILE* f = std::fopen(big_path.c_str(), "wb");
    std::fwrite(big.data(), 1, big.size(), f);
    std::fclose(f);
  }
  CHECK(store->PutFile("big/file.parquet", big_path).ok(), "multipart upload");
  CHECK(!std::filesystem::exists(big_path), "the staged file is removed");
  CHECK(store->Get("big/file.parquet").value_or("") == big, "multipart content");
  const std::string back = store->StagingDirectory() + "/back";
  CHECK(store->GetToFile("big/file.parquet", back).ok(), "download");
  CHECK(std::filesystem::file_size(back) == big.size(), "download size");
  CHECK(store->Delete(odd).ok() && store->Delete(odd).ok(), "delete twice");
  CHECK(store->Get(odd).error().code() == StatusCode::kNotFound, "deleted");
  CHECK(store->HonoursPutIfAbsent().value_or(false), "the server honours If-None-Match");
  std::printf("ok\n");
  return 0;
}

DeltaCommit Create() {
  TableSchema schema{.columns = {{"id", ColumnType::kString}}};
  DeltaCommit c;
  c.info = CommitInfoAction{.operation = "CREATE TABLE"};
  c.protocol = ProtocolAction{};
  c.metadata = MetadataAction{.id = "race", .name = "curated.race",
                              .schema_string = ToDeltaSchemaString(schema)};
  return c;
}

int Commit(char** argv) {
  auto store = OpenStore(argv);
  const int writer = std::atoi(argv[5]);
  const int commits = std::atoi(argv[6]);
  DeltaLog log(store.get(), "curated/race");
  auto base = log.Load();
  if (!base) return Fail("load: " + base.error().ToString());
  if (!(*base)->exists()) {
    auto created = log.Commit(*base, Create());
    if (created) {
      base = created;
    } else {
      base = log.Load();  // another writer created it
      if (!base || !(*base)->exists()) return Fail("create");
    }
  }
  auto snapshot = *base;
  for (int i = 0; i < commits; ++i) {
    DeltaCommit c;
    c.info = CommitInfoAction{.operation = "WRITE", .blind_append = true};
    c.txns.push_back({.app_id = "w" + std::to_string(writer), .version = i});
    c.adds.push_back({.path = "w" + std::to_string(writer) + "-" + std::to_string(i) + ".parquet",
                      .size = 1,
                      .stats = R"({"numRecords":1})"});
    auto next = log.Commit(snapshot, c);
    if (!next) return Fail("commit: " + next.error().ToString());
    snapshot = *next;
  }
  std::printf("ok\n");
  return 0;
}

int Verify(char** argv) {
  auto store = OpenStore(argv);
  const int writers = std::atoi(argv[5]);
  const int commits = std::atoi(argv[6]);
  DeltaLog log(store.get(), "curated/race");
  auto versions = log.Versions();
  CHECK(versions.has_value(), "versions");
  CHECK(versions->size() == static_cast<size_t>(1 + writers * commits),
        "expected " + std::to_string(1 + writers * commits) + " versions, found " +
            std::to_string(versions->size()));
  for (size_t i = 0; i < versions->size(); ++i) {
    CHECK((*versions)[i] == static_cast<int64_t>(i), "a gap at version " + std::to_string(i));
  }
  auto snapshot = log.Load();
  CHECK(snapshot.has_value(), "load");
  CHECK((*snapshot)->files.size() == static_cast<size_t>(writers * commits), "every add, once");
  for (int w = 0; w < writers; ++w) {
    auto it = (*snapshot)->txns.find("w" + std::to_string(w));
    CHECK(it != (*snapshot)->txns.end() && it->second == commits - 1, "writer's last txn");
  }
  std::printf("ok\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "conformance" && argc == 5) return Conformance(argv);
  if (mode == "commit" && argc == 7) return Commit(argv);
  if (mode == "verify" && argc == 7) return Verify(argv);
  std::fprintf(stderr, "usage: see the top of tests/tools/object_store_check.cpp\n");
  return 2;
}
