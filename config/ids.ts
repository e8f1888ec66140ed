/**
 * Identifiers shared by the site file and the MQTT topic contract (DESIGN.md: "Ids are [a-z0-9-]").
 * An id is one topic level, so it can never carry `/`, `+` or `#`.
 */
import { z } from "zod";

export const ID_PATTERN = /^[a-z0-9-]+$/;
/** Longest site id (it appears in every topic). */
export const SITE_ID_MAX = 48;
/** Longest device, room, user or alarm id. */
export const ID_MAX = 64;

/** A device, room, region, user or alarm id. */
export const idSchema = z
  .string()
  .min(1)
  .max(ID_MAX)
  .regex(ID_PATTERN, "expected an id of a-z, 0-9 and -");

/** A site id: like any id, but at most 48 characters. */
export const siteIdSchema = z
  .string()
  .min(1)
  .max(SITE_ID_MAX)
  .regex(ID_PATTERN, "expected an id of a-z, 0-9 and -");

export function isId(value: unknown, max = ID_MAX): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= max && ID_PATTERN.test(value);
}

/**
 * Turns free text (e.g. a device id and an error code like `auth_failed`) into an id:
 * lower case, every run of other characters becomes `-`, trimmed to ID_MAX.
 */
export function toId(text: string): string {
  const id = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, ID_MAX)
    .replace(/-+$/, "");
  return id === "" ? "x" : id;
}
