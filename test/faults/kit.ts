/**
 * What every fault scenario needs: a broker, the proxy in front of it, the recorder behind it, an
 * in-process agent (real or fake clock) and a cleanup stack; plus waiting for the agent's MQTT
 * link through its own log lines (events, never sleeps).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, type AgentOptions } from "../../agent/agent.js";
import { startBroker, type RunningBroker } from "../../broker/server.js";
import { siteConfigSchema } from "../../config/site.js";
import type { FakeClock } from "../helpers/clock.js";
import { memoryLogger } from "../helpers/logger.js";
import { FaultProxy } from "./proxy.js";
import { Recorder } from "./recorder.js";
import { msgOf, watchedLogger, within, type WatchedLogger } from "./wait.js";

/** Reconnect backoff of in-process agents (ms, on the agent's clock). */
export const BACKOFF = { initialMs: 50, maxMs: 400 };

/** Cleanups run in reverse order, each bounded; each one's failure is collected, never swallowed. */
export class Cleanup {
  private readonly steps: { step: () => Promise<unknown> | unknown; what: string }[] = [];
  push(step: () => Promise<unknown> | unknown, what = step.toString().slice(0, 80)): void {
    this.steps.push({ step, what });
  }
  /** A step that runs after all others (brokers: the agent must stop while its broker is still there). */
  pushLast(step: () => Promise<unknown> | unknown, what: string): void {
    this.steps.unshift({ step, what });
  }
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const { step, what } of this.steps.splice(0).reverse()) {
      try {
        await within(Promise.resolve().then(step), 8_000, `cleanup: ${what}`);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
  }
}

export function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `roomgate-fault-${prefix}-`));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function broker(cleanup: Cleanup, port = 0): Promise<RunningBroker> {
  const b = await startBroker({ host: "127.0.0.1", port, logger: memoryLogger() });
  cleanup.pushLast(() => b.close(), `broker :${b.port}`);
  return b;
}

export async function proxyTo(cleanup: Cleanup, b: { port: number }): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target: { host: "127.0.0.1", port: b.port } });
  cleanup.push(() => p.close(), "proxy");
  return p;
}

export async function recorder(cleanup: Cleanup, url: string, site: string): Promise<Recorder> {
  const r = await Recorder.connect(url, site);
  cleanup.push(() => r.close(), "recorder");
  return r;
}

export interface RunningAgent {
  agent: Agent;
  logs: WatchedLogger;
}

/**
 * Starts an in-process agent for `site` (raw site-file object, parsed here). With a fake clock the
 * cleanup ticks it while the agent stops (its drain wait runs on that clock).
 */
export async function startAgent(
  cleanup: Cleanup,
  siteFile: Record<string, unknown>,
  extra: Partial<Omit<AgentOptions, "config" | "logger">> & { clock?: FakeClock } = {},
): Promise<RunningAgent> {
  const logs = watchedLogger();
  const config = siteConfigSchema.parse(siteFile);
  const agent = new Agent({ config, logger: logs, version: "0.0.0-fault", bootSeq: 1, mqttBackoff: BACKOFF, ...extra });
  cleanup.push(async () => {
    const stopping = agent.stop();
    if (extra.clock) await extra.clock.tickAsync(5_000);
    await stopping;
  }, `agent ${config.site} stop`);
  await agent.start();
  return { agent, logs };
}

const isConnected = (r: { msg?: string; obj: object | string }): boolean => msgOf(r as never) === "connected to broker";
const isRetrying = (r: { msg?: string; obj: object | string }): boolean => msgOf(r as never) === "reconnecting to broker";

/**
 * Waits until the agent's MQTT session is connected. With a fake clock, the reconnect timer only
 * fires when the clock moves: tick one backoff, then wait for the attempt's outcome in the log
 * (connected, or closed again and rescheduled), and repeat, bounded.
 */
export async function untilConnected(run: RunningAgent, ms: number, clock?: FakeClock): Promise<void> {
  const { agent, logs } = run;
  if (!clock) {
    if (!agent.mqttConnected) await logs.waitFor(isConnected, ms, "connected to broker", logs.records.length);
    return;
  }
  const deadline = Date.now() + ms;
  while (!agent.mqttConnected) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`agent not reconnected within ${ms} ms`);
    const from = logs.records.length;
    await clock.tickAsync(BACKOFF.maxMs);
    if (agent.mqttConnected) return;
    await logs.waitFor((r) => isConnected(r) || isRetrying(r), left, "a reconnect attempt's outcome", from);
  }
}

/** Waits until the agent noticed that its link is gone (its own log line). */
export function untilDisconnected(run: RunningAgent, ms: number, from = 0): Promise<unknown> {
  return run.logs.waitFor((r) => msgOf(r) === "disconnected from broker", ms, "the agent to notice the link is down", from);
}
