/**
 * Bench: operator publish -> broker -> agent (its own process) -> VISCA camera simulator on a
 * pty at 9600 baud -> ACK + Completion -> agent -> broker -> operator, for a command that completes
 * at once (`focus {mode:"auto"}` = 81 01 04 38 02 FF -> 90 41 FF, 90 51 FF), one at a time.
 *
 * What the simulator models: it paces its REPLIES at the baud rate (10 bits a byte, each reply
 * delivered on a whole-ms timer, so ACK+Completion leave 7 ms after the request arrives at 9600);
 * the request itself crosses the pty at once. So the wire time in the measured path is the reply
 * pacing, and "overhead" = measured - that pacing (= what a real line would add over its full wire
 * time). The full exchange's wire time (request + both replies) is reported beside it.
 *
 * After every action the agent polls the camera at once (4 inquiries, ~50 ms at 9600 baud); the
 * periodic poll is pushed out of the way with a long per-device pollIntervalMs. Modes:
 *   direct        no MQTT, no agent: the bench opens the pty with serialport and times write ->
 *                 Completion (run before the agent starts): the floor of the simulated line
 *   ping          the agent-level `ping` (no device, no serial line): MQTT, process boundaries and
 *                 the router alone, the floor under every device command
 *   idle          each command is sent once the line has been quiet for --quiet-ms (the pure path)
 *   back-to-back  the next command goes out as soon as the response arrives, so it meets the
 *                 post-action poll (what an operator tapping fast sees)
 */
import path from "node:path";
import { wireTimeMs } from "../simulators/visca/serial.js";
import { encodeCommand, encodeReply } from "../drivers/visca/codec.js";
import { parseFlags } from "./lib/args.js";
import { CameraTap } from "./lib/camera-tap.js";
import { directRoundTrips } from "./lib/direct-serial.js";
import { Operator } from "./lib/operator.js";
import { emitJson, note, setJsonOnly } from "./lib/output.js";
import { spawnAgent, type BenchChild } from "./lib/processes.js";
import { clockTicksPerSecond, machineInfo, readCpuTicks } from "./lib/procfs.js";
import { BROKER_MODES, scratchDir, startBenchBroker, startCamera, writeSiteFile, type BenchBroker, type BrokerMode, type SimulatedDevice } from "./lib/site.js";
import { fmt, rounded, summarize, table, type Summary } from "./lib/stats.js";

const flags = parseFlags("command-latency", {
  iterations: { type: "number", default: 200, min: 1, help: "measured commands per mode" },
  warmup: { type: "number", default: 20, help: "unmeasured commands before each mode" },
  mode: { type: "string", default: "all", help: "direct | ping | idle | back-to-back | all (comma-separated list allowed)" },
  "quiet-ms": { type: "number", default: 30, min: 1, help: "idle mode: line silence before each command" },
  baud: { type: "number", default: 9600, min: 1, help: "serial line speed" },
  "poll-interval-ms": { type: "number", default: 3_600_000, min: 200, help: "the camera's periodic poll (long: out of the way)" },
  broker: { type: "string", default: "child", help: "child (roomgate broker) | in-process | mosquitto (Debian's, or $ROOMGATE_MOSQUITTO: the hop through a C broker, for comparison)" },
  "agent-log-level": { type: "string", default: "info", help: "the agent's logLevel (info writes an audit line per command)" },
  "json-only": { type: "boolean", default: false, help: "print only the JSON line" },
});
setJsonOnly(flags["json-only"]);

const SITE = "bench-latency";
const DEVICE = "cam-1";
const TARGET_P50_MS = 3;
const TARGET_P99_MS = 10;
const MODES = ["direct", "ping", "idle", "back-to-back"] as const;
type Mode = (typeof MODES)[number];
const modes = (flags.mode === "all" ? [...MODES] : flags.mode.split(",")) as Mode[];
for (const m of modes) {
  if (!MODES.includes(m)) {
    process.stderr.write(`command-latency: --mode: expected ${MODES.join(" | ")} | all, got "${m}"\n`);
    process.exit(2);
  }
}
if (!(BROKER_MODES as readonly string[]).includes(flags.broker)) {
  process.stderr.write(`command-latency: --broker: expected ${BROKER_MODES.join(" | ")}, got "${flags.broker}"\n`);
  process.exit(2);
}

// The bytes of one exchange, from the codec (the same bytes the agent and the camera send).
const requestBytes = encodeCommand(1, { type: "focusMode", mode: "auto" }).length;
const replyBytes = encodeReply({ type: "ack", address: 1, socket: 1 }).length + encodeReply({ type: "completion", address: 1, socket: 1 }).length;
const wire = {
  requestBytes,
  replyBytes,
  baud: flags.baud,
  /** Request + ACK + Completion on a real line. */
  exchangeMs: wireTimeMs(requestBytes + replyBytes, flags.baud),
  /** What the simulator holds the Completion back (whole-ms timer); the pty adds nothing for the request. */
  simulatedMs: Math.ceil(wireTimeMs(replyBytes, flags.baud)),
};

interface Sample {
  ms: number;
  /** publish -> the command reaches the camera. */
  upMs: number;
  /** the command at the camera -> the response at the operator (includes the reply pacing). */
  downMs: number;
  /** Poll inquiries that reached the camera between the publish and the command. */
  inquiriesFirst: number;
  id: string;
}

const HZ = clockTicksPerSecond().hz;

async function runMode(mode: Mode, op: Operator, tap: CameraTap, agent: BenchChild, broker: BenchBroker) {
  const samples: Sample[] = [];
  const total = flags.warmup + flags.iterations;
  note(`${mode}: ${flags.warmup} warm-up + ${flags.iterations} measured commands`);
  await tap.quiet(flags["quiet-ms"]);
  const inquiriesAtStart = tap.inquiries;
  // CPU time (utime+stime) the agent and a child broker spend per command, poll included.
  const agentTicks0 = readCpuTicks(agent.pid);
  const brokerTicks0 = broker.pid !== undefined ? readCpuTicks(broker.pid) : 0;
  for (let i = 0; i < total; i++) {
    if (mode === "idle") await tap.quiet(flags["quiet-ms"]);
    const before = tap.inquiries;
    let arrival: bigint | undefined;
    let inquiriesFirst = 0;
    const off = tap.on((e) => {
      if (arrival === undefined && e.kind === "request" && e.request?.kind === "command") {
        arrival = e.at;
        inquiriesFirst = tap.inquiries - before;
      }
    });
    const r = await (mode === "ping" ? op.command(null, "ping", {}) : op.command(DEVICE, "focus", { mode: "auto" })).finally(off);
    if (r.response.status !== "ok") throw new Error(`command ${i} answered ${JSON.stringify(r.response)}`);
    if (mode !== "ping" && arrival === undefined) throw new Error(`command ${i} never reached the camera`);
    if (i < flags.warmup) continue;
    samples.push({
      ms: r.ms,
      upMs: arrival === undefined ? Number.NaN : Number(arrival - r.sentAt) / 1e6,
      downMs: arrival === undefined ? Number.NaN : Number(r.receivedAt - arrival) / 1e6,
      inquiriesFirst,
      id: String(r.response.id),
    });
  }
  await tap.quiet(flags["quiet-ms"]);
  const cpuMsPerCommand = (ticks: number) => Math.round(((ticks * 1000) / HZ / total) * 100) / 100;
  const cpu = {
    agentMsPerCommand: cpuMsPerCommand(readCpuTicks(agent.pid) - agentTicks0),
    brokerMsPerCommand: broker.pid !== undefined ? cpuMsPerCommand(readCpuTicks(broker.pid) - brokerTicks0) : null,
  };
  // The agent's own view: its audit record's durationMs (whole ms, Date.now) for each measured id.
  const ids = new Set(samples.map((s) => s.id));
  const audits: number[] = [];
  const seen = new Set<string>();
  const auditLogged = ["trace", "debug", "info"].includes(flags["agent-log-level"]);
  if (auditLogged) await agent
    .waitForLog(() => {
      for (const l of agent.logs) {
        const a = l.audit as { id?: string; durationMs?: number } | undefined;
        if (a?.id && ids.has(a.id) && !seen.has(a.id) && typeof a.durationMs === "number") {
          seen.add(a.id);
          audits.push(a.durationMs);
        }
      }
      return seen.size === ids.size;
    }, "audit records of every measured command", 5_000)
    .catch((err: Error) => note(`warning: ${err.message}`));
  const latency = summarize(samples.map((s) => s.ms));
  const wireInPath = mode === "ping" ? 0 : wire.simulatedMs;
  const pollInquiries = tap.inquiries - inquiriesAtStart;
  return {
    mode,
    latency: rounded(latency),
    upstream: mode === "ping" ? null : rounded(summarize(samples.map((s) => s.upMs))),
    downstream: mode === "ping" ? null : rounded(summarize(samples.map((s) => s.downMs))),
    agentAuditMs: auditLogged ? rounded(summarize(audits)) : null,
    overheadMs: rounded({ p50: latency.p50 - wireInPath, p99: latency.p99 - wireInPath }),
    pass: { p50: latency.p50 - wireInPath <= TARGET_P50_MS, p99: latency.p99 - wireInPath <= TARGET_P99_MS },
    projectedOnRealLineMs:
      mode === "ping" ? null : rounded({ p50: latency.p50 - wireInPath + wire.exchangeMs, p99: latency.p99 - wireInPath + wire.exchangeMs }),
    commandsWithInquiryAfterPublish: samples.filter((s) => s.inquiriesFirst > 0).length,
    pollInquiriesPerCommand: rounded({ v: pollInquiries / total }).v,
    cpu,
  };
}

function row(name: string, s: Summary): string[] {
  return [name, fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max), fmt(s.mean), String(s.n)];
}

async function main(): Promise<void> {
  const scratch = scratchDir("bench-latency");
  let broker: BenchBroker | undefined;
  let cam: SimulatedDevice | undefined;
  let agent: BenchChild | undefined;
  let op: Operator | undefined;
  try {
    broker = await startBenchBroker(flags.broker as BrokerMode);
    cam = await startCamera(scratch.dir, DEVICE, "serial", { baudRate: flags.baud, pollIntervalMs: flags["poll-interval-ms"] });
    const tap = new CameraTap(cam.handle.camera);
    const siteFile = writeSiteFile(scratch.dir, {
      site: SITE,
      broker: { url: broker.url },
      agent: { pollIntervalMs: flags["poll-interval-ms"], commandTimeoutMs: 5_000, logLevel: flags["agent-log-level"] as "info" },
      devices: { [DEVICE]: cam.config },
    });
    const results = [];
    if (modes.includes("direct")) {
      note(`direct: ${flags.warmup} warm-up + ${flags.iterations} measured round trips, bench <-> pty <-> camera`);
      const frame = encodeCommand(1, { type: "focusMode", mode: "auto" });
      const times = (await directRoundTrips(cam.config.transport.type === "serial" ? cam.config.transport.path : "", flags.baud, frame, flags.warmup + flags.iterations)).slice(flags.warmup);
      const latency = summarize(times);
      results.push({
        mode: "direct" as const,
        latency: rounded(latency),
        upstream: null,
        downstream: null,
        agentAuditMs: null,
        overheadMs: rounded({ p50: latency.p50 - wire.simulatedMs, p99: latency.p99 - wire.simulatedMs }),
        pass: null,
        projectedOnRealLineMs: null,
        commandsWithInquiryAfterPublish: 0,
        pollInquiriesPerCommand: 0,
        cpu: null,
      });
    }
    op = await Operator.connect(broker.url, SITE);
    agent = spawnAgent(siteFile, broker.url, path.join(scratch.dir, "state"));
    const o = op;
    await op.until(() => o.healthOf(DEVICE) === "ok", `${DEVICE} health ok`, 20_000);
    note(`agent pid ${agent.pid} up; ${DEVICE} ok on ${cam.handle.describe()}`);

    for (const mode of modes) if (mode !== "direct") results.push(await runMode(mode, op, tap, agent, broker));

    const result = {
      bench: "command-latency",
      machine: machineInfo(),
      setup: {
        command: 'focus {mode:"auto"}',
        broker: flags.broker,
        agent: `child process (node dist/cli/main.js agent), logLevel ${flags["agent-log-level"]}`,
        operatorNoDelay: true,
        pollIntervalMs: flags["poll-interval-ms"],
        postActionPoll: "the agent polls the camera right after every action (4 inquiries)",
        iterations: flags.iterations,
        warmup: flags.warmup,
        quietMs: flags["quiet-ms"],
      },
      wire: rounded(wire),
      targets: { p50OverheadMs: TARGET_P50_MS, p99OverheadMs: TARGET_P99_MS },
      modes: Object.fromEntries(results.map((r) => [r.mode, r])),
    };

    note("");
    note(`wire time at ${flags.baud} baud: exchange ${requestBytes}+${replyBytes} bytes = ${fmt(wire.exchangeMs)} ms; simulated in path (replies, whole ms) = ${wire.simulatedMs} ms`);
    for (const r of results) {
      note("");
      note(
        `${r.mode}  (ms; poll inquiries per command ${r.pollInquiriesPerCommand}; ` +
          `${r.commandsWithInquiryAfterPublish} of ${r.latency.n} commands had an inquiry reach the camera after their publish)`,
      );
      const rows = [row("publish->response", r.latency)];
      if (r.upstream) rows.push(row("  publish->camera", r.upstream));
      if (r.downstream) rows.push(row("  camera->response", r.downstream));
      if (r.agentAuditMs) rows.push(row("agent audit (int ms)", r.agentAuditMs));
      note(table(["", "p50", "p90", "p99", "max", "mean", "n"], rows));
      if (r.cpu) note(`CPU per command (poll included): agent ${fmt(r.cpu.agentMsPerCommand)} ms, broker ${r.cpu.brokerMsPerCommand === null ? "in bench process" : `${fmt(r.cpu.brokerMsPerCommand)} ms`}`);
      const verdict = (ok: boolean | undefined, target: number) => (ok === undefined ? "" : ` (target <= ${target}: ${ok ? "met" : "NOT met"})`);
      note(
        `over ${r.mode === "ping" ? "nothing (no device)" : "simulated wire"}: p50 ${fmt(r.overheadMs.p50)} ms${verdict(r.pass?.p50, TARGET_P50_MS)}, ` +
          `p99 ${fmt(r.overheadMs.p99)} ms${verdict(r.pass?.p99, TARGET_P99_MS)}`,
      );
    }
    emitJson(result);
  } finally {
    await op?.close().catch((err: Error) => note(`operator close: ${err.message}`));
    const code = await agent?.stop();
    if (code !== undefined && code !== 0 && code !== null) note(`agent exited with code ${code}: ${agent?.tail() ?? ""}`);
    await cam?.handle.close();
    await broker?.close();
    scratch.cleanup();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`command-latency failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
