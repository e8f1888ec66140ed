/**
 * Bench: the encryptor simulator writes a non-SECURE status line ($ENC,ST,...,BYPASS,...) on a
 * pty at 9600 baud -> the agent (its own process, gateway flags) reads it, its interlock raises the
 * critical not_secure alarm -> broker -> the retained `alarm/{room}-not-secure` arrives at a
 * subscriber. Measured from the control call that makes the simulator write the line (so the line's
 * wire time at 9600 baud, ~65 ms for a 60-byte line paced by the simulator, is included) to the
 * alarm message's arrival (hrtime). Between samples: SECURE again (and every line of that change
 * read), `session.resume`, alarm cleared. Heartbeats every 2 s, as the device sends them: a BYPASS
 * line that meets one on the wire waits behind it (~30 ms), as it would on a real cable.
 */
import path from "node:path";
import { startEnc1Simulator } from "../simulators/enc1/index.js";
import { parseFlags } from "./lib/args.js";
import { Operator } from "./lib/operator.js";
import { emitJson, note } from "./lib/output.js";
import { spawnAgent } from "./lib/processes.js";
import { scratchDir, startBenchBroker, writeSiteFile } from "./lib/site.js";
import { fmt, rounded, summarize, table } from "./lib/stats.js";

const flags = parseFlags("alarm-latency", {
  iterations: { type: "number", default: 100, min: 1, help: "measured alarms" },
  warmup: { type: "number", default: 5, help: "unmeasured alarms first" },
});

const SITE = "bench-hall";
const ALARM = `roomgate/v1/${SITE}/alarm/hall-not-secure`;
const STATE = `roomgate/v1/${SITE}/dev/enc-1/state`;

async function main(): Promise<void> {
  const scratch = scratchDir("alarm-latency");
  const broker = await startBenchBroker("in-process");
  const devicePath = path.join(scratch.dir, "enc-1");
  const enc = await startEnc1Simulator({ link: "serial", devicePath, baudRate: 9600, heartbeatMs: 2000, state: "SECURE" });
  const file = writeSiteFile(scratch.dir, {
    site: SITE,
    broker: { url: broker.url },
    agent: { logLevel: "warn" },
    rooms: { hall: { secure: { encryptor: "enc-1", failsafe: [] } } },
    devices: {
      "enc-1": { kind: "crypto", protocol: "enc1", room: "hall", transport: { type: "serial", path: devicePath, baudRate: 9600 }, options: { heartbeatIntervalMs: 2000 } },
    },
  });
  const agent = spawnAgent(file, broker.url, path.join(scratch.dir, "state"));
  const op = await Operator.connect(broker.url, SITE);
  await op.subscribe([ALARM, STATE]);
  const samples: number[] = [];
  try {
    // SECURE, and the BYPASS_ACTIVE clear line that follows the status line has been read too: the
    // next BYPASS line must not queue behind it on the simulated wire.
    const secure = () => {
      const st = (op.last.get(STATE) as { state?: { secure?: boolean; alarms?: unknown[] } } | undefined)?.state;
      return st?.secure === true && Array.isArray(st.alarms) && st.alarms.length === 0;
    };
    await op.until(secure, "encryptor SECURE", 20_000);
    await op.command(null, "session.start", { classified: true });
    for (let i = 0; i < flags.warmup + flags.iterations; i++) {
      let arrived = 0n;
      let stop = (): void => undefined;
      const alarm = new Promise<void>((resolve) => {
        stop = op.watch((topic, json) => {
          if (topic !== ALARM || json === null) return;
          arrived = process.hrtime.bigint();
          resolve();
        });
      });
      // Let the line go quiet: the SECURE change's alarm-clear line may still be on the simulated wire,
      // and a BYPASS line queued behind it would measure the previous sample's tail.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const t0 = process.hrtime.bigint();
      enc.control("state", ["BYPASS"]);
      await Promise.race([alarm, new Promise((_, reject) => setTimeout(() => reject(new Error("no alarm within 5 s")), 5000))]);
      stop();
      if (i >= flags.warmup) samples.push(Number(arrived - t0) / 1e6);
      enc.control("state", ["SECURE"]);
      await op.until(secure, "SECURE again", 10_000);
      await op.command(null, "session.resume", {});
      await op.until(() => op.last.get(ALARM) === null, "alarm cleared", 10_000);
    }
  } finally {
    await op.close();
    await agent.stop();
    await enc.close();
    await broker.close();
    scratch.cleanup();
  }
  const s = summarize(samples);
  note(table(["n", "min", "p50", "p90", "p99", "max"], [[String(s.n), fmt(s.min), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)]]));
  note("ms, from the simulator writing the BYPASS line (9600 baud pty) to the retained alarm at a subscriber");
  emitJson({ bench: "alarm-latency", unit: "ms", summary: rounded(s) });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`alarm-latency: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
