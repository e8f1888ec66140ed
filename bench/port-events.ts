/**
 * Bench: a simulated switch port goes down -> the retained `alarm/{switch}-{port}-down` at an MQTT
 * subscriber, p50/p99 over N flaps, by trap and by polling. The switch simulator (net-snmp's agent)
 * runs here; the agent runs in its own process with the gateway's flags and receives linkDown
 * traps on its trap port. Measured from the control call that takes the port's cable out (the
 * simulator sends the trap at once) to the alarm's arrival (hrtime). Between samples: cable back
 * in, alarm cleared, and the port read as up by a poll. The polling path loses every trap (`traps
 * off`), so the alarm waits for the next poll: here about one poll interval, since each sample starts
 * just after the poll that saw the port up again; in the field anywhere between 0 and one interval.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startSnmpSwitchSimulator } from "../simulators/snmp-switch/index.js";
import { parseFlags } from "./lib/args.js";
import { Operator } from "./lib/operator.js";
import { emitJson, note } from "./lib/output.js";
import { spawnAgent } from "./lib/processes.js";
import { scratchDir, startBenchBroker, writeSiteFile } from "./lib/site.js";
import { fmt, rounded, summarize, table, type Summary } from "./lib/stats.js";
import { freePort } from "../simulators/site-endpoints.js";

const flags = parseFlags("port-events", {
  flaps: { type: "number", default: 100, min: 1, help: "measured flaps per path" },
  warmup: { type: "number", default: 3, help: "unmeasured flaps first" },
  pollMs: { type: "number", default: 1000, min: 200, help: "the switch's poll interval (the polling path's latency is about half of it)" },
});

const SITE = "bench-room";
const ALARM = `roomgate/v1/${SITE}/alarm/access-switch-codec-down`;
const STATE = `roomgate/v1/${SITE}/dev/access-switch/state`;
const COMMUNITY = "bench-community";

async function main(): Promise<void> {
  const scratch = scratchDir("port-events");
  const broker = await startBenchBroker("in-process");
  const trapPort = await freePort("udp");
  const sim = await startSnmpSwitchSimulator({
    communities: [COMMUNITY],
    ports: { codec: { ifIndex: 7, neighbour: "codec-1" }, uplink: { ifIndex: 24, poe: false, neighbour: "core" } },
    trapTarget: { host: "127.0.0.1", port: trapPort },
  });
  const communityFile = path.join(scratch.dir, "community");
  writeFileSync(communityFile, `${COMMUNITY}\n`, { mode: 0o600 });
  const file = writeSiteFile(scratch.dir, {
    site: SITE,
    broker: { url: broker.url },
    agent: { logLevel: "warn" },
    devices: {
      "access-switch": {
        kind: "switch",
        protocol: "snmp",
        pollIntervalMs: flags.pollMs,
        transport: { type: "udp", host: "127.0.0.1", port: sim.port },
        options: { communityFile, ports: { codec: 7, uplink: { ifIndex: 24, protected: true } }, trapPort, trapAddress: "127.0.0.1", timeoutMs: 1000 },
      },
    },
  });
  const agent = spawnAgent(file, broker.url, path.join(scratch.dir, "state"));
  const op = await Operator.connect(broker.url, SITE);
  await op.subscribe([ALARM, STATE]);
  const results: Record<string, Summary> = {};
  try {
    const codecUp = () => (op.last.get(STATE) as { state?: { ports?: { codec?: { oper?: string } } } } | undefined)?.state?.ports?.codec?.oper === "up";
    await op.until(codecUp, "switch read, codec up", 20_000);
    for (const mode of ["trap", "poll"] as const) {
      sim.control("traps", [mode === "trap" ? "on" : "off"]);
      const samples: number[] = [];
      for (let i = 0; i < flags.warmup + flags.flaps; i++) {
        let arrived = 0n;
        let stop = (): void => undefined;
        const alarm = new Promise<void>((resolve) => {
          stop = op.watch((topic, json) => {
            if (topic !== ALARM || json === null) return;
            arrived = process.hrtime.bigint();
            resolve();
          });
        });
        const t0 = process.hrtime.bigint();
        sim.control("cable", ["codec", "off"]);
        const limit = mode === "trap" ? 5000 : flags.pollMs * 3 + 5000;
        await Promise.race([alarm, new Promise((_, reject) => setTimeout(() => reject(new Error(`no alarm within ${limit} ms (${mode})`)), limit))]);
        stop();
        if (i >= flags.warmup) samples.push(Number(arrived - t0) / 1e6);
        sim.control("cable", ["codec", "on"]);
        await op.until(() => op.last.get(ALARM) === null, "alarm cleared", limit);
        // The next sample starts from a port the agent has read as up again (not only the trap's word).
        await op.until(codecUp, "codec up in state", limit);
      }
      results[mode] = summarize(samples);
      note(`${mode}: ${samples.length} flaps`);
    }
  } finally {
    await op.close();
    await agent.stop();
    await sim.close();
    await broker.close();
    scratch.cleanup();
  }
  const row = (mode: string, s: Summary) => [mode, String(s.n), fmt(s.min), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)];
  note(table(["path", "n", "min", "p50", "p90", "p99", "max"], Object.entries(results).map(([m, s]) => row(m, s))));
  note(`ms, from the simulated port's cable out to the retained alarm at a subscriber; poll interval ${flags.pollMs} ms; target: trap p99 < 50 ms`);
  emitJson({ bench: "port-events", unit: "ms", pollMs: flags.pollMs, trap: rounded(results.trap!), poll: rounded(results.poll!), trapP99Under50: results.trap!.p99 < 50 });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`port-events: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
