/**
 * JSON Schema export of zod schemas (zod 4's `z.toJSONSchema`), for editors and docs/schemas.
 * Keys are sorted at every level so the output is stable across runs and zod versions' key order.
 */
import { z } from "zod";
import { brokerConfigSchema } from "./broker.js";
import { centreConfigSchema } from "./centre.js";
import { siteConfigSchema } from "./site.js";

export type JsonSchema = Record<string, unknown>;

/**
 * The schema of what a producer may write (`io: "input"`: fields with defaults are optional).
 * Refinements (cross-field checks) are not representable and are left out.
 */
export function toJsonSchema(schema: z.ZodType, title: string): JsonSchema {
  const generated = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  return sortKeys({ ...generated, title }) as JsonSchema;
}

/** Recursively sorts object keys; arrays keep their order (it carries meaning, e.g. `required`). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** JSON Schema of the site file (`roomgate config schema`). */
export function siteJsonSchema(): JsonSchema {
  return toJsonSchema(siteConfigSchema, "roomgate site file");
}

/** JSON Schema of the broker file. */
export function brokerJsonSchema(): JsonSchema {
  return toJsonSchema(brokerConfigSchema, "roomgate broker file");
}

/** JSON Schema of the centre file (`roomgate centre --config`). */
export function centreJsonSchema(): JsonSchema {
  return toJsonSchema(centreConfigSchema, "roomgate centre file");
}
