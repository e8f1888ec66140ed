/**
 * Syslog to the SOC, end to end: agents' events and the broker's refusals go through a real broker
 * to the centre's forwarder (as the recorder user) and on to Debian's rsyslogd, which writes what it
 * read to a file. The issue's "done when": a ten-minute rsyslog outage loses nothing, and the
 * collector gets the backlog in order, each event once.
 *
 * How ten minutes pass in a few seconds: the forwarder's clock is injected (test/helpers/clock.ts).
 * Everything that measures the outage runs on it: the sender's backoff between failed rounds, its
 * connect and delivery deadlines, and the queue's age bound (each message is stamped with the fake
 * time it was queued). The test advances the fake clock one retry at a time: it waits for the
 * sender's log line of failed round n (a real ECONNREFUSED from the stopped rsyslogd) to learn the
 * delay it chose, ticks exactly to it, and so on until ten fake minutes have passed; the broker,
 * the sockets and rsyslogd run in real time. So the forwarder lives through the same ~15 failed
 * rounds, backoff growing to its 60 s cap, as in a real ten-minute outage, and messages stamped
 * ten minutes before their delivery, which the default 7-day age bound keeps.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { createSyslogForwarder, type SyslogForwarder } from "../centre/syslog/forwarder.js";
import { syslogConfigSchema, type SyslogConfigInput } from "../config/syslog.js";
import { Site } from "./helpers/centre.js";
import { makePki } from "./helpers/certs.js";
import { fakeClock, type FakeClock } from "./helpers/clock.js";
import { logged, memoryLogger, type LogRecord } from "./helpers/logger.js";
import { connectAs, connectOutcome, type RecordingClient } from "./helpers/mqtt-users.js";
import { RsyslogCollector } from "./helpers/rsyslog.js";
import type { ReceivedMessage } from "./helpers/syslog-receiver.js";
import { describeWith } from "./helpers/tools.js";

const SD = "roomgate@32473";
const GUESS = "n0t-the-Passw0rd";
const MINUTE = 60_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The queue key of a message as the collector got it: what the SOC dedupes by. */
const keyOf = (m: ReceivedMessage) => {
  const p = m.sd[SD] ?? {};
  return p.site !== undefined ? `site/${p.site}/${p.eventId}` : p.broker !== undefined ? `broker/${p.broker}/${p.eventId}` : `collector/${p.collector}/${p.eventId}`;
};
/** Keys the forwarder put in its queues, in order (its debug line per message). */
const queued = (logs: LogRecord[]) => logs.filter((l) => l.msg === "syslog: queued" && !(l.obj as { duplicate: boolean }).duplicate).map((l) => (l.obj as { key: string }).key);
const untilQueued = (logs: LogRecord[], n: number) => logged(logs, () => queued(logs).length >= n, 8000, `${n} messages queued`);

/** One forwarder instance on the shared state directory, with its own log. */
interface Instance {
  fwd: SyslogForwarder;
  logs: LogRecord[];
  /** Failed rounds seen so far, and when (fake time) the sender tries again. */
  failures: number;
  nextRetryAt: number | undefined;
}

interface World {
  clock: FakeClock;
  broker: RunningBroker;
  rsyslog: RsyslogCollector;
  agent: RecordingClient;
  site: Site;
  start(): Promise<Instance>;
}

async function world(transport: "tcp" | "tls", queue: { maxAgeSec?: number } = {}): Promise<World> {
  const clock = fakeClock();
  const pki = transport === "tls" ? makePki() : undefined;
  if (pki) cleanups.push(() => rmSync(pki.dir, { recursive: true, force: true }));
  const rsyslog = await RsyslogCollector.start(pki ? { tls: { caFile: pki.caFile, certFile: pki.certFile, keyFile: pki.keyFile } } : {});
  cleanups.push(() => rsyslog.dispose());
  const broker = await startBroker({
    host: "127.0.0.1", port: 0, logger: memoryLogger(),
    auth: { users: await matrixUsers({ "agent-s2": { role: "agent", site: "s2" } }) },
    securityEvents: { name: "central-1" },
  });
  cleanups.push(() => broker.close());
  const agent = await connectAs(broker.url, "agent-s1");
  cleanups.push(() => agent.endAsync(true));
  const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-syslog-e2e-"));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const input: SyslogConfigInput = {
    hostname: "centre-test",
    collectors: {
      soc: {
        host: "127.0.0.1", port: rsyslog.port, transport,
        ...(pki ? { tls: { caFile: pki.caFile } } : {}),
        queue,
        batchMaxMessages: 20, // the backlog goes in several confirmed rounds
      },
    },
  };
  const config = syslogConfigSchema.parse(input);
  const start = async (): Promise<Instance> => {
    const logs: LogRecord[] = [];
    const fwd = createSyslogForwarder({
      config, stateDir, clock, logger: memoryLogger(logs), random: () => 0.5,
      broker: { url: broker.url, username: "rec", password: passwordOf("rec") },
    });
    cleanups.push(() => fwd.stop());
    await fwd.start();
    return { fwd, logs, failures: 0, nextRetryAt: undefined };
  };
  return { clock, broker, rsyslog, agent, site: new Site("s1"), start };
}

/** Until failed round `n` of this instance's sender is logged; notes when it tries again. */
async function failedRound(w: World, x: Instance, n: number): Promise<void> {
  const r = await logged(x.logs, (l) => (l.obj as { failedRounds?: number }).failedRounds === n, 8000, `failed round ${n}`);
  x.failures = n;
  x.nextRetryAt = w.clock.now() + (r.obj as { retryInMs: number }).retryInMs;
}

/** Moves the fake clock `ms` on, through every retry of the sender that falls within it. */
async function advance(w: World, x: Instance, ms: number): Promise<void> {
  const target = w.clock.now() + ms;
  while (x.nextRetryAt !== undefined && x.nextRetryAt <= target) {
    await w.clock.tickAsync(x.nextRetryAt - w.clock.now());
    await failedRound(w, x, x.failures + 1);
  }
  await w.clock.tickAsync(target - w.clock.now());
}

/** A minute's worth of a site's life: commands, an alarm raised, acknowledged and cleared. */
async function minuteOfEvents(w: World, minute: number): Promise<string[]> {
  const t = w.clock.now();
  const alarm = `cam-${minute}-unreachable`;
  const msgs = [
    w.site.command(t, "op-anna", "cam-main", "preset.recall"),
    w.site.alarmRaised(t + 1, alarm, "cam-main", { severity: "critical", code: "timeout" }),
    w.site.alarmAcked(t + 2, alarm, "op-anna"),
    w.site.command(t + 3, "op-bob", "wall", "power.on", "error"),
    w.site.alarmCleared(t + 4, alarm),
  ];
  for (const m of msgs) await w.agent.publishAsync(m.topic, m.payload, { qos: 1 });
  return msgs.map((m) => `site/s1/${(JSON.parse(m.payload) as { id: string }).id}`);
}

/** Someone guessing a password: the broker refuses and publishes auth.failed. */
const guess = (w: World, clientId: string) => connectOutcome(w.broker.url, { username: "op-1", password: GUESS, clientId });

function outageStory(transport: "tcp" | "tls") {
  return async () => {
    const w = await world(transport);
    let x = await w.start();

    // Before: the collector is up, messages go straight through.
    const published: string[] = [...(await minuteOfEvents(w, 0))];
    expect(await guess(w, "guesser-0")).toBe(5);
    const s2 = await connectAs(w.broker.url, "agent-s2", "roomgate-agent-s2", {
      will: { topic: "roomgate/v1/s2/agent/state", payload: Buffer.from(JSON.stringify({ state: "lost", bootSeq: 3 })), qos: 1, retain: true },
    });
    s2.stream.destroy(); // the agent's link dies: the broker publishes its will
    await w.rsyslog.waitFor(7);
    await untilQueued(x.logs, 7);
    await logged(x.logs, () => x.fwd.status().collectors[0]!.pending === 0, 8000, "the first messages confirmed");

    // The outage: rsyslogd stopped; ten minutes of events (and refusals) keep coming.
    await w.rsyslog.stop();
    const outageFrom = w.clock.now();
    let sent = 7; // messages for the SOC so far
    let before = 0; // of which queued by an earlier forwarder instance
    for (let minute = 1; minute <= 10; minute++) {
      published.push(...(await minuteOfEvents(w, minute)));
      expect(await guess(w, `guesser-${minute}`)).toBe(5);
      sent += 6;
      await untilQueued(x.logs, sent - before);
      if (minute === 1) await failedRound(w, x, 1);
      if (minute === 5) {
        // The centre restarts mid-outage: its queue is on disk, and the broker keeps what is
        // published meanwhile in the forwarder's persistent session.
        await x.fwd.stop();
        before = sent;
        published.push(...(await minuteOfEvents(w, 55)));
        sent += 5;
        x = await w.start();
        await untilQueued(x.logs, sent - before);
        await failedRound(w, x, 1);
      }
      await advance(w, x, MINUTE);
    }
    expect(w.clock.now() - outageFrom).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(x.fwd.status().collectors[0]).toMatchObject({ state: "waiting", failures: x.failures, dropped: 0 });
    expect(x.failures).toBeGreaterThanOrEqual(5); // backoff grew to its cap, not a retry a second
    const backlog = x.fwd.status().collectors[0]!.pending;

    // rsyslogd is back; at the sender's next retry the backlog goes, in order, in rounds of 20.
    await w.rsyslog.start();
    await w.clock.tickAsync(x.nextRetryAt! - w.clock.now());
    const total = sent;
    expect(total).toBe(7 + 10 * 6 + 5);
    const got = await w.rsyslog.waitFor(total);
    await logged(x.logs, () => x.fwd.status().collectors[0]!.pending === 0, 8000, "an empty queue");

    const keys = got.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length); // each event once
    expect(keys).toHaveLength(total);
    expect(backlog).toBe(total - 7);
    // In the order the forwarder read them from the broker, the site's own in the order published.
    expect(keys.filter((k) => k.startsWith("site/s1/"))).toEqual(published);
    expect(keys.filter((k) => k.startsWith("broker/"))).toHaveLength(11);
    expect(keys.filter((k) => k.startsWith("site/s2/"))).toEqual(["site/s2/lost-3"]);
    expect(keys.filter((k) => k.startsWith("collector/"))).toEqual([]); // nothing dropped, so no drop notice
    expect(got.every((m) => !JSON.stringify(m).includes(GUESS))).toBe(true);

    // rsyslog's own reading of what it got: RFC 5424, local4, our MSGIDs and severities.
    const views = w.rsyslog.views();
    expect(new Set(views.map((v) => `${v.app} ${v.facility}`))).toEqual(new Set(["roomgate local4"]));
    const byMsgid = (id: string) => [...new Set(views.filter((v) => v.msgid === id).map((v) => v.severity))];
    expect(byMsgid("alarm.raised")).toEqual(["alert"]); // critical (RFC 5674)
    expect(byMsgid("alarm.acked")).toEqual(["notice"]);
    expect(byMsgid("alarm.cleared")).toEqual(["notice"]);
    expect(byMsgid("command").sort()).toEqual(["notice", "warning"]); // ok, error
    expect(byMsgid("auth.failed")).toEqual(["warning"]);
    expect(byMsgid("agent.lost")).toEqual(["warning"]);
    expect(views.find((v) => v.msgid === "auth.failed")!.sd).toContain('reason="bad_credentials"');
  };
}

describeWith("rsyslog")("syslog to the SOC through rsyslogd over TCP", () => {
  it("loses nothing in a ten-minute rsyslog outage (a centre restart in the middle): the backlog arrives in order, each event once", outageStory("tcp"), 60_000);

  it("past the queue's age bound, drops the oldest and tells the SOC how many, before the rest", async () => {
    // A 5-minute age bound against the same ten-minute outage: what waited longer is dropped unsent.
    const w = await world("tcp", { maxAgeSec: 300 });
    const x = await w.start();
    await w.rsyslog.stop();
    const outageFrom = w.clock.now();
    const published: string[] = [];
    for (let minute = 1; minute <= 10; minute++) {
      published.push(...(await minuteOfEvents(w, minute)));
      await untilQueued(x.logs, published.length);
      if (minute === 1) await failedRound(w, x, 1);
      await advance(w, x, MINUTE);
    }
    await w.rsyslog.start();
    const deliverAt = x.nextRetryAt!;
    await w.clock.tickAsync(deliverAt - w.clock.now());
    // Queued at outageFrom + (m-1) minutes: at delivery, those older than 5 minutes are gone.
    const kept = published.filter((_, i) => outageFrom + Math.floor(i / 5) * MINUTE >= deliverAt - 300_000);
    const dropped = published.length - kept.length;
    expect(dropped).toBeGreaterThan(0);
    const got = await w.rsyslog.waitFor(1 + kept.length);
    const [notice, ...rest] = got;
    expect(notice).toMatchObject({ msgId: "syslog.dropped", severity: 4 });
    expect(notice!.sd[SD]).toMatchObject({ collector: "soc", dropped: String(dropped), age: String(dropped) });
    await logged(x.logs, () => x.fwd.status().collectors[0]!.droppedUnreported === 0, 8000, "the drops reported");
    expect(x.fwd.status().collectors[0]).toMatchObject({ dropped, droppedUnreported: 0 });
    expect(rest.map(keyOf)).toEqual(kept);
    await expect(logged(x.logs, (l) => l.msg?.includes("past the age bound") === true)).resolves.toMatchObject({ level: "warn" });
    // Reported once: the notice is not sent again with later messages.
    published.push(...(await minuteOfEvents(w, 11)));
    const after = await w.rsyslog.waitFor(1 + kept.length + 5);
    expect(after.filter((m) => m.msgId === "syslog.dropped")).toHaveLength(1);
  }, 60_000);
});

describeWith("rsyslog-gnutls")("syslog to the SOC through rsyslogd over TLS (gtls)", () => {
  // 120 s: rsyslog's gtls generates Diffie-Hellman parameters at each of its two starts (test/helpers/rsyslog.ts).
  it("loses nothing in a ten-minute rsyslog outage over TLS, the collector's certificate verified", outageStory("tls"), 120_000);
});
