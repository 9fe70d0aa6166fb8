#include "query/access_view.h"

#include <gtest/gtest.h>

namespace eventlake::query {
namespace {

TEST(AccessView, RowFiltersAreOneExpressionWithoutRelations) {
  auto db = engine::Database::Open({.threads = 1}).value();
  auto c = db->Connect().value();
  EXPECT_TRUE(CheckRowFilter(*c, "country = 'FR' AND n BETWEEN 1 AND 5").ok());
  EXPECT_TRUE(CheckRowFilter(*c, "lower(email) LIKE '%@x.eu'").ok());
  for (const char* bad : {"n IN (SELECT n FROM curated.other)", "EXISTS (SELECT 1)",
                          "n > 1) UNION ALL (SELECT 1", "true; COPY (SELECT 1) TO '/tmp/x'",
                          "n = (SELECT count(*) FROM read_csv('/etc/passwd'))",
                          "current_setting('threads') = '1'", "n > "}) {
    EXPECT_FALSE(CheckRowFilter(*c, bad).ok()) << bad;
  }
}

TEST(AccessView, RestrictedSelectListsMasksAndFilters) {
  security::Statement s{.columns = {"id", "email", "n"},
                        .row_filter = "n > 1",
                        .masks = {{"email", security::MaskKind::kHash}, {"n", security::MaskKind::kNull}}};
  std::vector<ViewColumn> shown;
  const std::string sql = RestrictedSelect("SELECT * FROM t", {{"id", "VARCHAR"}, {"secret", "VARCHAR"},
                                                               {"email", "VARCHAR"}, {"n", "BIGINT"}},
                                           s, &shown);
  EXPECT_EQ(sql, "SELECT \"id\" AS \"id\", sha256(CAST(\"email\" AS VARCHAR)) AS \"email\", NULL::BIGINT AS \"n\" "
                 "FROM (SELECT * FROM t) AS \"restricted\" WHERE (n > 1) IS TRUE");
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[2].type, "BIGINT");
  auto db = engine::Database::Open({.threads = 1}).value();
  auto c = db->Connect().value();
  ASSERT_TRUE(c->Execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 's', 'a@x', 1), ('b', 's', 'b@x', 2)) "
                         "v(id, secret, email, n)").ok());
  auto r = c->Query(sql);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->rows(), 1u);
  EXPECT_EQ(r->String(0, 0), "b");
  EXPECT_EQ(r->String(1, 0)->size(), 64u);
  EXPECT_TRUE(r->IsNull(2, 0));
}

}  // namespace
}  // namespace eventlake::query
