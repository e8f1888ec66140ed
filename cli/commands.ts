/**
 * Every `roomgate` command: its spec (cli/specs/) and how to run it. A command's module is imported
 * only when the command runs, so `roomgate ctl` never loads serialport, the agent never loads aedes,
 * and help loads neither. The top level's help lists the commands in this order.
 */
import { defineCommand } from "./spec.js";
import type { Command } from "./help.js";
import { brokerAclSpec, brokerPasswdSpec, brokerSpec } from "./specs/broker.js";
import { centreSpec, historyAlarmsSpec, historyAuditSpec, historyHealthSpec, historyQuarantineSpec, historySpec, historyVerifySpec, reportAvailabilitySpec, reportSpec } from "./specs/centre.js";
import { checkSpec, ctlSpec, fleetCheckSpec, fleetSpec, watchSpec } from "./specs/operator.js";
import { reflectorSpec } from "./specs/reflector.js";
import { agentSpec, configSchemaSpec, configSpec, configValidateSpec, demoSpec, discoverSpec, doctorSpec, simSpec } from "./specs/site.js";

export const helpSpec = defineCommand({
  name: "help",
  summary: "print the help of a command (the same as roomgate COMMAND --help)",
  positionals: [{ name: "COMMAND", description: "a command, with its subcommand (fleet check)", optional: true, variadic: true }],
  options: {},
  examples: [
    { command: "roomgate help check", what: "the options, exit codes and examples of roomgate check" },
    { command: "roomgate help fleet check", what: "those of a subcommand" },
  ],
});

export const rootSpec = defineCommand({
  name: "",
  summary: "edge agent for conference-room hardware, and its tools",
  usage: "<command> [options]",
  notes: [
    "The operator tools (ctl, watch, check, fleet check) find the broker at --broker URL, else $ROOMGATE_BROKER, else mqtt://127.0.0.1:1883; mqtts://, ws:// and wss:// work too.",
    "They log in with --user U --password-file F [--ca CA.pem], or $ROOMGATE_USER, $ROOMGATE_PASSWORD_FILE and $ROOMGATE_CA_FILE.",
  ],
  options: {
    version: { type: "boolean", description: "print the versions of roomgate and Node, and the platform" },
  },
  exitCodes: [
    [0, "ok"],
    [1, "runtime failure"],
    [2, "bad usage or an invalid config file (check, fleet check, ctl, doctor and broker acl have codes of their own: see their --help)"],
  ],
  examples: [
    { command: "roomgate demo", what: "try it: a broker, a simulated district room and its agent in one process" },
    { command: "roomgate check --help", what: "the options and examples of one command" },
  ],
});

const commands: Command[] = [
  { spec: demoSpec, run: async (argv) => (await import("./demo.js")).demoCommand(argv) },
  {
    spec: brokerSpec,
    run: async (argv) => (await import("./broker.js")).brokerCommand(argv),
    subcommands: [
      { spec: brokerPasswdSpec, run: async (argv) => (await import("./broker.js")).passwdCommand(argv) },
      { spec: brokerAclSpec, run: async (argv) => (await import("./broker.js")).aclCommand(argv) },
    ],
  },
  { spec: centreSpec, run: async (argv) => (await import("./centre.js")).centreCommand(argv) },
  {
    spec: historySpec,
    subcommands: [
      { spec: historyAuditSpec, run: async (argv) => (await import("./history.js")).historyAuditCommand(argv) },
      { spec: historyAlarmsSpec, run: async (argv) => (await import("./history.js")).historyAlarmsCommand(argv) },
      { spec: historyHealthSpec, run: async (argv) => (await import("./history.js")).historyHealthCommand(argv) },
      { spec: historyQuarantineSpec, run: async (argv) => (await import("./history.js")).historyQuarantineCommand(argv) },
      { spec: historyVerifySpec, run: async (argv) => (await import("./history.js")).historyVerifyCommand(argv) },
    ],
  },
  { spec: reportSpec, subcommands: [{ spec: reportAvailabilitySpec, run: async (argv) => (await import("./report.js")).reportAvailabilityCommand(argv) }] },
  { spec: reflectorSpec, run: async (argv) => (await import("./reflector.js")).reflectorCommand(argv) },
  { spec: agentSpec, run: async (argv) => (await import("./agent.js")).agentCommand(argv) },
  { spec: simSpec, run: async (argv) => (await import("./sim.js")).simCommand(argv) },
  { spec: ctlSpec, run: async (argv) => (await import("./ctl.js")).ctlCommand(argv) },
  { spec: watchSpec, run: async (argv) => (await import("./watch.js")).watchCommand(argv) },
  { spec: checkSpec, run: async (argv) => (await import("./check.js")).checkCommand(argv) },
  { spec: fleetSpec, subcommands: [{ spec: fleetCheckSpec, run: async (argv) => (await import("./fleet.js")).fleetCheckCommand(argv) }] },
  { spec: discoverSpec, run: async (argv) => (await import("./discover.js")).discoverCommand(argv) },
  { spec: doctorSpec, run: async (argv) => (await import("./doctor.js")).doctorCommand(argv) },
  {
    spec: configSpec,
    subcommands: [
      { spec: configValidateSpec, run: async (argv) => (await import("./config.js")).configValidateCommand(argv) },
      { spec: configSchemaSpec, run: async (argv) => (await import("./config.js")).configSchemaCommand(argv) },
    ],
  },
  // Run by cli/dispatch.ts itself: it needs the registry.
  { spec: helpSpec },
];

/** The top level: `roomgate --help` lists its subcommands, every command and subcommand of the registry. */
export const ROOT: Command = { spec: rootSpec, subcommands: commands };
