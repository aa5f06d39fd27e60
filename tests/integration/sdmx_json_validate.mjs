// Validates SDMX-JSON messages against official SDMX-JSON data schemas with
// Ajv (client/web's pinned npm packages):
//
//   node tests/integration/sdmx_json_validate.mjs SCHEMA[,SCHEMA...] MESSAGE...
//
// Every message must validate against every schema named. Prints one line
// per failure and exits 1 if any; prints "ok N" otherwise.
//
// The schemas are draft-04 style: they name themselves with `id`, which
// Ajv 8 refuses, and some TIME_PERIOD patterns escape `-` outside a class,
// which unicode regular expressions refuse. Ajv is told to read them as
// they are; the schema files are not changed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../client/web/package.json"));
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const [schemas, ...messages] = process.argv.slice(2);
if (!schemas || messages.length === 0) {
  console.error("usage: sdmx_json_validate.mjs SCHEMA[,SCHEMA...] MESSAGE...");
  process.exit(2);
}
let failures = 0;
for (const path of schemas.split(",")) {
  const schema = JSON.parse(readFileSync(path, "utf8"));
  delete schema.id;
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  ajv.removeKeyword("id");
  ajv.addKeyword({ keyword: "id", schemaType: "string" });
  const validate = ajv.compile(schema);
  for (const message of messages) {
    const data = JSON.parse(readFileSync(message, "utf8"));
    if (!validate(data)) {
      failures++;
      const errors = validate.errors
        .slice(0, 5)
        .map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`)
        .join("; ");
      console.log(`${message} against ${path}: ${errors}`);
    }
  }
}
if (failures > 0) process.exit(1);
console.log(`ok ${messages.length}`);
