/**
 * The spec of `roomgate reflector`: the STAMP / TWAMP-light reflector the sites' link probes
 * (`kind: link, protocol: stamp`) measure the WAN against.
 */
import { defineCommand } from "../spec.js";

export const reflectorSpec = defineCommand({
  name: "reflector",
  summary: "answer the sites' WAN link probes: a STAMP reflector on UDP, beside the MCU",
  notes: [
    "Stateless (RFC 8762 / RFC 5357 appendix I): each test packet is answered with its timestamps, nothing is kept but counts.",
    "STAMP's own port is UDP 862 (RFC 8762 §4.1), which needs root or CAP_NET_BIND_SERVICE: the default here is the unprivileged 8620. Give the same port to each link device's transport.port, and open it (UDP, from the sites) in the firewalls on the way.",
    "Logs JSON lines on stdout: a summary every --summary-ms (answered, malformed, refused, busiest senders). Runs until SIGINT or SIGTERM, and logs a last summary.",
  ],
  options: {
    port: { type: "string", value: "N", description: "UDP port to answer on; 0: any free port (printed)", default: "8620" },
    host: { type: "string", value: "H", description: "listen on this IPv4 address", default: "0.0.0.0" },
    allow: { type: "string", multiple: true, value: "CIDR[,CIDR]", description: "answer only these IPv4 networks or addresses (the sites' gateways); others are refused and counted", default: "everyone" },
    "summary-ms": { type: "string", value: "MS", description: "log a summary this often; 0: only when stopping", default: "60000" },
    "log-level": { type: "string", value: "LEVEL", description: "trace, debug (every refused or malformed packet), info, warn, error, silent", default: "info" },
  },
  exitCodes: [
    [0, "stopped with SIGINT or SIGTERM"],
    [1, "the port cannot be bound: taken, or below 1024 without the right to bind it (the message says which)"],
    [2, "bad usage"],
  ],
  examples: [
    { command: "roomgate reflector --allow 10.20.0.0/16", what: "beside the MCU: answer the district gateways' probes on UDP 8620" },
    { command: "sudo roomgate reflector --port 862", what: "on STAMP's own port, for senders that cannot be told another" },
  ],
});
