/**
 * The pieces of `roomgate demo`, started in one process: the embedded broker (TCP, and HTTP with
 * MQTT over WebSocket and the operator console), the centre recording into PGlite in the demo's
 * state directory (when asked: `roomgate demo` asks, most tests do not), every simulated device of
 * the site file, and the agent. The e2e tests start the demo through this too, on free ports.
 *
 * Without `users` the broker is open to everyone (anonymous, logged loudly): any user name logs in
 * to the console with every right. With `users` (a broker file's users, scrypt hashes) those users
 * must give their password and get their role's ACL; clients without a user name (the demo's agent,
 * the README's mosquitto_pub lines) keep full access, as on any broker with `anonymous: true`.
 */
import type { BrokerUser } from "../config/broker.js";
import type { SiteConfig } from "../config/site.js";
import type { Logger } from "../drivers/types.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent, type AgentOptions } from "../agent/agent.js";
import { nextBootSeq } from "../agent/boot-seq.js";
import { prepareStateDir } from "../agent/state-format.js";
import { startSiteSimulators, type SiteSimulators } from "../simulators/site.js";
import { startDemoCentre, type DemoCentre } from "./demo-centre.js";
import { packageVersion } from "./version.js";

export interface DemoOptions {
  config: SiteConfig;
  logger: Logger;
  /** MQTT over TCP; 0 picks a free port. */
  port: number;
  host?: string;
  /** The HTTP listener (WebSocket, /metrics, console); false: none. 0 picks a free port. */
  httpPort: number | false;
  /** Serve the console on the HTTP listener. Default true. */
  console?: boolean;
  users?: Record<string, BrokerUser>;
  stateDir: string;
  /** Start the simulators on ports the kernel picks and give the agent those (`--free-ports`). */
  anyPort?: boolean;
  /**
   * Run `roomgate centre` in-process too, recording the site into PGlite in {stateDir}/centre, so
   * `roomgate history --state-dir DIR` answers (through the centre's local API). Default false.
   * It runs in a thread of its own (cli/demo-centre.ts) and the demo does not wait for it: PGlite's
   * first start (initdb in WebAssembly) takes seconds, and once subscribed the centre gets every
   * retained topic; `centre` resolves when it records.
   */
  centre?: boolean;
  /**
   * With `centre`: the centre serves its web pages (the console with History and Availability, from
   * its thread) on this port of `host`; 0 picks a free one. Undefined: no pages. The page's MQTT goes
   * to the broker's WebSocket (the HTTP listener), or through the centre's relay without one.
   */
  centreWebPort?: number;
  /** The centre's log level (its own logger, in its thread). Default warn. */
  centreLogLevel?: string;
  /** Tests: the centre posts each commit's messages (DemoCentre.onCommit). */
  centreCommits?: boolean;
  /** Tests: a fixed boot sequence, a short reconnect backoff. */
  bootSeq?: number;
  agent?: Pick<AgentOptions, "mqttBackoff" | "clock">;
}

export interface RunningDemo {
  readonly broker: RunningBroker;
  readonly sims: SiteSimulators;
  readonly agent: Agent;
  /** The centre, when asked for: resolves once it records (undefined if it could not start: logged). */
  readonly centre: Promise<DemoCentre | undefined> | undefined;
  /** http://host:port/console/ when the console is served. */
  readonly consoleUrl: string | undefined;
  close(): Promise<void>;
}

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const host = opts.host ?? "127.0.0.1";
  const withConsole = opts.httpPort !== false && opts.console !== false;
  const broker = await startBroker({
    host,
    port: opts.port,
    ...(opts.httpPort === false ? {} : { http: { host, port: opts.httpPort, websocketPath: "/mqtt", metrics: true, console: withConsole } }),
    logger: opts.logger,
    ...(opts.users ? { auth: { users: opts.users, anonymous: true } } : {}),
  });
  let sims: SiteSimulators | undefined;
  // Started first, in its own thread, and not waited for (see DemoOptions.centre). A failure costs
  // the record, not the demo.
  const centre = opts.centre === true
    ? startDemoCentre({
        stateDir: opts.stateDir, brokerUrl: broker.url, logLevel: opts.centreLogLevel ?? "warn", version: packageVersion(), reportCommits: opts.centreCommits === true,
        ...(opts.centreWebPort === undefined ? {} : { web: { host, port: opts.centreWebPort, ...(broker.http ? { mqttUrl: `ws://${host}:${broker.http.port}/mqtt` } : {}), ...(opts.users ? { users: opts.users } : {}) } }),
      }).catch(
        (err: unknown) => {
          opts.logger.error({ err: (err as Error).message }, "the demo's centre did not start: roomgate history will find no record");
          return undefined;
        },
      )
    : undefined;
  try {
    sims = await startSiteSimulators(opts.config, opts.logger, { anyPort: opts.anyPort === true });
    // With users the site file's agent name has no password here: the in-process agent comes in
    // without a user name instead (full access, like every anonymous client of the demo).
    const simulated = sims.config;
    const config = opts.users ? { ...simulated, broker: { ...simulated.broker, username: undefined, password: undefined } } : simulated;
    await prepareStateDir(opts.stateDir, opts.logger);
    const bootSeq = opts.bootSeq ?? (await nextBootSeq(opts.stateDir, config.site));
    const agent = new Agent({ config, logger: opts.logger, version: packageVersion(), bootSeq, brokerUrl: broker.url, stateDir: opts.stateDir, ...opts.agent });
    await agent.start();
    const running = sims;
    return {
      broker,
      sims: running,
      agent,
      centre,
      consoleUrl: withConsole && broker.http ? `http://${host}:${broker.http.port}/console/` : undefined,
      async close() {
        await agent.stop();
        // After the agent, so its clean stop (offline) is recorded.
        await (await centre)?.stop();
        await running.close();
        await broker.close();
      },
    };
  } catch (err) {
    await (await centre)?.stop();
    await sims?.close();
    await broker.close();
    throw err;
  }
}
