// One signed S3 request over libcurl (CURLOPT_AWS_SIGV4), with retries.
#include <curl/curl.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "lake/s3_object_store.h"
#include "lake/s3_object_store_internal.h"
#include "lake/s3_xml.h"

namespace eventlake::lake {
namespace {

std::once_flag g_curl_init;

struct Upload {
  std::string_view data;
  FILE* file = nullptr;
  uint64_t remaining = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t want = std::min<uint64_t>(size * count, up->remaining);
  if (want == 0) return 0;
  if (up->file != nullptr) {
    const size_t got = std::fread(buffer, 1, want, up->file);
    up->remaining -= got;
    return got;
  }
  std::memcpy(buffer, up->data.data(), want);
  up->data.remove_prefix(want);
  up->remaining -= want;
  return want;
}

struct Download {
  std::string* body = nullptr;
  FILE* file = nullptr;
  size_t limit = 0;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* down = static_cast<Download*>(user);
  const size_t n = size * count;
  if (down->file != nullptr) return std::fwrite(data, 1, n, down->file);
  if (down->body->size() + n > down->limit) {
    down->too_large = true;
    return 0;  // aborts the transfer
  }
  down->body->append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * count;
}

bool Retryable(long status) { return status == 429 || status >= 500; }

}  // namespace

std::string S3Encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string S3Query(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [name, value] : params) {  // a std::map: sorted, as SigV4 wants
    if (!out.empty()) out += '&';
    out += S3Encode(name, false) + "=" + S3Encode(value, false);
  }
  return out;
}

std::string S3ObjectStore::UrlFor(std::string_view object_key, std::string_view query) const {
  std::string base = options_.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url;
  if (options_.path_style) {
    url = base + "/" + S3Encode(options_.bucket, false);
  } else {
    const size_t scheme = base.find("://");
    const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
    url = base.substr(0, host) + options_.bucket + "." + base.substr(host);
  }
  if (!object_key.empty()) url += "/" + S3Encode(object_key, true);
  else if (!options_.path_style) url += "/";
  if (!query.empty()) url += "?" + std::string(query);
  return url;
}

Result<S3ObjectStore::Response> S3ObjectStore::SendOnce(const Request& request) const {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Err(Internal("curl_easy_init failed"));
  Response response;
  const std::string url = UrlFor(request.key, S3Query(request.query));
  const std::string sigv4 = "aws:amz:" + options_.region + ":s3";
  const std::string credentials = options_.access_key_id + ":" + options_.secret_access_key;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
  headers = curl_slist_append(headers, "Expect:");
  if (!options_.session_token.empty()) {
    headers = curl_slist_append(headers, ("x-amz-security-token: " + options_.session_token).c_str());
  }
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());

  Upload upload;
  Download download{.body = &response.body, .limit = request.max_body_bytes};
  FILE* upload_file = nullptr;
  FILE* download_file = nullptr;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, credentials.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
  if (!request.download_to.empty()) {
    download_file = std::fopen(request.download_to.c_str(), "wb");
    if (download_file == nullptr) {
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
      return Err(IOError("cannot create " + request.download_to));
    }
    download.file = download_file;
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    if (!request.upload_from.empty()) {
      upload_file = std::fopen(request.upload_from.c_str(), "rb");
      if (upload_file == nullptr || std::fseek(upload_file, static_cast<long>(request.upload_offset), SEEK_SET) != 0) {
        if (upload_file != nullptr) std::fclose(upload_file);
        if (download_file != nullptr) std::fclose(download_file);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return Err(IOError("cannot read " + request.upload_from));
      }
      upload.file = upload_file;
      upload.remaining = request.upload_length;
    } else {
      upload.data = request.body;
      upload.remaining = request.body.size();
    }
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.remaining));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (upload_file != nullptr) std::fclose(upload_file);
  if (download_file != nullptr && std::fclose(download_file) != 0 && code == CURLE_OK) {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return Err(IOError("cannot write " + request.download_to));
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (download.too_large) {
    return Err(ResourceExhausted("S3 answer to " + request.method + " " + request.key +
                                 " is over " + std::to_string(request.max_body_bytes) + " bytes"));
  }
  if (code != CURLE_OK) {
    return Err(Unavailable("S3 " + request.method + " " + url + ": " + curl_easy_strerror(code)));
  }
  return response;
}

Result<S3ObjectStore::Response> S3ObjectStore::Send(const Request& request) const {
  auto backoff = std::chrono::milliseconds(100);
  for (int attempt = 0;; ++attempt) {
    auto response = SendOnce(request);
    const bool again = !response.has_value() ? response.error().code() == StatusCode::kUnavailable
                                             : Retryable(response->status);
    if (!again || attempt >= options_.max_retries) return response;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

Status S3StatusOf(const std::string& what, long status, const std::string& body) {
  std::string detail = what + ": HTTP " + std::to_string(status);
  if (auto error = s3::ParseError(body)) detail += " " + error->code + ": " + error->message;
  if (status == 404) return NotFound(detail);
  if (status == 412) return AlreadyExists(detail);
  if (status == 409) return Conflict(detail);
  if (status == 401 || status == 403) return PermissionDenied(detail);
  if (status == 429 || status == 503) return Unavailable(detail);
  if (status >= 400 && status < 500) return InvalidArgument(detail);
  return IOError(detail);
}

}  // namespace eventlake::lake
