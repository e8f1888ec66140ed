/**
 * The specs of the commands that run on a site's gateway, or in its place: demo, agent, sim,
 * doctor, discover, config validate, config schema.
 */
import { defineCommand } from "../spec.js";
import { SITE_FILE_OPTION } from "./shared.js";

export const demoSpec = defineCommand({
  name: "demo",
  summary: "broker + simulated site + agent in one process, with the operator console",
  notes: ["Prints how to watch and command the site; runs until Ctrl-C."],
  options: {
    port: { type: "string", value: "N", description: "MQTT over TCP on this port; 0: any free port", default: "1883" },
    "http-port": { type: "string", value: "N", description: "the HTTP listener: MQTT over WebSocket, /metrics, the operator console", default: "8080" },
    "no-console": { type: "boolean", description: "serve no operator console" },
    "no-centre": { type: "boolean", description: "run no centre (by default it records the site into PGlite in the state directory, for roomgate history, and serves its History and Availability pages)" },
    "centre-port": { type: "string", value: "N", description: "the centre's web pages: the console with its History and Availability pages (not with --no-centre or --no-console)", default: "8090" },
    users: { type: "string", value: "FILE", description: "the users of this broker file log in with their passwords and roles", default: "open: any user name logs in with every right" },
    config: { type: "string", value: "FILE", description: "the site to simulate", default: "the example district-room.yaml" },
    "log-level": { type: "string", value: "LEVEL", description: "log on stderr from this level: trace, debug, info, warn, error, silent", default: "warn" },
    "free-ports": { type: "boolean", description: "the broker, the console, the centre's pages and every simulated device on free ports, pty links under the state directory: to run beside another demo (--port, --http-port and --centre-port still choose their own)" },
    "state-dir": { type: "string", value: "DIR", description: "boot count, outbox and alarms of the demo's agent; one demo per state directory", default: "$ROOMGATE_STATE_DIR, else .roomgate" },
  },
  exitCodes: [
    [0, "stopped with Ctrl-C"],
    [1, "a port it needs is taken, or another demo runs from the state directory: it says which, and how to run beside it"],
    [2, "bad usage or an invalid site file"],
  ],
  examples: [
    { command: "roomgate demo", what: "start it, then follow the watch and ctl lines it prints; the console is at http://127.0.0.1:8080/console/" },
    { command: "roomgate demo --free-ports --state-dir .roomgate-2", what: "a second demo beside the first: every port free, its own state" },
    { command: "roomgate demo --port 1884 --http-port 8081 --users config/examples/broker.yaml", what: "beside another broker, with real users and roles" },
  ],
});

export const agentSpec = defineCommand({
  name: "agent",
  summary: "run the agent for one site file",
  notes: ["Runs until SIGINT or SIGTERM (a service manager's stop)."],
  options: {
    config: { type: "string", value: "FILE", description: "the site file", required: true },
    broker: { type: "string", value: "URL", description: "the MQTT broker", default: "the site file's broker.url" },
    "state-dir": { type: "string", value: "DIR", description: "boot sequence, outbox and other state kept across restarts", default: "$ROOMGATE_STATE_DIR, else .roomgate" },
  },
  examples: [
    { command: "roomgate agent --config /etc/roomgate/site.yaml --state-dir /var/lib/roomgate", what: "what the installed service runs" },
  ],
});

export const simSpec = defineCommand({
  name: "sim",
  summary: "start every simulated device of a site file",
  notes: ['Fault controls on stdin when it is a terminal (or ROOMGATE_SIM_STDIN=1): type "help". Runs until Ctrl-C.'],
  options: {
    config: { type: "string", value: "FILE", description: "the site file whose devices to simulate", required: true },
  },
  examples: [
    { command: "roomgate sim --config config/examples/district-room.yaml", what: "a whole district room on loopback and pseudo-terminals, for an agent to run against" },
  ],
});

export const doctorSpec = defineCommand({
  name: "doctor",
  summary: "check this gateway: config, serial ports, devices, broker, clock, disk",
  notes: ["Does not need the agent (run it when the agent will not come up); sends nothing to any device."],
  options: {
    config: SITE_FILE_OPTION,
    "state-dir": { type: "string", value: "DIR", description: "the agent's state directory, for its format and free space", default: "$ROOMGATE_STATE_DIR, which is /var/lib/roomgate on an installed gateway; else .roomgate" },
    "time-url": { type: "string", value: "URL", description: "compare the gateway's clock with this URL's Date header", default: "http://<the broker's host>:8080/" },
    json: { type: "boolean", description: "print the report as JSON" },
  },
  exitCodes: [
    [0, "nothing failed (warnings allowed)"],
    [1, "a check failed: each says its fix"],
    [2, "bad usage"],
  ],
  examples: [
    { command: "roomgate doctor", what: "check an installed gateway with its own site file and state directory" },
    { command: "roomgate doctor --config site.yaml --json", what: "check another site file; the report as JSON" },
  ],
});

export const discoverSpec = defineCommand({
  name: "discover",
  summary: "find ONVIF cameras (WS-Discovery) and print site-file entries for them",
  options: {
    interface: { type: "string", value: "IF", description: "probe only from this interface: a name like eth0, or its IPv4 address", default: "every interface" },
    unicast: { type: "string", multiple: true, value: "HOST[:PORT]", description: "also probe this address directly (port 3702 when not given)" },
    window: { type: "string", value: "MS", description: "collect replies this long, 100..60000", default: "3000" },
    user: { type: "string", value: "U", description: "a camera user: each camera is then asked for its model, firmware and PTZ support" },
    "password-file": { type: "string", value: "F", description: "that camera user's password, the first line of this file (needs --user)" },
    "no-multicast": { type: "boolean", description: "send no multicast probe: only the --unicast addresses" },
    json: { type: "boolean", description: "print the cameras, malformed replies and errors as JSON" },
  },
  examples: [
    { command: "roomgate discover", what: "every camera that answers on the LAN, with a device entry to paste" },
    { command: "roomgate discover --no-multicast --unicast 10.7.0.21 --user admin --password-file cam.pw", what: "one camera across a router, with its model and PTZ support" },
  ],
});

export const configSpec = defineCommand({
  name: "config",
  summary: "check a site file, or print the JSON Schema of the site and broker files",
  options: {},
  examples: [{ command: "roomgate config validate /etc/roomgate/site.yaml", what: "check a site file before restarting the agent" }],
});

export const configValidateSpec = defineCommand({
  name: "config validate",
  summary: "check a site file: its schema and each device's driver options",
  positionals: [{ name: "FILE", description: "the site file" }],
  options: {},
  exitCodes: [
    [0, "the file is valid"],
    [2, "bad usage, or the file is invalid: one line per problem, naming the key and what was expected"],
  ],
  examples: [{ command: "roomgate config validate /etc/roomgate/site.yaml", what: "check the gateway's site file after an edit" }],
});

export const configSchemaSpec = defineCommand({
  name: "config schema",
  summary: "print the JSON Schema of the site (or broker, or centre) file, for editors",
  options: {
    broker: { type: "boolean", description: "the broker file's schema instead of the site file's" },
    centre: { type: "boolean", description: "the centre file's schema (roomgate centre --config) instead of the site file's" },
  },
  examples: [
    { command: "roomgate config schema > site.schema.json", what: "completion and checks for site files in an editor" },
    { command: "roomgate config schema --broker > broker.schema.json", what: "the same for broker files" },
    { command: "roomgate config schema --centre > centre.schema.json", what: "the same for centre files" },
  ],
});
