/**
 * The centre file's `web:` section: validated at the door (the page's MQTT named once, by the
 * broker's WebSocket URL or the relay), paths relative to the centre file, the broker file's users
 * read for roles and sites, and the relay pointed at the broker the centre records from.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCentreConfig } from "../../config/load.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { webOptionsFromConfig } from "./config.js";

const dir = mkdtempSync(path.join(tmpdir(), "roomgate-webconf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the centre file's web section", () => {
  it("needs the broker's WebSocket URL or the relay, one of them", () => {
    expect(() => parseCentreConfig("web: {port: 8090}\n", "centre.yaml")).toThrow("give the broker's WebSocket address (mqttUrl) or relay: true, one of them");
    expect(() => parseCentreConfig("web: {relay: true, mqttUrl: 'ws://b:9001/mqtt'}\n", "centre.yaml")).toThrow("one of them");
    expect(() => parseCentreConfig("web: {mqttUrl: 'http://b:9001/mqtt'}\n", "centre.yaml")).toThrow("expected the broker's WebSocket listener");
    expect(parseCentreConfig("web: {relay: true}\n", "centre.yaml").web).toMatchObject({ host: "127.0.0.1", port: 8090, relay: true, metrics: true });
  });

  it("resolves its paths against the centre file and relays to the broker the centre records from", async () => {
    writeFileSync(path.join(dir, "broker.yaml"), "users:\n  op-anna: {role: operator, sites: [district-07], password: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='}\n");
    const file = path.join(dir, "centre.yaml");
    const web = parseCentreConfig("web: {host: 0.0.0.0, port: 8443, relay: true, usersFile: broker.yaml, tls: {certFile: tls/web.crt, keyFile: tls/web.key}}\n", file).web!;
    const opts = await webOptionsFromConfig(web, { file, broker: { url: "mqtts://broker.centre.local:8883" }, clock: fakeClock(), logger: memoryLogger() });
    expect(opts).toMatchObject({ host: "0.0.0.0", port: 8443, relay: { broker: "mqtts://broker.centre.local:8883" }, tls: { certFile: path.join(dir, "tls/web.crt"), keyFile: path.join(dir, "tls/web.key") } });
    expect(opts.mqttUrl).toBeUndefined();
    expect(Object.keys(opts.logins!.users)).toEqual(["op-anna"]);
  });
});
