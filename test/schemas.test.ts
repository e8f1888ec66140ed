/**
 * Drift check: docs/schemas must be exactly what the zod schemas generate, and docs/topics.md must
 * name every topic and link every schema. To refresh after a schema change: `npm run docs:schemas`
 * (or `UPDATE_SCHEMAS=1 npx vitest run test/schemas.test.ts`, which writes them first).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodePayload, TOPIC_KINDS, TOPIC_SPECS, type TopicKind } from "../agent/topics.js";
import { SecurityEventSchema } from "../broker/security-events.js";
import { generateSchemas, writeSchemas } from "../scripts/gen-schemas.js";
import { CentreHealthSchema } from "../centre/topics.js";

const DIR = new URL("../docs/schemas/", import.meta.url).pathname;
const TOPICS_MD = new URL("../docs/topics.md", import.meta.url).pathname;
const HINT = "docs/schemas is out of date: run `npm run docs:schemas`";

if (process.env.UPDATE_SCHEMAS === "1") writeSchemas(DIR);

const generated = generateSchemas();

describe("docs/schemas", () => {
  it("holds exactly the generated files", () => {
    const committed = readdirSync(DIR).filter((f) => f.endsWith(".schema.json")).sort();
    expect(committed, HINT).toEqual(Object.keys(generated).sort());
  });

  it.each(Object.keys(generated))("%s matches its zod schema", (file) => {
    expect(readFileSync(`${DIR}${file}`, "utf8"), HINT).toBe(generated[file]);
  });

  it("covers every payload topic and both config files", () => {
    for (const kind of TOPIC_KINDS) {
      const file = TOPIC_SPECS[kind].schemaFile;
      if (file !== null) expect(generated).toHaveProperty([file]);
    }
    expect(Object.keys(generated)).toEqual(expect.arrayContaining(["site-config.schema.json", "broker-config.schema.json"]));
    const site = JSON.parse(generated["site-config.schema.json"] ?? "{}") as { properties: Record<string, { description?: string }> };
    expect(site.properties.site?.description).toBe("Site id: a-z, 0-9 and -, 1..48 characters. Appears in every topic.");
  });
});

describe("docs/topics.md", () => {
  const md = readFileSync(TOPICS_MD, "utf8");
  it.each(TOPIC_KINDS)("documents the %s topic", (kind) => {
    expect(md).toContain(TOPIC_SPECS[kind].pattern);
  });
  it.each(Object.keys(generated))("links %s", (file) => {
    expect(md).toContain(`(schemas/${file})`);
  });

  it("has payload examples that pass their schemas", () => {
    const sections: Record<string, TopicKind> = {
      "agent/state": "agentState", "agent/meta": "agentMeta", "dev/{device}/state": "deviceState",
      "dev/{device}/health": "deviceHealth", "alarm/{alarm}": "alarm", event: "event", readiness: "readiness",
      "cmd/{user}": "cmd", "res/{user}": "res",
    };
    const checked: string[] = [];
    let kind: TopicKind | "security" | "centreHealth" | undefined;
    let inJson = false;
    let pending = "";
    for (const line of md.split("\n")) {
      const heading = /^\*\*([^*]+)\*\*:/.exec(line);
      if (heading) kind = heading[1] === "centre/{user}/health" ? "centreHealth" : sections[heading[1] ?? ""];
      // A section of its own ends the payload it follows; the broker's events have their schema.
      if (line.startsWith("## ")) kind = line === "## Broker security events" ? "security" : undefined;
      if (line === "```json") inJson = true;
      else if (line === "```") {
        expect(pending.trim(), `unparsed ${kind} example`).toBe("");
        inJson = false;
      } else if (inJson && kind !== undefined) {
        pending += line;
        let complete = true;
        try { JSON.parse(pending); } catch { complete = false; } // an example may span lines: keep reading
        if (!complete) continue;
        if (kind === "security") {
          const r = SecurityEventSchema.safeParse(JSON.parse(pending));
          expect(r.success ? "valid" : r.error.message, `security event example ${pending}`).toBe("valid");
        } else if (kind === "centreHealth") {
          const c = CentreHealthSchema.safeParse(JSON.parse(pending));
          expect(c.success ? "valid" : c.error.message, `centre health example ${pending}`).toBe("valid");
        } else {
          const r = decodePayload(kind, pending);
          expect(r.ok ? "valid" : r.error.message, `${kind} example ${pending}`).toBe("valid");
        }
        checked.push(kind);
        pending = "";
      }
    }
    expect(new Set(checked)).toEqual(new Set([...Object.values(sections), "security", "centreHealth"]));
  });
});
