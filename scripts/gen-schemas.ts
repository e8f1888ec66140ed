/**
 * Generates docs/schemas/*.schema.json from the zod schemas: every topic payload (agent/topics.ts),
 * the data of each known event type, the broker's security events, the centre's health topic
 * (centre/topics.ts), and the site, broker and centre files (config/).
 *
 * `generateSchemas()` is pure (file name -> content); test/schemas.test.ts compares it with the
 * committed files. Run as a program (`node dist/scripts/gen-schemas.js [outDir]`) it writes them.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVENT_DATA_SCHEMAS, TOPIC_KINDS, TOPIC_SPECS } from "../agent/topics.js";
import { SecurityEventSchema } from "../broker/security-events.js";
import { brokerJsonSchema, centreJsonSchema, siteJsonSchema, toJsonSchema, type JsonSchema } from "../config/json-schema.js";
import { CentreHealthSchema } from "../centre/topics.js";

/** File name -> JSON text (sorted keys, 2-space indent, trailing newline). */
export function generateSchemas(): Record<string, string> {
  const out: Record<string, JsonSchema> = {};
  for (const kind of TOPIC_KINDS) {
    const spec = TOPIC_SPECS[kind];
    if (spec.schema === null || spec.schemaFile === null) continue;
    out[spec.schemaFile] = toJsonSchema(spec.schema, `${spec.pattern} payload`);
  }
  for (const [type, schema] of Object.entries(EVENT_DATA_SCHEMAS)) {
    out[`event-${type.replace(/\./g, "-")}.schema.json`] = toJsonSchema(schema, `data of a "${type}" event`);
  }
  out["broker-security-event.schema.json"] = toJsonSchema(SecurityEventSchema, "$SYS/roomgate/v1/security payload");
  out["site-config.schema.json"] = siteJsonSchema();
  out["broker-config.schema.json"] = brokerJsonSchema();
  out["centre-config.schema.json"] = centreJsonSchema();
  out["centre-health.schema.json"] = toJsonSchema(CentreHealthSchema, "roomgate/centre/{user}/health payload");
  const files: Record<string, string> = {};
  for (const name of Object.keys(out).sort()) files[name] = `${JSON.stringify(out[name], null, 2)}\n`;
  return files;
}

/** Writes every schema into `dir` and removes *.schema.json files that are no longer generated. */
export function writeSchemas(dir: string): string[] {
  const files = generateSchemas();
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) {
    if (old.endsWith(".schema.json") && !(old in files)) rmSync(join(dir, old));
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return Object.keys(files);
}

if (process.argv[1]?.endsWith("gen-schemas.js")) {
  const dir = process.argv[2] ?? "docs/schemas";
  const written = writeSchemas(dir);
  process.stdout.write(`wrote ${written.length} schemas to ${dir}\n`);
}
