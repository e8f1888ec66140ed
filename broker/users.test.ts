import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseBrokerConfig } from "../config/load.js";
import { setUser, writePrivateFile } from "./users.js";

const H1 = `scrypt$1024$8$1$${Buffer.alloc(16, 1).toString("base64")}$${Buffer.alloc(32, 1).toString("base64")}`;
const H2 = `scrypt$1024$8$1$${Buffer.alloc(16, 2).toString("base64")}$${Buffer.alloc(32, 2).toString("base64")}`;
const M1 = `$7$1000$${Buffer.alloc(12, 1).toString("base64")}$${Buffer.alloc(64, 1).toString("base64")}`;

const FILE = `# central broker of the province
listeners:
  tcp:
    port: 1883 # the usual port
logLevel: info
users:
  # the district 7 agent
  agent-d07: { role: agent, site: district-07, password: "${H1}" }
`;

describe("setUser", () => {
  it("adds a user and keeps every comment and the rest of the file", () => {
    const { text, created } = setUser(FILE, "b.yaml", "op-chi", { role: "operator", sites: ["district-07", "district-09"], password: H2 });
    expect(created).toBe(true);
    expect(text).toBe(`${FILE}  op-chi:
    role: operator
    sites: [ district-07, district-09 ]
    password: ${H2}
`);
    expect(parseBrokerConfig(text, "b.yaml").users?.["op-chi"]).toEqual({ role: "operator", sites: ["district-07", "district-09"], password: H2 });
  });

  it("changes a password in place, and drops a Mosquitto hash of the old password unless a new one is given", () => {
    const withMosq = setUser(FILE, "b.yaml", "agent-d07", { password: H1, mosquittoPassword: M1 }).text;
    expect(parseBrokerConfig(withMosq, "b.yaml").users?.["agent-d07"]).toEqual({ role: "agent", site: "district-07", password: H1, mosquittoPassword: M1 });
    const { text, created } = setUser(withMosq, "b.yaml", "agent-d07", { password: H2 });
    expect(created).toBe(false);
    expect(parseBrokerConfig(text, "b.yaml").users?.["agent-d07"]).toEqual({ role: "agent", site: "district-07", password: H2 });
    expect(text).toContain("# the district 7 agent");
    expect(text).toContain("port: 1883 # the usual port");
  });

  it("changes a role and drops what the new role does not have", () => {
    const { text } = setUser(FILE, "b.yaml", "agent-d07", { role: "admin", password: H1 });
    expect(parseBrokerConfig(text, "b.yaml").users?.["agent-d07"]).toEqual({ role: "admin", password: H1 });
  });

  it("refuses a new user without a role, or an agent without a site, naming the file and the path", () => {
    expect(() => setUser(FILE, "b.yaml", "x", { password: H1 })).toThrow("b.yaml: users.x: a new user needs --role agent|operator|monitor|admin");
    const err = (() => {
      try {
        setUser(FILE, "b.yaml", "agent-d09", { role: "agent", password: H1 });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain("b.yaml: users.agent-d09.site");
    expect(() => setUser(FILE, "b.yaml", "Bad Name", { role: "admin", password: H1 })).toThrow(/users/);
  });

  it("starts a new file", () => {
    const { text, created } = setUser(undefined, "b.yaml", "root", { role: "admin", password: H1 });
    expect(created).toBe(true);
    expect(text).toBe(`users:\n  root:\n    role: admin\n    password: ${H1}\n`);
  });
});

describe("writePrivateFile", () => {
  it("replaces the file with mode 0600", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-users-"));
    try {
      const file = path.join(dir, "broker.yaml");
      writeFileSync(file, "old", { mode: 0o644 });
      await writePrivateFile(file, "new");
      expect(readFileSync(file, "utf8")).toBe("new");
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
