#include "lake/s3_xml.h"

#include <gtest/gtest.h>

namespace eventlake::lake::s3 {
namespace {

TEST(S3Xml, ListObjectsV2PageWithEntitiesPrefixesAndAToken) {
  auto page = ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lake</Name>
  <Prefix>curated/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok&amp;en</NextContinuationToken>
  <Contents><Key>curated/t/dt=a%2Fb/x &amp; y.parquet</Key>
    <LastModified>2026-12-02T01:02:03.456Z</LastModified><ETag>&quot;abc&quot;</ETag>
    <Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>curated/t/&#233;&#x4E2D;</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>curated/u/</Prefix></CommonPrefixes>
</ListBucketResult>)");
  ASSERT_TRUE(page.has_value()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "curated/t/dt=a%2Fb/x & y.parquet");
  EXPECT_EQ(page->objects[0].size, 1234u);
  EXPECT_EQ(page->objects[0].modified_millis, 1'796'173'323'456);
  EXPECT_EQ(page->objects[1].key, "curated/t/\xC3\xA9\xE4\xB8\xAD");
  EXPECT_EQ(page->prefixes, std::vector<std::string>{"curated/u/"});
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok&en");
}

TEST(S3Xml, ErrorsAndRefusedDocuments) {
  auto error = ParseError("<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                          "pre-conditions you specified did not hold</Message></Error>");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "PreconditionFailed");
  EXPECT_FALSE(ParseError("<ListBucketResult/>").has_value());
  EXPECT_FALSE(ParseError("not xml").has_value());
  for (std::string_view bad :
       {std::string_view("<a><b></a>"), std::string_view("<a>&bogus;</a>"),
        std::string_view("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>"), std::string_view("<a>&#0;</a>"),
        std::string_view("<a x=1/>"), std::string_view("<a></a><b/>"),
        std::string_view("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")}) {
    EXPECT_FALSE(ParseListObjectsV2(bad).has_value()) << bad;
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  EXPECT_FALSE(ParseXml(deep).has_value());
}

}  // namespace
}  // namespace eventlake::lake::s3
