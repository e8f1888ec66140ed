/**
 * The broker's security events over real MQTT: what a watcher of $SYS/roomgate/v1/security sees when
 * someone guesses passwords, or a user reaches past its ACL. Never a password, never the name of
 * a user that does not exist; no client can forge an event; a storm is summarised, not relayed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, S } from "../broker/acl.cases.js";
import { SECURITY_TOPIC } from "../broker/security-events.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { fakeClock } from "./helpers/clock.js";
import { memoryLogger } from "./helpers/logger.js";
import { connectAs, connectOutcome, publishOutcome, subscribeCode, type RecordingClient } from "./helpers/mqtt-users.js";

const GUESS = "Tr0ub4dor&3-guess";

describe("broker security events on $SYS/roomgate/v1/security", () => {
  let broker: RunningBroker;
  let root: RecordingClient;
  // The broker's clock: the rate limit's bucket never refills unless the test says so.
  const clock = fakeClock();
  const events = () => root.got.map((p) => JSON.parse(p) as { id: string; type: string; broker: string; data: Record<string, unknown> });
  /** Until the watcher holds `n` events (bounded). */
  const until = (n: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (events().length < n) return;
        clearTimeout(timer);
        root.off("message", check);
        resolve();
      };
      const timer = setTimeout(() => {
        root.off("message", check);
        reject(new Error(`${what}: ${events().length} of ${n} events; got\n${root.got.join("\n")}`));
      }, 5000);
      root.on("message", check);
      check();
    });

  beforeAll(async () => {
    broker = await startBroker({
      host: "127.0.0.1",
      port: 0,
      logger: memoryLogger(),
      clock,
      auth: { users: await matrixUsers() },
      securityEvents: { name: "central-test", ratePerSecond: 1, burst: 7, summaryIntervalSec: 60 },
    });
    root = await connectAs(broker.url, "root", "security-watcher");
    expect(await subscribeCode(root, SECURITY_TOPIC)).toBe(1);
  });
  afterAll(async () => {
    await root?.endAsync(true);
    await broker?.close();
  });

  it("reports a wrong password and an unknown user, naming only the known user, never the password", async () => {
    expect(await connectOutcome(broker.url, { username: "op-1", password: GUESS, clientId: "guess-1" })).toBe(5);
    expect(await connectOutcome(broker.url, { username: GUESS, password: GUESS, clientId: "guess-2" })).toBe(5);
    await until(2, "two refusals");
    const [known, unknown] = events();
    expect(known).toMatchObject({ type: "auth.failed", broker: "central-test", data: { reason: "bad_credentials", user: "op-1", clientId: "guess-1", listener: "tcp", remoteAddress: "127.0.0.1" } });
    expect(unknown).toMatchObject({ type: "auth.failed", data: { reason: "bad_credentials", unknownUser: true, clientId: "guess-2" } });
    expect(unknown!.data).not.toHaveProperty("user");
    expect(root.got.join("\n")).not.toContain(GUESS);
  });

  it("reports a publish and a subscription the ACL refused, with the user and role", async () => {
    const op = await connectAs(broker.url, "op-1", "op-1-reaching");
    expect(await subscribeCode(op, "roomgate/v1/+/cmd/+")).toBe(128);
    expect(await publishOutcome(op, `${S}/cmd/op-all`, "{}")).toBe("closed");
    await until(4, "two denials");
    expect(events().slice(2)).toMatchObject([
      { type: "acl.denied", data: { access: "subscribe", topic: "roomgate/v1/+/cmd/+", user: "op-1", role: "operator", clientId: "op-1-reaching" } },
      { type: "acl.denied", data: { access: "publish", topic: `${S}/cmd/op-all`, user: "op-1", role: "operator", clientId: "op-1-reaching" } },
    ]);
  });

  it("cannot be forged: no client may publish on the topic, not even the admin", async () => {
    const admin = await connectAs(broker.url, "root", "root-forger");
    expect(await publishOutcome(admin, SECURITY_TOPIC, JSON.stringify({ type: "auth.failed", forged: true }))).toBe("closed");
    await until(5, "the forgery's own denial");
    expect(events()[4]).toMatchObject({ type: "acl.denied", data: { access: "publish", topic: SECURITY_TOPIC, user: "root", role: "admin" } });
    expect(root.got.join("\n")).not.toContain("forged");
  });

  it("is read only by who is given it: a monitor may not subscribe (and that is reported too)", async () => {
    const mon = await connectAs(broker.url, "mon-1", "mon-1-peeking");
    expect(await subscribeCode(mon, SECURITY_TOPIC)).toBe(128);
    expect(await subscribeCode(mon, "$SYS/#")).toBe(128);
    await mon.endAsync(true);
    await until(7, "the monitor's two denials");
    expect(events().slice(5).map((e) => e.data.topic)).toEqual([SECURITY_TOPIC, "$SYS/#"]);
  });

  it("summarises a password-guessing storm instead of relaying it, and the summary says from whom", async () => {
    // The bucket's 7 are spent and the broker's clock stands still: every guess is held back.
    for (let i = 0; i < 20; i++) expect(await connectOutcome(broker.url, { username: "op-1", password: `${GUESS}-${i}`, clientId: `storm-${i}` })).toBe(5);
    expect(broker.auth?.denials.connect.bad_credentials).toBe(22);
    expect(events()).toHaveLength(7);
    await clock.tickAsync(60_000);
    await until(8, "the summary");
    expect(events()[7]).toMatchObject({
      type: "security.suppressed",
      broker: "central-test",
      data: { counts: { "auth.failed": 20 }, top: [{ key: "op-1", count: 20 }], others: 0 },
    });
    expect(root.got.join("\n")).not.toContain(GUESS);
  });
});
