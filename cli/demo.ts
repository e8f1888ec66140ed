/**
 * `roomgate demo`: the embedded broker, a simulated district site (config/examples/district-room.yaml:
 * cameras, LED wall, displays, audio, the encryptor, GPIO, two conference codecs with the MCU as
 * their far end, the access switch and the WAN link), the agent and the centre recording it all into
 * PGlite in the state directory, in one process (cli/demo-run.ts). Prints how to watch and command it, and where the operator console is.
 */
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { loadBrokerConfig, loadSiteConfig } from "../config/load.js";
import type { SiteConfig } from "../config/site.js";
import { createLogger } from "../agent/logger.js";
import type { LogLevel } from "../agent/logger.js";
import { checkDevices } from "../agent/drivers.js";
import { lockStateDir, StateLockError, type StateLock } from "../agent/state-lock.js";
import { relocatePtys, simulatorEndpoints, takenEndpoints, type Endpoint } from "../simulators/site-endpoints.js";
import { startDemo } from "./demo-run.js";
import { defaultStateDir } from "./agent.js";
import { portArg, untilSignal } from "./args.js";
import { parseCommand } from "./spec.js";
import { demoSpec } from "./specs/site.js";

/** The example site file, found from both the sources (cli/) and the build (dist/cli/). */
export function exampleSitePath(): string {
  for (const rel of ["../config/examples/district-room.yaml", "../../config/examples/district-room.yaml"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("config/examples/district-room.yaml not found next to the roomgate package");
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(demoSpec, argv);
  const freePorts = values["free-ports"] === true;
  const port = portArg(values.port, freePorts ? 0 : 1883);
  const httpPort = portArg(values["http-port"], freePorts ? 0 : 8080);
  // The centre's pages (History, Availability) need the centre and come with the console.
  const centreWeb = values["no-centre"] !== true && values["no-console"] !== true;
  const centrePort = portArg(values["centre-port"], freePorts ? 0 : 8090);
  const file = values.config ?? exampleSitePath();
  const stateDir = values["state-dir"] ?? defaultStateDir();
  const loaded = await loadSiteConfig(file);
  await checkDevices(loaded, file);
  await mkdir(stateDir, { recursive: true });
  // --free-ports: the simulators bind port 0 (startDemo's anyPort) and the agent is given the ports they got.
  const config = freePorts ? relocatePtys(loaded, path.join(stateDir, "pty")) : loaded;
  const lock = await preflight(freePorts ? [] : simulatorEndpoints(config), config.site, stateDir, port, httpPort, centreWeb ? centrePort : undefined);
  if (lock === undefined) return 1;
  process.once("exit", () => lock.release());
  const users = values.users === undefined ? undefined : ((await loadBrokerConfig(values.users)).users ?? {});
  const level = (values["log-level"] ?? "warn") as LogLevel;
  const logger = createLogger({ level, name: "roomgate-demo", destination: 2 });

  const demo = await startDemo({
    config, logger, port, httpPort, console: values["no-console"] !== true, ...(users ? { users } : {}), stateDir, anyPort: freePorts,
    centre: values["no-centre"] !== true, centreLogLevel: level, ...(centreWeb ? { centreWebPort: centrePort } : {}),
  });
  const broker = demo.broker;
  const site = config.site;
  const devices = Object.keys(config.devices);
  const cam = devices[0] ?? "cam-main";
  const ofKind = (kind: string) => devices.find((d) => config.devices[d]!.kind === kind);
  const p = broker.port;
  const b = `--broker ${broker.url}`;
  process.stdout.write(`
roomgate demo is running: broker ${broker.url}, site "${site}", devices: ${devices.join(", ")}
${demo.consoleUrl ? `\nOperator console: ${demo.consoleUrl}\n  ${users ? `log in as a user of ${values.users}` : "the demo broker is open: any user name (e.g. operator) logs in with every right; --users broker.yaml enforces real users"}\n` : ""}
Watch every topic of the site:
  npx roomgate watch ${site} --broker ${broker.url}
  mosquitto_sub -h 127.0.0.1 -p ${p} -t 'roomgate/v1/${site}/#' -v

Send a command (recall preset 2 on ${cam}) and read the answer:
  npx roomgate ctl ${site} ${cam} preset.recall --arg preset=2 --broker ${broker.url}
  mosquitto_sub -h 127.0.0.1 -p ${p} -t 'roomgate/v1/${site}/res/operator' -v &
  mosquitto_pub -h 127.0.0.1 -p ${p} -t 'roomgate/v1/${site}/cmd/operator' \\
    -m '{"id":"c1","device":"${cam}","action":"preset.recall","args":{"preset":2}}'

Other actions: power, preset.set, preset.reset, move, stop, position, home, zoom, zoom.position, focus
on cameras; input.select, brightness.set, blank.set on the LED wall and displays, e.g.
  npx roomgate ctl ${site} led-wall input.select --arg input=dp ${b}
${codecLines(site, ofKind("codec"), b)}${networkLines(site, ofKind("switch"), ofKind("link"), config, b, p)}${historyLines(site, demo.centre === undefined ? undefined : path.join(stateDir, "centre"), values["state-dir"], centreWeb ? centrePort : undefined)}
(every action's argument schema is in the retained topic roomgate/v1/${site}/agent/meta).
Ctrl-C stops the demo.
`);
  // The centre comes up after the rest (PGlite's first start): its pages' address once it serves them.
  void demo.centre?.then((centre) => {
    if (centre?.consoleUrl !== undefined) process.stdout.write(`The centre is recording; its History and Availability pages: ${centre.consoleUrl}#/history/audit\n`);
  });
  await untilSignal();
  process.stdout.write("stopping...\n");
  await demo.close();
  lock.release();
  return 0;
}

/** How to call the MCU from the site's first codec, mute it and hang up (none: nothing). */
function codecLines(site: string, codec: string | undefined, b: string): string {
  if (codec === undefined) return "";
  return `
Call the province's MCU from ${codec} (its simulator's far end), mute the room, hang up:
  npx roomgate ctl ${site} ${codec} call.dial --arg number=8001@mcu.province.gov ${b}
  npx roomgate ctl ${site} ${codec} mic.mute --arg on=true ${b}
  npx roomgate ctl ${site} ${codec} call.hangup ${b}
`;
}

/**
 * What the centre recorded: the audit, alarms, the chain's check, the month's report, and where its
 * pages are (`webPort` 0: printed once it is up; undefined: none). No centre: nothing.
 */
function historyLines(site: string, centreDir: string | undefined, givenStateDir: string | undefined, webPort: number | undefined): string {
  if (centreDir === undefined) return "";
  const from = givenStateDir === undefined ? "" : ` --state-dir ${givenStateDir}`;
  const pages = webPort === undefined ? "" : webPort === 0 ? "\nIts History and Availability pages: at the address printed below once it is up." : `\nIts History and Availability pages (the console as the centre serves it): http://127.0.0.1:${webPort}/console/#/history/audit`;
  return `
The centre records every command, alarm, health change and readiness run (PGlite in ${centreDir},
up a few seconds after the agent on its first start):${pages}
  npx roomgate history audit --site ${site}${from}
  npx roomgate history alarms --since 1d${from}
  npx roomgate history verify${from}
  npx roomgate report availability --month ${new Date().toISOString().slice(0, 7)}${from}
`;
}

/** A PoE power-cycle through the switch, and the WAN link's figures (none of either: nothing). */
function networkLines(site: string, sw: string | undefined, link: string | undefined, config: SiteConfig, b: string, port: number): string {
  const fed = Object.entries(config.devices).find(([, d]) => d.power !== undefined && "port" in d.power && d.power.device === sw);
  const lines = [
    ...(sw && fed ? [`  npx roomgate ctl ${site} ${sw} port.powercycle --arg port=${(fed[1].power as { port: string }).port} --arg offMs=3000 ${b}`] : []),
    ...(link ? [`  mosquitto_sub -h 127.0.0.1 -p ${port} -t 'roomgate/v1/${site}/dev/${link}/state' -C 1   # loss, jitter, round trip to the MCU`] : []),
  ];
  return lines.length === 0 ? "" : `
The network: power-cycle a PoE camera through the switch; the WAN link's figures:
${lines.join("\n")}
`;
}

/**
 * Before anything starts: every port the demo will listen on is bindable and no other agent of the
 * site runs from this state directory. Otherwise prints what is taken and how to run beside it
 * (stderr) and resolves undefined; a half-started demo would fail on the first port, naming only it.
 */
async function preflight(simulated: Endpoint[], site: string, stateDir: string, port: number, httpPort: number, centrePort: number | undefined): Promise<StateLock | undefined> {
  const beside = "npx roomgate demo --free-ports --state-dir .roomgate-2";
  const endpoints: Endpoint[] = [
    { what: "the MQTT broker (--port N)", proto: "tcp", host: "127.0.0.1", port },
    { what: "the console, WebSocket and /metrics (--http-port N)", proto: "tcp", host: "127.0.0.1", port: httpPort },
    ...(centrePort === undefined ? [] : [{ what: "the centre's History and Availability pages (--centre-port N)", proto: "tcp" as const, host: "127.0.0.1", port: centrePort }]),
    ...simulated,
  ];
  const problems = (await takenEndpoints(endpoints)).map(({ endpoint: e, reason }) => `  ${e.where.padEnd(22)} ${e.what}: ${reason === "EADDRINUSE" ? "in use" : reason}`);
  let lock: StateLock | undefined;
  try {
    lock = lockStateDir(stateDir, site, `run this one with its own, e.g. ${beside}`);
  } catch (err) {
    if (!(err instanceof StateLockError)) throw err;
    problems.push(`  ${err.message}`);
  }
  if (problems.length === 0) return lock;
  lock?.release();
  process.stderr.write(`roomgate demo: cannot start, what it needs is taken:
${problems.join("\n")}
Is another roomgate demo (or an MQTT broker) running? Stop it (Ctrl-C in its terminal), or start this one beside it:
  ${beside}
(--free-ports puts the broker, the console, the centre's pages and every simulated device on free ports, printed once
it is up; --port N, --http-port N and --centre-port N choose their own; --state-dir DIR keeps its boot count and outbox apart.)
`);
  return undefined;
}
