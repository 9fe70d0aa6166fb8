// S3ObjectStore: the ObjectStore operations as S3 calls.
#include "lake/s3_object_store.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "core/file.h"
#include "core/id.h"
#include "lake/s3_object_store_internal.h"
#include "lake/s3_xml.h"

namespace eventlake::lake {
namespace {

bool Ok(long status) { return status >= 200 && status < 300; }

int64_t HttpDateMillis(const std::string& text) {
  const time_t t = curl_getdate(text.c_str(), nullptr);
  return t < 0 ? 0 : static_cast<int64_t>(t) * 1000;
}

}  // namespace

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(S3Options options) {
  if (options.endpoint.empty() || options.bucket.empty()) {
    return Err(InvalidArgument("s3: endpoint and bucket are required"));
  }
  if (options.staging_dir.empty()) return Err(InvalidArgument("s3: a staging directory is required"));
  if (options.part_size < (5ull << 20)) return Err(InvalidArgument("s3: part_size must be >= 5MiB"));
  while (!options.prefix.empty() && options.prefix.back() == '/') options.prefix.pop_back();
  while (!options.prefix.empty() && options.prefix.front() == '/') options.prefix.erase(0, 1);
  ::mkdir(options.staging_dir.c_str(), 0755);
  auto store = std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(options)));
  // The bucket must answer at all before anything else is judged.
  Request probe{.method = "GET", .key = "", .query = {{"list-type", "2"}, {"max-keys", "1"}}};
  EL_ASSIGN_OR_RETURN(Response listed, store->Send(probe));
  if (!Ok(listed.status)) {
    return Err(S3StatusOf("s3: listing bucket " + store->options_.bucket, listed.status,
                          listed.body));
  }
  if (store->options_.verify_put_if_absent) {
    EL_ASSIGN_OR_RETURN(bool honoured, store->HonoursPutIfAbsent());
    if (!honoured) {
      return Err(FailedPrecondition(
          "s3: " + store->Describe() +
          " ignores If-None-Match on PUT: table commits would overwrite each other. Use a "
          "server with conditional writes (AWS S3, MinIO, versitygw, ...)"));
    }
  }
  return store;
}

std::string S3ObjectStore::Describe() const {
  return "s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix) +
         " at " + options_.endpoint;
}

std::string S3ObjectStore::FullKey(std::string_view key) const {
  return options_.prefix.empty() ? std::string(key) : options_.prefix + "/" + std::string(key);
}

Result<std::string> S3ObjectStore::CheckedKey(std::string_view key) const {
  EL_RETURN_IF_ERROR(ValidateObjectKey(key));
  return FullKey(key);
}

Result<bool> S3ObjectStore::HonoursPutIfAbsent() {
  const std::string key = "_eventlake/put-if-absent-probe-" + NewEventId();
  EL_RETURN_IF_ERROR(PutIfAbsent(key, "first"));
  Status second = PutIfAbsent(key, "second");
  EL_ASSIGN_OR_RETURN(std::string kept, Get(key));
  (void)Delete(key);
  if (second.ok()) return false;
  if (second.code() != StatusCode::kAlreadyExists) return Err(second);
  return kept == "first";
}

Status S3ObjectStore::Put(std::string_view key, std::string_view data) {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  EL_ASSIGN_OR_RETURN(Response r, Send({.method = "PUT", .key = full, .body = data}));
  return Ok(r.status) ? Status::Ok() : S3StatusOf("s3 PUT " + full, r.status, r.body);
}

Status S3ObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  // 409 (ConditionalRequestConflict: another conditional write of the key
  // is in progress) is retried; 412 means it exists.
  for (int attempt = 0;; ++attempt) {
    EL_ASSIGN_OR_RETURN(Response r, Send({.method = "PUT",
                                          .key = full,
                                          .headers = {"If-None-Match: *"},
                                          .body = data}));
    if (Ok(r.status)) return Status::Ok();
    if (r.status == 409 && attempt < options_.max_retries) continue;
    if (r.status == 412) return AlreadyExists("object " + std::string(key) + " exists");
    return S3StatusOf("s3 conditional PUT " + full, r.status, r.body);
  }
}

Status S3ObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  struct stat st{};
  if (::stat(local_path.c_str(), &st) != 0) return IOError("cannot stat " + local_path);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Status s;
  if (size > options_.multipart_threshold) {
    s = MultipartUpload(full, local_path, size);
  } else {
    auto r = Send({.method = "PUT", .key = full, .upload_from = local_path,
                   .upload_offset = 0, .upload_length = size});
    s = !r.has_value() ? r.error()
        : Ok(r->status) ? Status::Ok()
                        : S3StatusOf("s3 PUT " + full, r->status, r->body);
  }
  if (s.ok()) std::remove(local_path.c_str());
  return s;
}

Status S3ObjectStore::MultipartUpload(const std::string& full, const std::string& local_path,
                                      uint64_t size) {
  EL_ASSIGN_OR_RETURN(Response created, Send({.method = "POST", .key = full, .query = {{"uploads", ""}}}));
  if (!Ok(created.status)) return S3StatusOf("s3 CreateMultipartUpload " + full, created.status, created.body);
  EL_ASSIGN_OR_RETURN(s3::XmlElement doc, s3::ParseXml(created.body));
  const std::string upload_id = doc.ChildText("UploadId");
  if (upload_id.empty()) return InvalidArgument("s3: CreateMultipartUpload answered no UploadId");
  std::string complete = "<CompleteMultipartUpload>";
  Status failed;
  int part = 1;
  for (uint64_t offset = 0; offset < size; offset += options_.part_size, ++part) {
    auto r = Send({.method = "PUT",
                   .key = full,
                   .query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}},
                   .upload_from = local_path,
                   .upload_offset = offset,
                   .upload_length = std::min(options_.part_size, size - offset)});
    if (!r.has_value() || !Ok(r->status)) {
      failed = r.has_value() ? S3StatusOf("s3 UploadPart " + full, r->status, r->body) : r.error();
      break;
    }
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                r->Header("etag") + "</ETag></Part>";
  }
  if (failed.ok()) {
    complete += "</CompleteMultipartUpload>";
    auto r = Send({.method = "POST", .key = full, .query = {{"uploadId", upload_id}}, .body = complete});
    // S3 may answer 200 with an <Error> body for a failed completion.
    if (!r.has_value()) {
      failed = r.error();
    } else if (!Ok(r->status) || s3::ParseError(r->body).has_value()) {
      failed = S3StatusOf("s3 CompleteMultipartUpload " + full, Ok(r->status) ? 500 : r->status, r->body);
    }
  }
  if (!failed.ok()) {
    (void)Send({.method = "DELETE", .key = full, .query = {{"uploadId", upload_id}}});
  }
  return failed;
}

Result<std::string> S3ObjectStore::Get(std::string_view key) const {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  EL_ASSIGN_OR_RETURN(Response r, Send({.method = "GET", .key = full, .max_body_bytes = 1u << 30}));
  if (!Ok(r.status)) return Err(S3StatusOf("s3 GET " + full, r.status, r.body));
  return std::move(r.body);
}

Result<std::string> S3ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                            uint64_t length) const {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  if (length == 0) return std::string();
  EL_ASSIGN_OR_RETURN(
      Response r,
      Send({.method = "GET",
            .key = full,
            .headers = {"Range: bytes=" + std::to_string(offset) + "-" +
                        std::to_string(offset + length - 1)},
            .max_body_bytes = static_cast<size_t>(length)}));
  if (r.status == 416) return std::string();  // the range starts past the end
  if (!Ok(r.status)) return Err(S3StatusOf("s3 GET " + full, r.status, r.body));
  return std::move(r.body);
}

Status S3ObjectStore::GetToFile(std::string_view key, const std::string& local_path) const {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  EL_ASSIGN_OR_RETURN(Response r, Send({.method = "GET", .key = full, .download_to = local_path}));
  if (!Ok(r.status)) {
    std::string body;
    if (auto text = ReadFile(local_path)) body = *text;
    std::remove(local_path.c_str());
    return S3StatusOf("s3 GET " + full, r.status, body);
  }
  return Status::Ok();
}

Result<ObjectInfo> S3ObjectStore::Head(std::string_view key) const {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  EL_ASSIGN_OR_RETURN(Response r, Send({.method = "HEAD", .key = full}));
  if (!Ok(r.status)) return Err(S3StatusOf("s3 HEAD " + full, r.status, r.body));
  return ObjectInfo{std::string(key), std::stoull("0" + r.Header("content-length")),
                    HttpDateMillis(r.Header("last-modified"))};
}

Result<std::vector<ObjectInfo>> S3ObjectStore::ListAll(std::string_view prefix, bool directories,
                                                       std::vector<std::string>* dirs) const {
  const std::string full_prefix = options_.prefix.empty()
                                      ? std::string(prefix)
                                      : options_.prefix + "/" + std::string(prefix);
  const size_t strip = options_.prefix.empty() ? 0 : options_.prefix.size() + 1;
  std::vector<ObjectInfo> out;
  std::string token;
  for (int page = 0; page < 100'000; ++page) {
    Request request{.method = "GET", .key = "", .query = {{"list-type", "2"}, {"prefix", full_prefix}}};
    if (directories) request.query["delimiter"] = "/";
    if (!token.empty()) request.query["continuation-token"] = token;
    EL_ASSIGN_OR_RETURN(Response r, Send(request));
    if (!Ok(r.status)) return Err(S3StatusOf("s3 LIST " + full_prefix, r.status, r.body));
    EL_ASSIGN_OR_RETURN(s3::ListPage listed, s3::ParseListObjectsV2(r.body));
    for (s3::ListedObject& o : listed.objects) {
      if (o.key.size() < strip) continue;
      std::string key = o.key.substr(strip);
      if (key.starts_with("_eventlake/")) continue;  // the probe of Open()
      out.push_back({std::move(key), o.size, o.modified_millis});
    }
    for (const std::string& p : listed.prefixes) {
      if (dirs == nullptr || p.size() <= full_prefix.size()) continue;
      std::string name = p.substr(full_prefix.size());
      while (!name.empty() && name.back() == '/') name.pop_back();
      if (!name.empty() && !(prefix.empty() && name == "_eventlake")) dirs->push_back(name);
    }
    if (!listed.truncated) return out;
    token = listed.next_token;
  }
  return Err(ResourceExhausted("s3: listing " + full_prefix + " did not end"));
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view prefix) const {
  EL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> out, ListAll(prefix, false, nullptr));
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Result<std::vector<std::string>> S3ObjectStore::ListDirectories(std::string_view prefix) const {
  if (!prefix.empty() && !prefix.ends_with("/")) {
    return Err(InvalidArgument("ListDirectories: prefix must end in '/'"));
  }
  std::vector<std::string> dirs;
  EL_RETURN_IF_ERROR(ListAll(prefix, true, &dirs));
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

Status S3ObjectStore::Delete(std::string_view key) {
  EL_ASSIGN_OR_RETURN(std::string full, CheckedKey(key));
  EL_ASSIGN_OR_RETURN(Response r, Send({.method = "DELETE", .key = full}));
  if (Ok(r.status) || r.status == 404) return Status::Ok();
  return S3StatusOf("s3 DELETE " + full, r.status, r.body);
}

Status S3ObjectStore::Copy(std::string_view from, std::string_view to) {
  EL_ASSIGN_OR_RETURN(std::string source, CheckedKey(from));
  EL_ASSIGN_OR_RETURN(std::string target, CheckedKey(to));
  EL_ASSIGN_OR_RETURN(
      Response r,
      Send({.method = "PUT",
            .key = target,
            .headers = {"x-amz-copy-source: /" + S3Encode(options_.bucket, false) + "/" +
                        S3Encode(source, true)}}));
  if (!Ok(r.status) || s3::ParseError(r.body).has_value()) {
    return S3StatusOf("s3 COPY " + source + " to " + target, Ok(r.status) ? 500 : r.status, r.body);
  }
  return Status::Ok();
}

}  // namespace eventlake::lake
