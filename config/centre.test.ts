import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadCentreConfig, parseCentreConfig } from "./load.js";

const EXAMPLES = new URL("./examples/", import.meta.url).pathname;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("the centre file", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("loads the example with the issue's defaults: PGlite, 365 days of audit and alarms, less of health", async () => {
    const c = await loadCentreConfig(join(EXAMPLES, "centre.yaml"));
    expect(c.database).toEqual({ type: "pglite" });
    expect(c.broker).toMatchObject({ url: "mqtt://127.0.0.1:1883", user: "recorder", keepaliveSec: 30 });
    expect(c.secrets.brokerPassword).toBe("change-me-recorder");
    expect(c.retention).toEqual({ audit: 365, alarms: 365, health: 90, agents: 365, readiness: 365, events: 90, quarantine: 90 });
    expect(parseCentreConfig("logLevel: info\n", "c.yaml").retention.health).toBeLessThan(365);
  });

  it("resolves the state dir and the password files against the file, and names a missing one", async () => {
    dir = await mkdtemp(join(tmpdir(), "centre-cfg-"));
    await writeFile(join(dir, "db.pw"), "s3cret\n");
    await writeFile(join(dir, "c.yaml"), "database:\n  type: postgres\n  url: postgres://rec@db/roomgate\n  passwordFile: db.pw\nstateDir: state\nbroker:\n  passwordFile: nope\n");
    const err = await loadCentreConfig(join(dir, "c.yaml")).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("broker.passwordFile: cannot read");
    await writeFile(join(dir, "c.yaml"), "database:\n  type: postgres\n  url: postgres://rec@db/roomgate\n  passwordFile: db.pw\nstateDir: state\n");
    const c = await loadCentreConfig(join(dir, "c.yaml"));
    expect(c.stateDir).toBe(join(dir, "state"));
    expect(c.secrets.databasePassword).toBe("s3cret");
  });

  it("refuses a password in the database URL, a typo'd key, and events kept shorter than an outbox can replay", () => {
    expect(errorOf(() => parseCentreConfig("database:\n  type: postgres\n  url: postgres://rec:pw@db/roomgate\n", "c.yaml")).message).toContain("database.url: write no password in the URL");
    expect(errorOf(() => parseCentreConfig("retention:\n  audti: 30\n", "c.yaml")).message).toContain("retention");
    expect(errorOf(() => parseCentreConfig("retention:\n  events: 3\n", "c.yaml")).message).toContain("retention.events");
  });
});
