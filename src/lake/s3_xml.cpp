// A bounded recursive-descent reader for S3's XML answers.
#include "lake/s3_xml.h"

#include <charconv>

#include "core/cloud_event.h"

namespace eventlake::lake::s3 {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Result<XmlElement> Document() {
    SkipProlog();
    if (!Consume('<')) return Err(Error("expected the root element"));
    EL_ASSIGN_OR_RETURN(XmlElement root, Element(1));
    SkipSpaceAndComments();
    if (pos_ != text_.size()) return Err(Error("content after the root element"));
    return root;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("S3 XML at byte " + std::to_string(pos_) + ": " + std::string(what));
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Consume(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool StartsWith(std::string_view s) const { return text_.substr(pos_).starts_with(s); }
  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' ||
                        text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  void SkipSpaceAndComments() {
    while (true) {
      SkipSpace();
      if (StartsWith("<!--")) {
        const size_t end = text_.find("-->", pos_ + 4);
        pos_ = end == std::string_view::npos ? text_.size() : end + 3;
      } else {
        return;
      }
    }
  }
  void SkipProlog() {
    if (StartsWith("\xEF\xBB\xBF")) pos_ += 3;
    SkipSpaceAndComments();
    if (StartsWith("<?xml")) {
      const size_t end = text_.find("?>", pos_);
      pos_ = end == std::string_view::npos ? text_.size() : end + 2;
    }
    SkipSpaceAndComments();
  }
  static bool NameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ':';
  }
  std::string_view Name() {
    const size_t start = pos_;
    while (!AtEnd() && NameChar(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    const size_t colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
  }
  // Skips attributes up to '>' or "/>"; true when the tag closes itself.
  Result<bool> SkipAttributes() {
    while (true) {
      SkipSpace();
      if (AtEnd()) return Err(Error("unterminated tag"));
      if (Consume('>')) return false;
      if (StartsWith("/>")) {
        pos_ += 2;
        return true;
      }
      if (Name().empty()) return Err(Error("bad attribute"));
      SkipSpace();
      if (!Consume('=')) return Err(Error("attribute without '='"));
      SkipSpace();
      if (AtEnd() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
        return Err(Error("unquoted attribute value"));
      }
      const char quote = text_[pos_++];
      const size_t end = text_.find(quote, pos_);
      if (end == std::string_view::npos) return Err(Error("unterminated attribute value"));
      pos_ = end + 1;
    }
  }
  Status Entity(std::string* out) {
    const size_t end = text_.find(';', pos_);
    if (end == std::string_view::npos || end - pos_ > 10) return Error("bad entity");
    const std::string_view name = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    if (name == "amp") return *out += '&', Status::Ok();
    if (name == "lt") return *out += '<', Status::Ok();
    if (name == "gt") return *out += '>', Status::Ok();
    if (name == "quot") return *out += '"', Status::Ok();
    if (name == "apos") return *out += '\'', Status::Ok();
    if (name.size() >= 2 && name[0] == '#') {
      const bool hex = name[1] == 'x';
      uint32_t code = 0;
      std::string_view digits = name.substr(hex ? 2 : 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size() || code == 0 || code > 0x10FFFF ||
          (code >= 0xD800 && code <= 0xDFFF)) {
        return Error("bad character reference");
      }
      if (code < 0x80) {
        *out += static_cast<char>(code);
      } else if (code < 0x800) {
        *out += static_cast<char>(0xC0 | (code >> 6));
        *out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        *out += static_cast<char>(0xE0 | (code >> 12));
        *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        *out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        *out += static_cast<char>(0xF0 | (code >> 18));
        *out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        *out += static_cast<char>(0x80 | (code & 0x3F));
      }
      return Status::Ok();
    }
    return Error("unknown entity");
  }
  // After '<' of a start tag.
  Result<XmlElement> Element(int depth) {
    if (depth > kMaxXmlDepth) return Err(Error("elements nested too deep"));
    XmlElement element;
    element.name = std::string(Name());
    if (element.name.empty()) return Err(Error("element without a name"));
    EL_ASSIGN_OR_RETURN(bool closed, SkipAttributes());
    if (closed) return element;
    while (true) {
      if (AtEnd()) return Err(Error("unterminated element " + element.name));
      const char c = text_[pos_];
      if (c == '&') {
        EL_RETURN_IF_ERROR(Entity(&element.text));
      } else if (c != '<') {
        element.text += c;
        ++pos_;
      } else if (StartsWith("<!--")) {
        SkipSpaceAndComments();
      } else if (StartsWith("</")) {
        pos_ += 2;
        if (Name() != element.name) return Err(Error("mismatched end tag of " + element.name));
        SkipSpace();
        if (!Consume('>')) return Err(Error("bad end tag"));
        return element;
      } else if (StartsWith("<!") || StartsWith("<?")) {
        return Err(Error("DTDs, CDATA and processing instructions are not accepted"));
      } else {
        ++pos_;
        EL_ASSIGN_OR_RETURN(XmlElement child, Element(depth + 1));
        element.children.push_back(std::move(child));
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

uint64_t ParseUint(const std::string& text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child) const {
  const XmlElement* c = Child(child);
  return c == nullptr ? std::string() : c->text;
}

Result<XmlElement> ParseXml(std::string_view text) {
  if (text.size() > kMaxXmlBytes) return Err(InvalidArgument("S3 XML answer too large"));
  return Reader(text).Document();
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  EL_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name != "ListBucketResult") {
    return Err(InvalidArgument("S3 XML: expected ListBucketResult, got " + root.name));
  }
  ListPage page;
  page.truncated = root.ChildText("IsTruncated") == "true";
  page.next_token = root.ChildText("NextContinuationToken");
  for (const XmlElement& c : root.children) {
    if (c.name == "Contents") {
      ListedObject object{.key = c.ChildText("Key"), .size = ParseUint(c.ChildText("Size"))};
      if (object.key.empty()) return Err(InvalidArgument("S3 XML: an object without a key"));
      if (auto t = ParseRfc3339(c.ChildText("LastModified"))) object.modified_millis = *t / 1000;
      page.objects.push_back(std::move(object));
    } else if (c.name == "CommonPrefixes") {
      page.prefixes.push_back(c.ChildText("Prefix"));
    }
  }
  if (page.truncated && page.next_token.empty()) {
    return Err(InvalidArgument("S3 XML: a truncated listing without NextContinuationToken"));
  }
  return page;
}

std::optional<S3Error> ParseError(std::string_view xml) {
  auto root = ParseXml(xml);
  if (!root.has_value() || root->name != "Error") return std::nullopt;
  return S3Error{root->ChildText("Code"), root->ChildText("Message")};
}

}  // namespace eventlake::lake::s3
