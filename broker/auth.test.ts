import type { Client } from "aedes";
import { describe, expect, it } from "vitest";
import { memoryLogger } from "../test/helpers/logger.js";
import type { BrokerUser } from "../config/broker.js";
import { createBrokerAuth, type BrokerAuth } from "./auth.js";
import { hashPassword, nodeScrypt, type ScryptFn } from "./password.js";

const FAST = { N: 1024, r: 8, p: 1 };

async function setup(opts: { anonymous?: boolean } = {}) {
  const users: Record<string, BrokerUser> = {
    "agent-s1": { role: "agent", site: "s1", password: await hashPassword("agent-pw", FAST) },
    "op-1": { role: "operator", sites: ["s1"], password: await hashPassword("op-pw", FAST) },
    nopass: { role: "monitor", sites: "*" },
  };
  const calls: { N: number }[] = [];
  const scrypt: ScryptFn = (pw, salt, len, params) => {
    calls.push({ N: params.N });
    return nodeScrypt(pw, salt, len, params);
  };
  const logger = memoryLogger();
  const auth = createBrokerAuth({ users, anonymous: opts.anonymous, logger, scrypt });
  return { auth, calls, logger };
}

const client = (id: string) => ({ id }) as unknown as Client;

function connect(auth: BrokerAuth, c: Client, username: string | undefined, password: string | undefined, will?: string) {
  return new Promise<{ ok: boolean; code?: number }>((resolve) => {
    auth.hooks.preConnect(c, { cmd: "connect", will: will ? { topic: will, payload: Buffer.from("") } : undefined } as never, () => {
      auth.hooks.authenticate(c, username, password === undefined ? undefined : Buffer.from(password), (err, ok) =>
        resolve(err ? { ok: false, code: err.returnCode } : { ok: ok === true }),
      );
    });
  });
}

const publish = (auth: BrokerAuth, c: Client | null, topic: string) =>
  new Promise<boolean>((resolve) => auth.hooks.authorizePublish(c, { cmd: "publish", topic, payload: "", qos: 0, retain: false, dup: false } as never, (err) => resolve(!err)));
const subscribe = (auth: BrokerAuth, c: Client, topic: string) =>
  new Promise<number>((resolve) => auth.hooks.authorizeSubscribe(c, { topic, qos: 1 } as never, (_err, sub) => resolve(sub ? sub.qos : 128)));

describe("authentication", () => {
  it("accepts the right password with one scrypt call", async () => {
    const { auth, calls } = await setup();
    expect(await connect(auth, client("console-1"), "op-1", "op-pw")).toEqual({ ok: true });
    expect(calls).toEqual([{ N: 1024 }]);
  });

  it("refuses a wrong password and an unknown user with the same code, each after exactly one scrypt of the same cost", async () => {
    const { auth, calls, logger } = await setup();
    expect(await connect(auth, client("c1"), "op-1", "nope")).toEqual({ ok: false, code: 5 });
    expect(calls).toEqual([{ N: 1024 }]);
    expect(await connect(auth, client("c2"), "mallory", "nope")).toEqual({ ok: false, code: 5 });
    expect(calls).toEqual([{ N: 1024 }, { N: 1024 }]);
    // A user without a password is verified against the dummy too.
    expect(await connect(auth, client("c3"), "nopass", "")).toEqual({ ok: false, code: 5 });
    expect(calls).toHaveLength(3);
    expect(auth.denials.connect.bad_credentials).toBe(3);
    const lines = logger.records.filter((r) => r.msg === "connection refused").map((r) => r.obj);
    expect(lines[0]).toEqual({ clientId: "c1", reason: "bad_credentials", user: "op-1" });
    // An unknown name might be a password typed in the wrong field: not logged.
    expect(lines[1]).toEqual({ clientId: "c2", reason: "bad_credentials", unknownUser: true });
    expect(JSON.stringify(logger.records)).not.toContain("nope");
  });

  it("refuses clients without a username unless anonymous access is on", async () => {
    const closed = await setup();
    expect(await connect(closed.auth, client("anon"), undefined, undefined)).toEqual({ ok: false, code: 5 });
    expect(closed.calls).toEqual([]);
    expect(closed.auth.denials.connect.no_username).toBe(1);
    const open = await setup({ anonymous: true });
    const c = client("roomgate-agent-s9");
    expect(await connect(open.auth, c, undefined, undefined)).toEqual({ ok: true });
    expect(await publish(open.auth, c, "roomgate/v1/s9/cmd/x")).toBe(true);
    expect(await subscribe(open.auth, c, "#")).toBe(1);
    // A username still has to be right, anonymous or not.
    expect(await connect(open.auth, client("x"), "op-1", "bad")).toEqual({ ok: false, code: 5 });
  });

  it("binds an agent to its client id and keeps that id from others (identifier rejected)", async () => {
    const { auth } = await setup();
    expect(await connect(auth, client("roomgate-agent-s1"), "agent-s1", "agent-pw")).toEqual({ ok: true });
    expect(await connect(auth, client("roomgate-agent-s2"), "agent-s1", "agent-pw")).toEqual({ ok: false, code: 2 });
    expect(await connect(auth, client("roomgate-agent-s1"), "op-1", "op-pw")).toEqual({ ok: false, code: 2 });
    expect(auth.denials.connect.client_id).toBe(2);
  });

  it("refuses a will on a topic the user may not publish", async () => {
    const { auth } = await setup();
    expect(await connect(auth, client("roomgate-agent-s1"), "agent-s1", "agent-pw", "roomgate/v1/s1/agent/state")).toEqual({ ok: true });
    expect(await connect(auth, client("roomgate-agent-s1"), "agent-s1", "agent-pw", "roomgate/v1/s2/agent/state")).toEqual({ ok: false, code: 5 });
    expect(auth.denials.connect.will).toBe(1);
  });
});

describe("authorisation", () => {
  it("denies, logs (user, client id, topic) and counts publishes and subscriptions", async () => {
    const { auth, logger } = await setup();
    const c = client("console-1");
    await connect(auth, c, "op-1", "op-pw");
    expect(auth.userOf(c)).toBe("op-1");
    expect(await publish(auth, c, "roomgate/v1/s1/cmd/op-1")).toBe(true);
    expect(await publish(auth, c, "roomgate/v1/s1/cmd/op-2")).toBe(false);
    expect(await subscribe(auth, c, "roomgate/v1/s1/res/op-1")).toBe(1);
    expect(await subscribe(auth, c, "roomgate/v1/+/#")).toBe(128);
    expect(auth.denials.publish).toEqual({ agent: 0, operator: 1, monitor: 0, admin: 0, recorder: 0, anonymous: 0 });
    expect(auth.denials.subscribe).toEqual({ agent: 0, operator: 1, monitor: 0, admin: 0, recorder: 0, anonymous: 0 });
    expect(logger.records.filter((r) => r.level === "warn" && r.msg !== undefined && r.msg.endsWith("denied")).map((r) => [r.msg, r.obj])).toEqual([
      ["publish denied", { user: "op-1", clientId: "console-1", topic: "roomgate/v1/s1/cmd/op-2" }],
      ["subscribe denied", { user: "op-1", clientId: "console-1", topic: "roomgate/v1/+/#" }],
    ]);
  });

  it("denies a client it never authenticated, and lets aedes publish a checked will without a client", async () => {
    const { auth } = await setup();
    expect(await publish(auth, client("ghost"), "roomgate/v1/s1/event")).toBe(false);
    expect(await subscribe(auth, client("ghost"), "roomgate/v1/s1/event")).toBe(128);
    expect(await publish(auth, null, "roomgate/v1/s1/agent/state")).toBe(true);
  });
});
