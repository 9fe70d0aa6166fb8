// S3ObjectStore: the ObjectStore of a bucket (and key prefix) on Amazon S3
// or an S3-compatible server (MinIO, versitygw, Ceph RGW, R2...), over
// libcurl with its built-in AWS Signature Version 4.
//
// - Addressing: path-style (http://endpoint/bucket/key, what most
//   self-hosted servers want) or virtual-host (http://bucket.endpoint/key,
//   AWS's default).
// - PutIfAbsent is a PUT with `If-None-Match: *`: 412 means the key exists.
//   Open() checks that the server honours it (two conditional PUTs of one
//   probe key: the second must be refused) and refuses to run otherwise,
//   since table commits would silently overwrite each other.
// - PutFile uploads a staged local file: one PUT up to multipart_threshold,
//   a multipart upload of part_size parts beyond; the local file is removed.
// - Requests that fail with 5xx, 429 or a transport error are retried up to
//   max_retries times with backoff; 4xx answers are not.
//
// Threads: thread-safe; each call uses its own curl handle.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "lake/object_store.h"

namespace eventlake::lake {

struct S3Options {
  std::string endpoint;  // "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com"
  std::string bucket;
  std::string prefix;  // key prefix inside the bucket, "" or "lake" (no slashes at the ends)
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (temporary credentials)
  bool path_style = true;
  uint64_t multipart_threshold = 64ull << 20;
  uint64_t part_size = 16ull << 20;  // >= 5 MiB, as S3 requires
  std::string staging_dir;           // a local directory for files before upload (required)
  std::chrono::milliseconds timeout{60'000};
  int max_retries = 4;
  bool verify_put_if_absent = true;  // the check of Open(); tests of the check turn it off
};

class S3ObjectStore final : public ObjectStore {
 public:
  static Result<std::unique_ptr<S3ObjectStore>> Open(S3Options options);

  std::string Describe() const override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::string& local_path) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset,
                               uint64_t length) const override;
  Status GetToFile(std::string_view key, const std::string& local_path) const override;
  Result<ObjectInfo> Head(std::string_view key) const override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) const override;
  Result<std::vector<std::string>> ListDirectories(std::string_view prefix) const override;
  Status Delete(std::string_view key) override;
  Status Copy(std::string_view from, std::string_view to) override;
  std::optional<std::string> LocalPath(std::string_view) const override { return std::nullopt; }
  std::string StagingDirectory() const override { return options_.staging_dir; }

  // Whether the server refuses a second If-None-Match PUT of one key.
  Result<bool> HonoursPutIfAbsent();

 private:
  struct Request;
  struct Response;
  explicit S3ObjectStore(S3Options options) : options_(std::move(options)) {}
  // s3_object_store_http.cpp: one signed request, with retries.
  Result<Response> Send(const Request& request) const;
  Result<Response> SendOnce(const Request& request) const;
  std::string UrlFor(std::string_view object_key, std::string_view query) const;
  std::string FullKey(std::string_view key) const;
  Result<std::string> CheckedKey(std::string_view key) const;
  Status MultipartUpload(const std::string& full_key, const std::string& local_path,
                         uint64_t size);
  Result<std::vector<ObjectInfo>> ListAll(std::string_view prefix, bool directories,
                                          std::vector<std::string>* dirs) const;

  const S3Options options_;
};

}  // namespace eventlake::lake
