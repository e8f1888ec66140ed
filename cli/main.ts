#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The `roomgate` command. Subcommands load their modules lazily, so `roomgate ctl` never loads
 * serialport and the agent never loads aedes.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 bad usage or an invalid config file.
 */
import v8 from "node:v8";
import { UsageError } from "./args.js";

const USAGE = `usage: roomgate <command> [options]

  demo [--port N] [--http-port N] [--free-ports] [--state-dir DIR] [--config FILE]
                                        broker + simulated site + agent in one process
                                        (--free-ports: beside another demo, every port free)
  broker [--config FILE] [--port N] [--host H] [--anonymous] [--data-dir DIR | --memory] [--cluster redis://H:P]
                                        run the MQTT broker (aedes): listeners (TCP, TLS, WebSocket,
                                        /metrics), users, ACLs and limits from FILE; retained messages
                                        and sessions on disk in DIR (default $ROOMGATE_STATE_DIR/broker)
  broker passwd --config FILE USER [--role R] [--site S | --sites a,b|*] [--mosquitto]
                                        add or change a broker user (password read from stdin)
  broker acl --mosquitto --config FILE [--out DIR]
                                        write the same users and ACLs for Mosquitto
  agent --config FILE [--broker URL] [--state-dir DIR]
                                        run the agent for one site file
  sim --config FILE                     start every simulated device of a site file
                                        (fault controls on stdin: type "help")
  ctl SITE DEVICE ACTION [--arg k=v]... [--json] [--broker URL] [LOGIN] [--timeout MS]
                                        send a command and print the response (DEVICE "-" = the agent)
  watch [SITE] [--broker URL] [LOGIN]   print every roomgate message (of one site)
  check [--config FILE] [--fix] [--json] [--html FILE] [--rooms a,b] [--deadline MS] [--broker URL] [LOGIN]
                                        readiness check of this site through its running agent
                                        (exit 0 pass/warn, 1 fail, 3 no agent, 4 busy)
  fleet check [--sites a,b | --all] [--json] [--deadline MS] [--fix] [--broker URL] [LOGIN]
                                        readiness of many sites at once: one board
  discover [--interface IF] [--unicast HOST[:PORT]]... [--window MS] [--user U --password-file F] [--json]
                                        find ONVIF cameras (WS-Discovery) and print site-file entries
  doctor [--config FILE] [--state-dir DIR] [--time-url URL] [--json]
                                        check this gateway: config, serial ports, devices, broker, clock, disk
  config validate FILE                  check a site file (exit 2 and the problems if invalid)
  config schema [--broker]              print the JSON Schema of the site (or broker) file

Broker URL default: $ROOMGATE_BROKER or mqtt://127.0.0.1:1883 (mqtts://, ws://, wss:// also work).
LOGIN: --user U --password-file F [--ca CA.pem], or $ROOMGATE_USER, $ROOMGATE_PASSWORD_FILE, $ROOMGATE_CA_FILE.`;

/**
 * Started without the gateway flags (cli/node-flags.ts), e.g. `node dist/cli/main.js agent`: on Node 20
 * lite mode can still be switched on before any heavy module loads (Node 24 ignores it this late).
 * ROOMGATE_V8_LITE=0 leaves V8 as it is.
 */
function tuneForGateway(command: string | undefined): void {
  if (command !== "agent" || process.env.ROOMGATE_V8_LITE === "0") return;
  if (!process.execArgv.includes("--lite-mode")) v8.setFlagsFromString("--lite-mode");
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  tuneForGateway(command);
  switch (command) {
    case "demo":
      return (await import("./demo.js")).demoCommand(rest);
    case "broker":
      return (await import("./broker.js")).brokerCommand(rest);
    case "agent":
      return (await import("./agent.js")).agentCommand(rest);
    case "sim":
      return (await import("./sim.js")).simCommand(rest);
    case "ctl":
      return (await import("./ctl.js")).ctlCommand(rest);
    case "watch":
      return (await import("./watch.js")).watchCommand(rest);
    case "check":
      return (await import("./check.js")).checkCommand(rest);
    case "fleet":
      return (await import("./fleet.js")).fleetCommand(rest);
    case "config":
      return (await import("./config.js")).configCommand(rest);
    case "discover":
      return (await import("./discover.js")).discoverCommand(rest);
    case "doctor":
      return (await import("./doctor.js")).doctorCommand(rest);
    case "--version":
      process.stdout.write(`roomgate ${(await import("./version.js")).packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands resolve only when they are stopped; short ones exit with their code.
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`roomgate: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if ((err as { code?: string }).code === "bad_config") {
      process.stderr.write(`roomgate: invalid config\n${(err as Error).message}\n`);
      process.exitCode = 2;
    } else if (err instanceof Error && typeof (err as Error & { code?: unknown }).code === "string") {
      // A coded error is an expected failure (broker unreachable, login refused): its message says it all.
      process.stderr.write(`roomgate: ${err.message} [${String((err as Error & { code: string }).code)}]\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`roomgate: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
