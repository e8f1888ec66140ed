/**
 * Bench: the simulated far end hangs up a connected call -> the retained `alarm/{codec}-call-dropped`
 * at an MQTT subscriber, p50/p99 over N drops, per codec: a Poly over telnet and a Cisco over SSH,
 * each with its simulated MCU, in this process; the agent in its own process (without lite mode: see
 * below), the broker in this one. Measured from the control call that makes the MCU's far end hang
 * up (the simulator writes the codec's notification at once) to the alarm's arrival (hrtime).
 *
 * The codec's own line: a second client on each codec (bench/lib/codec-taps.ts: a telnet session
 * registered for `notify callstatus` on the Poly, Cisco's jsxapi registered for CallDisconnect on
 * the Cisco) stamps when the codec's line said the call ended. "Beyond the line" is, per drop, the
 * alarm's arrival minus that stamp: what the driver, the agent's codec module, the broker and the
 * subscriber add. Between drops: a new call dialled through the agent (`call.dial`, answered once
 * connected), the alarm cleared by it (a connected call clears a drop), and `--holdMs` of the call
 * connected, so every drop is a drop of a call the agent has seen connected and settled.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startCiscoSimulator, type CiscoSimHandle } from "../simulators/cisco/index.js";
import { startPolySimulator, type PolySimHandle } from "../simulators/poly/index.js";
import { parseFlags } from "./lib/args.js";
import { ciscoTap, polyTap, type LineTap } from "./lib/codec-taps.js";
import { Operator } from "./lib/operator.js";
import { emitJson, note } from "./lib/output.js";
import { spawnCli } from "./lib/processes.js";
import { scratchDir, startBenchBroker, writeSiteFile } from "./lib/site.js";
import { fmt, rounded, summarize, table, type Summary } from "./lib/stats.js";

const flags = parseFlags("call-events", {
  drops: { type: "number", default: 100, min: 1, help: "measured drops per codec" },
  warmup: { type: "number", default: 3, help: "unmeasured drops first" },
  holdMs: { type: "number", default: 1000, help: "how long each call stays connected before the far end hangs up (the dial's follow-up poll is over by then)" },
});

const SITE = "bench-calls";
const MCU = "8001@mcu.bench";
const POLY_PASSWORD = "bench-poly";
const CISCO = { username: "admin", password: "bench-cisco" };
const CODECS = ["poly", "cisco"] as const;
type Codec = (typeof CODECS)[number];
const DEVICE: Record<Codec, string> = { poly: "codec-poly", cisco: "codec-cisco" };
const alarmTopic = (device: string) => `roomgate/v1/${SITE}/alarm/${device}-call-dropped`;
const stateTopic = (device: string) => `roomgate/v1/${SITE}/dev/${device}/state`;

interface Figures {
  alarm: Summary;
  line: Summary;
  beyond: Summary;
}

async function main(): Promise<void> {
  const scratch = scratchDir("call-events");
  const broker = await startBenchBroker("in-process");
  const numbers = { [MCU]: { kind: "answer" as const, ringMs: 50, name: "Bench MCU" } };
  const poly: PolySimHandle = await startPolySimulator({ link: "tcp", port: 0, password: POLY_PASSWORD, numbers });
  const cisco: CiscoSimHandle = await startCiscoSimulator({ link: "ssh", port: 0, ...CISCO, numbers });
  const polyPassword = path.join(scratch.dir, "poly.password");
  const ciscoPassword = path.join(scratch.dir, "cisco.password");
  writeFileSync(polyPassword, `${POLY_PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(ciscoPassword, `${CISCO.password}\n`, { mode: 0o600 });
  const file = writeSiteFile(scratch.dir, {
    site: SITE,
    broker: { url: broker.url },
    agent: { logLevel: "warn" },
    rooms: { hall: {} },
    devices: {
      [DEVICE.poly]: { kind: "codec", protocol: "poly", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: poly.port! }, options: { passwordFile: polyPassword } },
      [DEVICE.cisco]: {
        kind: "codec",
        protocol: "cisco",
        room: "hall",
        transport: { type: "ssh", host: "127.0.0.1", port: cisco.port!, username: CISCO.username, passwordFile: ciscoPassword, hostFingerprint: cisco.hostFingerprint },
        options: {},
      },
    },
  });
  // Not the gateway's --lite-mode (cli/node-flags.ts): lite mode turns V8's WebAssembly off, and ssh2
  // needs it for every connection (its poly1305), so the Cisco codec over SSH would never connect (with
  // the flag on the command line) or the agent would abort (Node 20, set at run time by cli/main.ts).
  const agent = spawnCli("agent", ["agent", "--config", file, "--broker", broker.url, "--state-dir", path.join(scratch.dir, "state")], { ...process.env, ROOMGATE_V8_LITE: "0" }, ["--max-semi-space-size=1"]);
  const op = await Operator.connect(broker.url, SITE);
  const taps: LineTap[] = [];
  const results: Partial<Record<Codec, Figures>> = {};
  try {
    await op.subscribe(CODECS.flatMap((c) => [alarmTopic(DEVICE[c]), stateTopic(DEVICE[c])]));
    const registered = (device: string) => (op.last.get(stateTopic(device)) as { state?: { registered?: boolean } } | undefined)?.state?.registered === true;
    for (const c of CODECS) {
      await op.until(() => registered(DEVICE[c]) && op.healthOf(DEVICE[c]) === "ok", `${DEVICE[c]} ok and registered`, 30_000).catch((err: Error) => {
        const health = op.last.get(`roomgate/v1/${SITE}/dev/${DEVICE[c]}/health`);
        throw new Error(`${err.message}; health ${JSON.stringify(health)}; agent: ${agent.tail()}`);
      });
    }
    for (const codec of CODECS) {
      const device = DEVICE[codec];
      const sim = codec === "poly" ? poly : cisco;
      const tap = codec === "poly" ? await polyTap(poly.port!, POLY_PASSWORD) : await ciscoTap(cisco.port!, CISCO.username, CISCO.password);
      taps.push(tap);
      const alarmMs: number[] = [];
      const lineMs: number[] = [];
      const beyondMs: number[] = [];
      for (let i = 0; i < flags.warmup + flags.drops; i++) {
        const dial = await op.command(device, "call.dial", { number: MCU }, 30_000);
        const res = dial.response as { status?: string; error?: unknown };
        if (res.status !== "ok") throw new Error(`${device}: call.dial answered ${JSON.stringify(res)}`);
        // The new call clears the previous drop: the next sample starts from no alarm.
        await op.until(() => op.last.get(alarmTopic(device)) === null || !op.last.has(alarmTopic(device)), `${device} drop alarm cleared`, 10_000);
        // A call in the field drops minutes in, not in the instant it connected: let the dial's
        // follow-up (the poll 500 ms after an action, the new call's state) pass first.
        await new Promise((resolve) => setTimeout(resolve, flags.holdMs));
        let arrived = 0n;
        let stop = (): void => undefined;
        const alarm = new Promise<void>((resolve) => {
          stop = op.watch((topic, json) => {
            if (topic !== alarmTopic(device) || json === null) return;
            arrived = process.hrtime.bigint();
            resolve();
          });
        });
        const line = tap.nextEnd(5000);
        const t0 = process.hrtime.bigint();
        const said = sim.control("hangup", []);
        if (said === undefined || /nothing|no such/.test(said)) throw new Error(`${device}: the far end had no call to hang up (${String(said)})`);
        let lineAt: bigint;
        try {
          [lineAt] = await Promise.all([line, Promise.race([alarm, new Promise((_, reject) => setTimeout(() => reject(new Error(`${device}: no call-dropped alarm within 5000 ms`)), 5000))])]);
        } finally {
          stop();
        }
        if (i < flags.warmup) continue;
        alarmMs.push(Number(arrived - t0) / 1e6);
        lineMs.push(Number(lineAt - t0) / 1e6);
        beyondMs.push(Number(arrived - lineAt) / 1e6);
      }
      results[codec] = { alarm: summarize(alarmMs), line: summarize(lineMs), beyond: summarize(beyondMs) };
      note(`${codec}: ${alarmMs.length} drops`);
    }
  } finally {
    for (const t of taps) await t.close();
    await op.close();
    await agent.stop();
    await poly.close();
    await cisco.close();
    await broker.close();
    scratch.cleanup();
  }
  const rows = CODECS.flatMap((c) => {
    const f = results[c]!;
    const row = (what: string, s: Summary) => [c, what, String(s.n), fmt(s.min), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)];
    return [row("alarm", f.alarm), row("line", f.line), row("beyond line", f.beyond)];
  });
  note(table(["codec", "measure", "n", "min", "p50", "p90", "p99", "max"], rows));
  note("ms; alarm: far end hangs up -> retained {codec}-call-dropped at a subscriber; line: -> the codec's own line says so to a second client; beyond line: alarm - line, per drop; target: beyond-line p99 < 100 ms");
  const out = (f: Figures) => ({ alarm: rounded(f.alarm), line: rounded(f.line), beyondLine: rounded(f.beyond), beyondLineP99Under100: f.beyond.p99 < 100 });
  emitJson({ bench: "call-events", unit: "ms", poly: out(results.poly!), cisco: out(results.cisco!) });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`call-events: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
