// DuckDB as the peer of the regional aggregate (issue 21): what an analyst
// does instead of asking lmx, downloading the flows and grouping them.
//
//   node bench/duckdb.mjs RUNS DIR/XXX.csv ...
//
// Each file is one country's flows (bench/gen.py), named by its ISO code.
// DuckDB 1.5 (npm's @duckdb/node-api, pinned in bench/package-lock.json)
// runs in memory on 2 threads, and is used two ways:
// - as a user would: its own CSV reader with the types it detects, plain
//   SQL (the occupation comes in as a number, so its major group needs a
//   cast and the zero the number lost);
// - tuned: ENUM columns and the major group computed at load time.
// Prints, per variant and query, the load time and the p50 and p99 of RUNS
// runs of the query, each run read to the last row, and the answer's
// total so that it can be checked against lmx's.
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';

const [runsText, ...files] = process.argv.slice(2);
const runs = Number(runsText);
if (!runs || files.length === 0) {
  console.error('usage: node bench/duckdb.mjs RUNS FILE.csv ...');
  process.exit(2);
}

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const db = await instance.connect();

async function timed(sql) {
  const t0 = process.hrtime.bigint();
  const reader = await db.runAndReadAll(sql);
  const rows = reader.getRows();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, rows };
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function measure(variant, name, sql, sumColumn) {
  await timed(sql);  // warm
  const times = [];
  let rows = [];
  for (let i = 0; i < runs; ++i) {
    const run = await timed(sql);
    times.push(run.seconds);
    rows = run.rows;
  }
  const total = rows.reduce((sum, row) => sum + BigInt(row[sumColumn]), 0n);
  console.log(`duckdb ${variant} ${name}: p50 ${quantile(times, 0.5).toFixed(4)} s, ` +
              `p99 ${quantile(times, 0.99).toFixed(4)} s, ${rows.length} groups, total ${total}`);
}

const country = (file) => path.basename(file, '.csv');
const quote = (text) => `'${text.replaceAll("'", "''")}'`;

// As a user would.
let t0 = process.hrtime.bigint();
await db.run(`CREATE TABLE flows AS SELECT ${quote(country(files[0]))} AS country, *
              FROM read_csv(${quote(files[0])})`);
for (const file of files.slice(1)) {
  await db.run(`INSERT INTO flows SELECT ${quote(country(file))} AS country, *
                FROM read_csv(${quote(file)})`);
}
const loaded = Number(process.hrtime.bigint() - t0) / 1e9;
const count = (await timed('SELECT count(*) FROM flows')).rows[0][0];
console.log(`duckdb plain: loaded ${count} rows from ${files.length} files in ${loaded.toFixed(2)} s`);
await measure('plain', '--by=occupation:1,country', `
  SELECT left(lpad(CAST(occupation AS VARCHAR), 4, '0'), 1) AS major, country,
         sum(count) AS count, count(DISTINCT country) AS countries
  FROM flows GROUP BY 1, 2`, 2);
await measure('plain', '--by=counterpart', `
  SELECT counterpart, sum(count) AS count, count(DISTINCT country) AS countries
  FROM flows GROUP BY 1`, 1);

// Tuned: ENUMs for the coded columns, the major group precomputed.
t0 = process.hrtime.bigint();
const countries = files.map((file) => quote(country(file))).join(', ');
await db.run(`CREATE TYPE country_t AS ENUM (${countries})`);
await db.run(`CREATE TYPE counterpart_t AS ENUM (SELECT DISTINCT counterpart FROM flows)`);
await db.run(`CREATE TABLE tuned AS SELECT CAST(country AS country_t) AS country,
                CAST(counterpart AS counterpart_t) AS counterpart,
                CAST(left(lpad(CAST(occupation AS VARCHAR), 4, '0'), 1) AS UTINYINT) AS major,
                CAST(count AS INTEGER) AS count
              FROM flows`);
const tuned = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`duckdb tuned: built the tuned table in ${tuned.toFixed(2)} s`);
await db.run('DROP TABLE flows');
await measure('tuned', '--by=occupation:1,country', `
  SELECT major, country, sum(count) AS count, count(DISTINCT country) AS countries
  FROM tuned GROUP BY 1, 2`, 2);
await measure('tuned', '--by=counterpart', `
  SELECT counterpart, sum(count) AS count, count(DISTINCT country) AS countries
  FROM tuned GROUP BY 1`, 1);
