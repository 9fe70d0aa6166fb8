// The few S3 XML answers the S3 object store reads: ListObjectsV2 pages,
// InitiateMultipartUpload's UploadId, CopyObject/CompleteMultipartUpload
// results and Error bodies. A small, strict reader, not a general XML
// parser: elements, text and the five entities plus character references;
// no DTDs, no CDATA. Every answer is outside input: sizes and depth are
// bounded and anything unexpected is an InvalidArgument naming the byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eventlake::lake::s3 {

inline constexpr size_t kMaxXmlBytes = 32u << 20;
inline constexpr int kMaxXmlDepth = 16;

// One element with its text (entities decoded) and its child elements.
struct XmlElement {
  std::string name;  // without a namespace prefix
  std::string text;  // the concatenated text directly inside it
  std::vector<XmlElement> children;

  // The first child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
  // The text of the first child named `name`, or "".
  std::string ChildText(std::string_view name) const;
};

// The document's root element.
Result<XmlElement> ParseXml(std::string_view text);

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  int64_t modified_millis = 0;
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> prefixes;  // CommonPrefixes, when listed with a delimiter
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

Result<ListPage> ParseListObjectsV2(std::string_view xml);

struct S3Error {
  std::string code;     // "NoSuchKey", "PreconditionFailed", ...
  std::string message;
};
// An <Error> body; nullopt when `xml` is not one.
std::optional<S3Error> ParseError(std::string_view xml);

}  // namespace eventlake::lake::s3
