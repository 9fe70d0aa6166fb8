// The node `pg` client of tests/e2e/test_pgwire.py: lists tables, runs a
// parameterised query and prints a JSON object with the tables, the rows,
// the fields' type OIDs and the SQLSTATE of a refused statement.
//   node pg_types.js PORT USER PASSWORD MIN_N
const { Client } = require('pg');

(async () => {
  const [port, user, password, minN] = process.argv.slice(2);
  const client = new Client({ host: '127.0.0.1', port: Number(port), user, password, database: 'lake' });
  await client.connect();
  const tables = await client.query(
    'SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2');
  const rows = await client.query('SELECT * FROM curated.events WHERE n >= $1 ORDER BY id', [Number(minN)]);
  let refused = null;
  try {
    await client.query("COPY (SELECT 1) TO '/tmp/eventlake-node.csv'");
  } catch (e) {
    refused = e.code;
  }
  await client.end();
  console.log(JSON.stringify({
    tables: tables.rows,
    rows: rows.rows,
    types: Object.fromEntries(rows.fields.map((f) => [f.name, f.dataTypeID])),
    refused,
  }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
