/**
 * The specs of `roomgate broker` and its subcommands `passwd` and `acl`.
 */
import { defineCommand } from "../spec.js";

export const brokerSpec = defineCommand({
  name: "broker",
  summary: "run the MQTT broker (aedes): listeners, users, ACLs, limits, from its file",
  notes: ["Without users in the file it refuses to start unless anonymous access is allowed. Runs until SIGINT or SIGTERM."],
  options: {
    config: { type: "string", value: "FILE", description: "the broker file: listeners (TCP, TLS, WebSocket, /metrics, console), users, limits, persistence" },
    port: { type: "string", value: "N", description: "MQTT over TCP on this port", default: "the file's listeners.tcp.port, else 1883" },
    host: { type: "string", value: "H", description: "listen on this address", default: "the file's listeners.tcp.host, else 0.0.0.0" },
    anonymous: { type: "boolean", description: "let clients in without a user name (a lab only)" },
    "data-dir": { type: "string", value: "DIR", description: "keep retained messages and sessions on disk here", default: "the file's persistence, else $ROOMGATE_STATE_DIR/broker, else .roomgate/broker" },
    memory: { type: "boolean", description: "keep them in memory only: lost when the broker stops (not with --data-dir)" },
    cluster: { type: "string", value: "redis://HOST:PORT[/DB]", description: "share state with other broker instances over Redis", default: "the file's cluster.redis" },
    "no-console": { type: "boolean", description: "do not serve the operator console, even if the file asks for it" },
  },
  examples: [
    { command: "roomgate broker --config /etc/roomgate/broker.yaml", what: "the centre's broker, as configured" },
    { command: "roomgate broker --anonymous --memory --port 1884", what: "a throwaway broker for a lab" },
  ],
});

export const brokerPasswdSpec = defineCommand({
  name: "broker passwd",
  summary: "add or change a broker user (password read from stdin)",
  notes: [
    "The password is read from stdin: typed twice without echo on a terminal, or the first line of a pipe.",
    "It is stored as an scrypt hash; it is never given on the command line.",
  ],
  positionals: [{ name: "USER", description: "the user name" }],
  options: {
    config: { type: "string", value: "FILE", description: "the broker file to change", required: true },
    role: { type: "string", value: "ROLE", description: "agent, operator, monitor, admin or recorder (the centre's, roomgate centre); a new user needs one", default: "the user's current role" },
    site: { type: "string", value: "S", description: "the one site the user may use (an agent's own site)" },
    sites: { type: "string", value: "a,b|*", description: "the sites an operator or monitor may use; * for every site" },
    mosquitto: { type: "boolean", description: "also store a Mosquitto hash, for roomgate broker acl --mosquitto" },
  },
  examples: [
    { command: "printf '%s\\n' \"$AGENT_PASSWORD\" | roomgate broker passwd --config broker.yaml agent-district-07 --role agent --site district-07", what: "add the agent of site district-07, password from a pipe" },
    { command: "roomgate broker passwd --config broker.yaml op-chi --role operator --sites district-07,district-09 --mosquitto", what: "an operator of two sites, password typed at the prompt, usable on Mosquitto too" },
  ],
});

export const brokerAclSpec = defineCommand({
  name: "broker acl",
  summary: "write the broker file's users and ACLs for Mosquitto",
  options: {
    mosquitto: { type: "boolean", description: "in Mosquitto's formats (the only ones so far)", required: true },
    config: { type: "string", value: "FILE", description: "the broker file", required: true },
    out: { type: "string", value: "DIR", description: "write passwd, acl and roomgate.conf (to include from mosquitto.conf) here", default: "the ACL only, on stdout" },
    "allow-missing": { type: "boolean", description: "leave out users without a Mosquitto hash instead of failing" },
  },
  exitCodes: [
    [0, "written"],
    [1, "a user has no Mosquitto hash (roomgate broker passwd --mosquitto), without --allow-missing"],
    [2, "bad usage or an invalid broker file"],
  ],
  examples: [
    { command: "roomgate broker acl --mosquitto --config broker.yaml --out /etc/mosquitto/roomgate", what: "the same users and ACLs on a Mosquitto broker" },
  ],
});
