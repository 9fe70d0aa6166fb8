// The JDBC client of tests/e2e/test_pgwire.py: lists tables, runs a
// parameterised query and prints every column of every row as
// "row<TAB><column>:<type name>=<value>..." lines, then "ok". Usage:
//   java -cp postgresql.jar:. PgTypes URL USER PASSWORD MIN_N
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

public class PgTypes {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery(
               "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2")) {
        while (rs.next()) System.out.println("table " + rs.getString(1) + "." + rs.getString(2));
      }
      try (PreparedStatement p = c.prepareStatement(
               "SELECT * FROM curated.events WHERE n >= ? ORDER BY id")) {
        p.setLong(1, Long.parseLong(args[3]));
        try (ResultSet rs = p.executeQuery()) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            StringBuilder line = new StringBuilder("row");
            for (int i = 1; i <= md.getColumnCount(); i++) {
              line.append('\t').append(md.getColumnName(i)).append(':').append(md.getColumnTypeName(i))
                  .append('=').append(rs.getObject(i));
            }
            System.out.println(line);
          }
        }
      }
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT * FROM read_csv('/etc/passwd')");
        System.out.println("refused: no");
      } catch (SQLException e) {
        System.out.println("refused " + e.getSQLState());
      }
      System.out.println("ok");
    }
  }
}
