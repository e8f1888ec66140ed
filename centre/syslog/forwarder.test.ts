/**
 * The forwarder between a real broker (aedes, in-process, the recorder user) and the stand-in
 * collector: a message is acknowledged to the broker only once it is on disk in the collector's
 * queue. A queue that cannot be written (a full disk) leaves the message unacknowledged, and the
 * broker's persistent session gives it again after the reconnect; a message given twice is sent once.
 * The forwarder's timers (MQTT reconnect backoff, the sender's) run on an injected clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../../broker/acl.cases.js";
import { startBroker } from "../../broker/server.js";
import { syslogConfigSchema } from "../../config/syslog.js";
import { Site } from "../../test/helpers/centre.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { logged, memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import { connectAs } from "../../test/helpers/mqtt-users.js";
import { StandInCollector } from "../../test/helpers/syslog-receiver.js";
import { createSyslogForwarder } from "./forwarder.js";
import { SyslogQueue } from "./queue.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A queue on a disk that can fill up. */
class FullableQueue extends SyslogQueue {
  full = false;
  override append(key: string, msg: string): boolean {
    if (this.full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    return super.append(key, msg);
  }
}

describe("the syslog forwarder", () => {
  it("acknowledges nothing it could not queue on disk: after a full disk the broker gives it again, and it is sent once, in order", async () => {
    const soc = await StandInCollector.start();
    cleanups.push(() => soc.stop());
    const broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
    cleanups.push(() => broker.close());
    const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-fwd-"));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const clock = fakeClock();
    const logs: LogRecord[] = [];
    let queue: FullableQueue | undefined;
    const fwd = createSyslogForwarder({
      config: syslogConfigSchema.parse({ collectors: { soc: { host: "127.0.0.1", port: soc.port, transport: "tcp" } } }),
      broker: { url: broker.url, username: "rec", password: passwordOf("rec") },
      stateDir, clock, logger: memoryLogger(logs), random: () => 0.5,
      openQueue: (dir, o) => (queue = new FullableQueue(dir, o)),
    });
    cleanups.push(() => fwd.stop());
    await fwd.start();
    const agent = await connectAs(broker.url, "agent-s1");
    cleanups.push(() => agent.endAsync(true));
    const site = new Site("s1");
    const publish = (m: { topic: string; payload: string }) => agent.publishAsync(m.topic, m.payload, { qos: 1 });
    const ids = (n: number) => soc.waitFor(n).then((got) => got.map((m) => m.sd["roomgate@32473"]?.eventId));

    await publish(site.command(clock.now(), "op-anna", "cam-main", "preset.recall"));
    expect(await ids(1)).toEqual(["1-1"]);

    queue!.full = true;
    const b = site.command(clock.now(), "op-anna", "wall", "power.off");
    await publish(b);
    await logged(logs, (l) => l.msg?.startsWith("syslog: cannot queue a message on disk") === true, 5000, "the queue error");
    await logged(logs, (l) => l.obj === "syslog forwarder disconnected from the broker; the session keeps its messages", 5000, "the disconnect");
    expect(fwd.status()).toMatchObject({ mqtt: "disconnected", queueError: expect.stringContaining("ENOSPC") });

    // Room on the disk again; at the reconnect (backoff on the injected clock) the broker gives B again.
    queue!.full = false;
    await clock.tickAsync(1000);
    expect(await ids(2)).toEqual(["1-1", "1-2"]);
    expect(fwd.status()).toMatchObject({ mqtt: "connected", queueError: undefined });

    // The same event given twice (an agent's replay, a redelivery) is sent once; what follows, in order.
    await publish(b);
    await publish(site.command(clock.now(), "op-bob", "cam-main", "zoom.in"));
    expect(await ids(3)).toEqual(["1-1", "1-2", "1-3"]);
    await logged(logs, () => fwd.status().counts.duplicates === 1, 5000, "one duplicate counted");
    expect(soc.received()).toHaveLength(3);
    expect(fwd.status().counts).toMatchObject({ forwarded: 3, duplicates: 1, invalid: 0 });
  }, 30_000);
});
