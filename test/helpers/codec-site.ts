/**
 * A site with stand-in codecs (test/helpers/standin-codec.ts) for the codec module's tests: a real
 * broker, the real agent in-process on a fake clock, and a monitoring script's view of the site
 * (every message under the site's topics). Commands go over MQTT, as an operator's do; the fake
 * clock moves only when the test says, once the agent has shown (on MQTT) that it took the command.
 */
import { expect } from "vitest";
import type { Agent } from "../../agent/agent.js";
import { fakeClock, type FakeClock } from "./clock.js";
import { Watcher, type Seen } from "./mqtt.js";
import { standInLoader, type StandInCodec, type StandInEncryptor } from "./standin-codec.js";
import { type Cleanup, startAgent, untilConnected } from "../faults/kit.js";

export interface CodecSite {
  T: string;
  agent: Agent;
  clock: FakeClock;
  ops: Watcher;
  codec(id?: string): StandInCodec;
  encryptor(): StandInEncryptor;
  /** Every action the stand-ins ran, in order (`codec-1 call.hangup 1`). */
  log: string[];
  /** Publishes a command as op-anna; resolves once it is published (the answer: `answer`). */
  send(device: string | undefined, action: string, args?: Record<string, unknown>): Promise<string>;
  /** The answer to a command sent (real wait, bounded). */
  answer(id: string, ms?: number): Promise<any>;
  /** A command whose answer needs no time on the agent's clock. */
  command(device: string | undefined, action: string, args?: Record<string, unknown>): Promise<any>;
  /** Everything the agent published before now has arrived: a `ping` answered after it. */
  sentinel(): Promise<void>;
  /** The retained alarm's latest payload ("" when cleared), waited for until `match`. */
  alarm(id: string, match: (m: Seen) => boolean, what: string, from?: number): Promise<Seen>;
}

let sites = 0;

/** The codec `codec-1` in room `hall`, plus what `extra` adds to the site file. */
export async function codecSite(cleanup: Cleanup, brokerUrl: string, extra: Record<string, unknown> = {}): Promise<CodecSite> {
  const site = `codec-site-${++sites}-${process.pid}`;
  const T = `roomgate/v1/${site}`;
  const clock = fakeClock();
  const loader = standInLoader();
  const ops = await Watcher.connect(brokerUrl, `${T}/#`);
  cleanup.push(() => ops.close(), "watcher");
  const { devices, ...rest } = extra as { devices?: Record<string, unknown> };
  const run = await startAgent(
    cleanup,
    {
      site,
      broker: { url: brokerUrl },
      agent: { pollIntervalMs: 60_000 },
      rooms: { hall: {} },
      ...rest,
      devices: {
        "codec-1": { kind: "codec", protocol: "standin-codec", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: 9 } },
        ...devices,
      },
    },
    { clock, loadDriver: loader.loadDriver },
  );
  await untilConnected(run, 10_000, clock);
  await ops.waitFor((m) => m.topic === `${T}/dev/codec-1/health` && m.json?.status === "ok", 10_000, "codec-1 ok");
  let n = 0;
  const s: CodecSite = {
    T,
    agent: run.agent,
    clock,
    ops,
    log: loader.log,
    codec: (id = "codec-1") => loader.codecs.get(id)!,
    encryptor: () => loader.encryptors[0]!,
    send: async (device, action, args = {}) => {
      const id = `c${++n}`;
      await ops.publish(`${T}/cmd/op-anna`, { id, ...(device ? { device } : {}), action, args });
      return id;
    },
    answer: async (id, ms = 10_000) => (await ops.waitFor((m) => m.topic === `${T}/res/op-anna` && m.json?.id === id, ms, `answer ${id}`)).json,
    command: async (device, action, args = {}) => s.answer(await s.send(device, action, args)),
    sentinel: async () => {
      expect((await s.command(undefined, "ping")).status).toBe("ok");
    },
    alarm: (id, match, what, from = 0) => ops.waitFor((m) => m.topic === `${T}/alarm/${id}` && match(m), 10_000, what, from),
  };
  return s;
}

/** The state of a device as last published, once it matches (real wait). */
export function stateWhere(s: CodecSite, device: string, match: (state: any) => boolean, what: string, from = s.ops.seen.length): Promise<Seen> {
  return s.ops.waitFor((m) => m.topic === `${s.T}/dev/${device}/state` && match(m.json?.state), 10_000, what, from);
}
