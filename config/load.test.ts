import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadBrokerConfig, loadSiteConfig, parseBrokerConfig, parseSiteConfig } from "./load.js";

const EXAMPLES = new URL("./examples/", import.meta.url).pathname;

/** A valid site file; tests replace one line to break it. */
const BASE = `site: district-07
broker:
  url: mqtt://127.0.0.1:1883
devices:
  cam-main:
    kind: camera
    protocol: visca
    transport:
      type: serial
      path: /tmp/roomgate/d7/cam-main
      baudRate: 9600
`;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseSiteConfig", () => {
  it("fills defaults for a minimal file", () => {
    const c = parseSiteConfig("site: s1\nbroker: { url: 'mqtts://broker.lan:8883' }\n", "s.yaml");
    expect(c).toEqual({
      site: "s1",
      region: [],
      broker: { url: "mqtts://broker.lan:8883", keepaliveSec: 30, outboxLimit: 10000, outboxMaxBytes: 33554432, outboxMaxAgeSec: 604800 },
      agent: { pollIntervalMs: 5000, commandTimeoutMs: 10000, logLevel: "info" },
      devices: {},
      readiness: { deadlineMs: 20000, deviceTimeoutMs: 10000, slowMs: 3000, schedule: { beforeMinutes: [], sessions: [] } },
      calls: { quality: { lossPct: 1, jitterMs: 30, windowSec: 10 } },
    });
  });

  it("names file, dotted path, expectation, found value and line for a bad baud rate", () => {
    const err = errorOf(() => parseSiteConfig(BASE.replace("baudRate: 9600", "baudRate: 9601"), "config/examples/x.yaml"));
    expect(err.code).toBe("bad_config");
    expect(err.message).toBe(
      "config/examples/x.yaml: devices.cam-main.transport.baudRate: expected one of 2400|4800|9600|19200|38400|57600|115200; got 9601 (line 11, column 17)",
    );
    expect(err.issues).toEqual([
      {
        path: "devices.cam-main.transport.baudRate",
        message: "expected one of 2400|4800|9600|19200|38400|57600|115200; got 9601",
        line: 11,
        column: 17,
      },
    ]);
  });

  it("lists every issue, one line each", () => {
    const text = BASE.replace("kind: camera", "kind: projector").replace("type: serial", "type: usb");
    const lines = errorOf(() => parseSiteConfig(text, "x.yaml")).message.split("\n");
    expect(lines).toEqual([
      'x.yaml: devices.cam-main.kind: expected one of camera|display|ledwall|audio|crypto|gpio|codec|link|switch; got "projector" (line 6, column 11)',
      'x.yaml: devices.cam-main.transport.type: expected one of serial|udp|tcp|http|ssh; got "usb" (line 9, column 13)',
    ]);
  });

  it("refuses unknown keys, pointing at the key", () => {
    const err = errorOf(() => parseSiteConfig(BASE.replace("baudRate: 9600", "baudrate: 9600"), "x.yaml"));
    expect(err.message).toBe('x.yaml: devices.cam-main.transport: unknown key "baudrate" (line 11, column 7)');
  });

  it("refuses device ids outside [a-z0-9-]", () => {
    const err = errorOf(() => parseSiteConfig(BASE.replace("cam-main:", "Cam_Main:"), "x.yaml"));
    expect(err.message).toBe('x.yaml: devices.Cam_Main: invalid key "Cam_Main": expected an id of a-z, 0-9 and - (line 5, column 3)');
  });

  it("says what is missing", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nbroker: {}\n", "x.yaml"));
    expect(err.message).toBe("x.yaml: broker.url: required (a string) (line 2, column 9)");
  });

  it("checks the broker URL scheme and hides credentials in it", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nbroker: { url: 'http://u:secret@h' }\n", "x.yaml"));
    expect(err.message).toBe('x.yaml: broker.url: expected mqtt://host:port or mqtts://host:port; got "http://***@h" (line 2, column 16)');
    expect(err.message).not.toContain("secret");
  });

  it("never echoes a password, even a wrong one", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nbroker: { url: 'mqtt://h', password: 918273 }\n", "x.yaml"));
    expect(err.message).toBe("x.yaml: broker.password: expected a string; got (hidden) (line 2, column 38)");
    expect(err.message).not.toContain("918273");
  });

  it("checks ranges with the bound in the message", () => {
    const text = `${BASE}agent:\n  pollIntervalMs: 50\n`;
    expect(errorOf(() => parseSiteConfig(text, "x.yaml")).message).toBe(
      "x.yaml: agent.pollIntervalMs: expected a value >= 200; got 50 (line 13, column 19)",
    );
  });

  it("requires a device's room to exist when rooms are listed", () => {
    const text = BASE.replace("    protocol: visca\n", "    protocol: visca\n    room: lobby\n") + "rooms:\n  main-hall: {}\n";
    expect(errorOf(() => parseSiteConfig(text, "x.yaml")).message).toBe(
      'x.yaml: devices.cam-main.room: unknown room "lobby"; expected one of main-hall (line 8, column 11)',
    );
    // Without a rooms map, any room id is accepted.
    expect(parseSiteConfig(BASE.replace("    protocol: visca\n", "    protocol: visca\n    room: lobby\n"), "x.yaml").devices["cam-main"]?.room).toBe("lobby");
  });

  it("refuses two devices on one serial path or one udp endpoint", () => {
    const text = `site: s1
broker: { url: 'mqtt://h:1883' }
devices:
  a: { kind: camera, protocol: visca, transport: { type: serial, path: /dev/ttyS0 } }
  b: { kind: camera, protocol: visca, transport: { type: serial, path: /dev/ttyS0 } }
  c: { kind: camera, protocol: visca, transport: { type: udp, host: 10.0.0.5, port: 52381 } }
  d: { kind: camera, protocol: visca, transport: { type: udp, host: 10.0.0.5, port: 52381 } }
  e: { kind: camera, protocol: visca, transport: { type: udp, host: 10.0.0.6, port: 52381 } }
`;
    expect(errorOf(() => parseSiteConfig(text, "x.yaml")).message.split("\n")).toEqual([
      "x.yaml: devices.b.transport.path: serial path /dev/ttyS0 is already used by device a (line 5, column 72)",
      "x.yaml: devices.d.transport.port: udp endpoint 10.0.0.5:52381 is already used by device c (line 7, column 85)",
    ]);
  });

  it("refuses broker.tls on a plain mqtt:// url, and a certificate without its key", () => {
    expect(errorOf(() => parseSiteConfig("site: s1\nbroker: { url: 'mqtt://h', tls: { caFile: ca.crt } }\n", "x.yaml")).message).toMatch(
      /^x\.yaml: broker\.tls: tls settings need an mqtts:\/\/ url/,
    );
    expect(errorOf(() => parseSiteConfig("site: s1\nbroker: { url: 'mqtts://h', tls: { certFile: a.crt } }\n", "x.yaml")).message).toMatch(
      /^x\.yaml: broker\.tls\.keyFile: give both certFile and keyFile, or neither/,
    );
  });

  it("refuses password together with passwordFile", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nbroker: { url: 'mqtt://h', password: pw, passwordFile: f }\n", "x.yaml"));
    expect(err.message).toBe("x.yaml: broker.passwordFile: give either password or passwordFile, not both (line 2, column 56)");
  });

  it("reports YAML syntax errors with line and column", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nbroker:\n  url: [mqtt://h\nregion: x\n", "x.yaml"));
    expect(err.message.split("\n")[0]).toMatch(/^x\.yaml: YAML syntax: .+ \(line 4, column 1\)$/);
    expect(err.issues[0]).toMatchObject({ path: "", line: 4, column: 1 });
  });

  it("refuses duplicate keys (a device listed twice)", () => {
    const err = errorOf(() => parseSiteConfig("site: s1\nsite: s2\n", "x.yaml"));
    expect(err.message).toBe("x.yaml: YAML syntax: Map keys must be unique (line 2, column 1)");
  });

  it("refuses an empty file", () => {
    expect(errorOf(() => parseSiteConfig("# nothing\n", "x.yaml")).message).toBe(
      "x.yaml: the file is empty; expected a map (key: value)",
    );
  });
});

describe("loadSiteConfig", () => {
  let dir = "";
  afterEach(async () => {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
    dir = "";
  });

  it("loads the district-room example as written", async () => {
    const c = await loadSiteConfig(join(EXAMPLES, "district-room.yaml"));
    expect(c.site).toBe("district-07");
    expect(c.region).toEqual(["province", "district-07"]);
    expect(c.devices["cam-main"]).toEqual({
      kind: "camera",
      protocol: "visca",
      room: "main-hall",
      name: "Main camera",
      transport: { type: "serial", path: "/tmp/roomgate/district-07/cam-main", baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 },
      options: { address: 1 },
      power: { device: "gpio", relay: "cam-power" },
      simulator: { enabled: true, options: {} },
    });
    expect(c.devices["cam-aux"]?.transport).toEqual({ type: "udp", host: "127.0.0.1", port: 52381 });
    expect(c.devices["cam-aux"]?.simulator?.enabled).toBe(true);
    expect(c.devices["cam-aux"]?.power).toEqual({ device: "access-switch", port: "cam-aux" });
    // The codecs' and the switch's secrets are files beside the example, made absolute.
    expect(c.devices["codec-meeting"]?.transport).toMatchObject({ type: "ssh", username: "admin", passwordFile: join(EXAMPLES, "secrets/codec-meeting.password") });
    expect(c.devices["access-switch"]?.options.communityFile).toBe(join(EXAMPLES, "secrets/access-switch.community"));
  });

  it("reads passwordFile relative to the site file, without its trailing newline", async () => {
    dir = await mkdtemp(join(tmpdir(), "roomgate-config-"));
    await writeFile(join(dir, "agent.pass"), "s3cr3t pass\n");
    await writeFile(join(dir, "site.yaml"), "site: s1\nbroker: { url: 'mqtt://h', passwordFile: agent.pass }\n");
    const c = await loadSiteConfig(join(dir, "site.yaml"));
    expect(c.broker.password).toBe("s3cr3t pass");
    expect(c.broker.passwordFile).toBe(join(dir, "agent.pass"));
  });

  it("an SSH transport (codecs): its passwordFile relative to the site file, one of password or passwordFile, a pinned key's form checked", async () => {
    dir = await mkdtemp(join(tmpdir(), "roomgate-config-"));
    const codec = (t: string) => `site: s1\nbroker: { url: 'mqtt://h' }\ndevices:\n  codec:\n    kind: camera\n    protocol: visca\n    transport: { type: ssh, host: 10.0.0.9, username: admin, ${t} }\n`;
    await writeFile(join(dir, "site.yaml"), codec("passwordFile: secrets/codec.pass"));
    const c = await loadSiteConfig(join(dir, "site.yaml"));
    expect(c.devices.codec!.transport).toEqual({ type: "ssh", host: "10.0.0.9", port: 22, username: "admin", passwordFile: join(dir, "secrets/codec.pass"), keepaliveMs: 10_000 });
    expect(errorOf(() => parseSiteConfig(codec("password: a, passwordFile: b"), "x.yaml")).message).toContain("devices.codec.transport.passwordFile: give either password or passwordFile");
    expect(errorOf(() => parseSiteConfig(codec("password: a, hostFingerprint: 'ab:cd'"), "x.yaml")).message).toContain("expected SHA256:<43 base64 characters>");
    // A password written in the file never shows where the config is printed or logged.
    const { redactSiteConfig } = await import("./site.js");
    expect(JSON.stringify(redactSiteConfig(parseSiteConfig(codec("password: hunter2-codec"), "x.yaml")))).not.toContain("hunter2-codec");
  });

  it("names a missing password file", async () => {
    dir = await mkdtemp(join(tmpdir(), "roomgate-config-"));
    await writeFile(join(dir, "site.yaml"), "site: s1\nbroker: { url: 'mqtt://h', passwordFile: nope.pass }\n");
    const err = await loadSiteConfig(join(dir, "site.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`${join(dir, "site.yaml")}: broker.passwordFile: cannot read ${join(dir, "nope.pass")} (ENOENT)`);
  });

  it("names a missing site file", async () => {
    const err = await loadSiteConfig("/nonexistent/site.yaml").catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe("bad_config");
    expect((err as ConfigError).message).toBe("/nonexistent/site.yaml: cannot read the file (ENOENT)");
  });
});

describe("broker file", () => {
  it("loads the example", async () => {
    expect(await loadBrokerConfig(join(EXAMPLES, "broker.yaml"))).toEqual({
      listeners: {
        tcp: { enabled: true, host: "0.0.0.0", port: 1883 },
        http: { host: "0.0.0.0", port: 8080, websocketPath: "/mqtt", metrics: true, console: true },
      },
      limits: { maxPacketBytes: 1048576, maxConnections: 20000, connectionsPerUser: 20, messagesPerSecond: 500, burst: 2000, subscriptionsPerClient: 500 },
      persistence: { type: "level" },
      logLevel: "info",
      anonymous: false,
      users: {
        "agent-district-07": { role: "agent", site: "district-07" },
        "op-anna": { role: "operator", sites: ["district-07"] },
        "noc-monitor": { role: "monitor", sites: "*" },
        admin: { role: "admin" },
      },
    });
  });

  it("fills defaults and refuses unknown keys", () => {
    expect(parseBrokerConfig("logLevel: debug\n", "b.yaml")).toEqual({
      listeners: { tcp: { enabled: true, host: "0.0.0.0", port: 1883 } },
      limits: { maxPacketBytes: 1048576, maxConnections: 20000, connectionsPerUser: 20, messagesPerSecond: 500, burst: 2000, subscriptionsPerClient: 500 },
      persistence: { type: "level" },
      logLevel: "debug",
    });
    expect(errorOf(() => parseBrokerConfig("listeners: { tcp: { port: 70000 } }\nauth: {}\n", "b.yaml")).message.split("\n")).toEqual([
      "b.yaml: listeners.tcp.port: expected a value <= 65535; got 70000 (line 1, column 27)",
      'b.yaml: unknown key "auth" (line 2, column 1)',
    ]);
  });
});
