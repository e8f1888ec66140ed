/**
 * The ACL matrix: one table of allowed and denied cases per role, checked three times with the same
 * rows: against the pure module (acl.test.ts), over MQTT against aedes with users, and against a real
 * Mosquitto started with the generated policy (test/broker-acl.e2e.test.ts).
 * Expectations are written out here by hand, from the contract, never computed from acl.ts.
 */
import type { BrokerUser } from "../config/broker.js";
import { hashPassword, mosquittoHash } from "./password.js";

export const S = "roomgate/v1/s1";
export const S2 = "roomgate/v1/s2";

/** The users of the matrix (passwords are set by each test). */
export const MATRIX_USERS = {
  "agent-s1": { role: "agent", site: "s1" },
  "op-1": { role: "operator", sites: ["s1"] },
  "op-all": { role: "operator", sites: "*" },
  "mon-1": { role: "monitor", sites: ["s1"] },
  root: { role: "admin" },
  rec: { role: "recorder" },
} as const satisfies Record<string, BrokerUser>;

export type MatrixUser = keyof typeof MATRIX_USERS;

export interface PublishCase {
  user: MatrixUser;
  topic: string;
  allowed: boolean;
  why: string;
}

export const PUBLISH_CASES: PublishCase[] = [
  { user: "agent-s1", topic: `${S}/agent/state`, allowed: true, why: "its birth" },
  { user: "agent-s1", topic: `${S}/agent/meta`, allowed: true, why: "its inventory" },
  { user: "agent-s1", topic: `${S}/dev/cam/state`, allowed: true, why: "device state" },
  { user: "agent-s1", topic: `${S}/dev/cam/health`, allowed: true, why: "device health" },
  { user: "agent-s1", topic: `${S}/alarm/fan-fault`, allowed: true, why: "an alarm" },
  { user: "agent-s1", topic: `${S}/event`, allowed: true, why: "events" },
  { user: "agent-s1", topic: `${S}/readiness`, allowed: true, why: "readiness report" },
  { user: "agent-s1", topic: `${S}/res/op-1`, allowed: true, why: "a response to op-1" },
  { user: "agent-s1", topic: `${S}/cmd/op-1`, allowed: false, why: "an agent never writes commands" },
  { user: "agent-s1", topic: `${S}/agent/rebirth`, allowed: false, why: "rebirth is asked by operators" },
  { user: "agent-s1", topic: `${S2}/dev/cam/health`, allowed: false, why: "forging another site's health" },
  { user: "agent-s1", topic: `${S2}/agent/state`, allowed: false, why: "forging another site's birth" },
  { user: "agent-s1", topic: `${S}/anything`, allowed: false, why: "not a contract topic" },
  { user: "agent-s1", topic: `${S}/dev/cam/health/x`, allowed: false, why: "deeper than the contract" },
  { user: "agent-s1", topic: "other/topic", allowed: false, why: "outside roomgate/" },
  { user: "op-1", topic: `${S}/cmd/op-1`, allowed: true, why: "its own command topic" },
  { user: "op-1", topic: `${S}/agent/rebirth`, allowed: true, why: "asks for a republish" },
  { user: "op-1", topic: `${S}/cmd/op-2`, allowed: false, why: "impersonating another operator" },
  { user: "op-1", topic: `${S2}/cmd/op-1`, allowed: false, why: "a site it is not permitted" },
  { user: "op-1", topic: `${S}/dev/cam/health`, allowed: false, why: "forging health" },
  { user: "op-1", topic: `${S}/res/op-1`, allowed: false, why: "forging a response" },
  { user: "op-1", topic: `${S}/event`, allowed: false, why: "forging an event" },
  { user: "op-all", topic: `${S2}/cmd/op-all`, allowed: true, why: "any site" },
  { user: "op-all", topic: "roomgate/v1/s9/cmd/op-all", allowed: true, why: "any site" },
  { user: "op-all", topic: `${S2}/cmd/op-1`, allowed: false, why: "still only as itself" },
  { user: "mon-1", topic: `${S}/cmd/mon-1`, allowed: false, why: "a monitor never commands" },
  { user: "mon-1", topic: `${S}/agent/rebirth`, allowed: false, why: "a monitor never writes" },
  { user: "mon-1", topic: `${S}/event`, allowed: false, why: "a monitor never writes" },
  { user: "rec", topic: "roomgate/centre/rec/health", allowed: true, why: "the recorder's own health" },
  { user: "rec", topic: "roomgate/centre/other/health", allowed: false, why: "another centre's health" },
  { user: "rec", topic: `${S}/event`, allowed: false, why: "the recorder never forges an event" },
  { user: "rec", topic: `${S}/cmd/rec`, allowed: false, why: "the recorder never commands" },
  { user: "rec", topic: `${S}/agent/rebirth`, allowed: false, why: "the recorder never asks for a republish" },
  { user: "rec", topic: `${S}/alarm/x`, allowed: false, why: "the recorder never raises or clears an alarm" },
  { user: "op-1", topic: "roomgate/centre/op-1/health", allowed: false, why: "only a recorder reports a centre's health" },
  { user: "root", topic: `${S}/cmd/anyone`, allowed: true, why: "admin" },
  { user: "root", topic: "other/topic", allowed: true, why: "admin" },
];

/** Publishing with a wildcard is refused to everyone (checked in the pure table; clients refuse to send it). */
export const WILDCARD_PUBLISH_CASES: PublishCase[] = [
  { user: "root", topic: `${S}/cmd/+`, allowed: false, why: "wildcard in a topic name" },
  { user: "op-all", topic: "roomgate/v1/#", allowed: false, why: "wildcard in a topic name" },
  { user: "agent-s1", topic: `${S}/dev/+/health`, allowed: false, why: "wildcard in a topic name" },
];

export interface SubscribeCase {
  user: MatrixUser;
  filter: string;
  /** The aedes broker grants the filter (SUBACK) only if every topic it matches is readable. */
  allowed: boolean;
  /** A topic the admin publishes under the filter to see whether it reaches the subscriber. */
  probe: string;
  /** Whether the user may read the probe: Mosquitto delivers it exactly then (it filters at delivery). */
  probeReadable: boolean;
  why: string;
}

export const SUBSCRIBE_CASES: SubscribeCase[] = [
  { user: "agent-s1", filter: `${S}/cmd/+`, allowed: true, probe: `${S}/cmd/op-1`, probeReadable: true, why: "its commands" },
  { user: "agent-s1", filter: `${S}/agent/rebirth`, allowed: true, probe: `${S}/agent/rebirth`, probeReadable: true, why: "rebirth requests" },
  { user: "agent-s1", filter: `${S2}/cmd/+`, allowed: false, probe: `${S2}/cmd/op-1`, probeReadable: false, why: "another site's commands" },
  { user: "agent-s1", filter: `${S}/dev/+/health`, allowed: false, probe: `${S}/dev/cam/health`, probeReadable: false, why: "an agent reads only its commands" },
  { user: "op-1", filter: `${S}/res/op-1`, allowed: true, probe: `${S}/res/op-1`, probeReadable: true, why: "its responses" },
  { user: "op-1", filter: `${S}/dev/+/health`, allowed: true, probe: `${S}/dev/cam/health`, probeReadable: true, why: "health of its site" },
  { user: "op-1", filter: `${S}/dev/cam/state`, allowed: true, probe: `${S}/dev/cam/state`, probeReadable: true, why: "one device's state" },
  { user: "op-1", filter: `${S}/alarm/+`, allowed: true, probe: `${S}/alarm/fan-fault`, probeReadable: true, why: "alarms" },
  { user: "op-1", filter: `${S}/event`, allowed: true, probe: `${S}/event`, probeReadable: true, why: "events" },
  { user: "op-1", filter: `${S}/readiness`, allowed: true, probe: `${S}/readiness`, probeReadable: true, why: "readiness" },
  { user: "op-1", filter: `${S}/agent/state`, allowed: true, probe: `${S}/agent/state`, probeReadable: true, why: "availability" },
  { user: "op-1", filter: `${S}/res/op-2`, allowed: false, probe: `${S}/res/op-2`, probeReadable: false, why: "another operator's responses" },
  { user: "op-1", filter: `${S}/res/+`, allowed: false, probe: `${S}/res/op-2`, probeReadable: false, why: "every operator's responses" },
  { user: "op-1", filter: `${S}/cmd/+`, allowed: false, probe: `${S}/cmd/op-2`, probeReadable: false, why: "other operators' commands" },
  { user: "op-1", filter: `${S2}/dev/+/health`, allowed: false, probe: `${S2}/dev/cam/health`, probeReadable: false, why: "a site it is not permitted" },
  { user: "op-1", filter: "roomgate/v1/+/dev/+/health", allowed: false, probe: `${S2}/dev/cam/health`, probeReadable: false, why: "every site" },
  // Divergence, by design: aedes refuses the whole filter, Mosquitto grants it and delivers the readable part.
  { user: "op-1", filter: "roomgate/v1/+/dev/+/health", allowed: false, probe: `${S}/dev/cam/health`, probeReadable: true, why: "every site (own site's probe)" },
  { user: "op-1", filter: `${S}/#`, allowed: false, probe: `${S}/cmd/op-2`, probeReadable: false, why: "the whole site includes commands" },
  { user: "op-all", filter: "roomgate/v1/+/dev/+/health", allowed: true, probe: "roomgate/v1/s7/dev/cam/health", probeReadable: true, why: "all sites" },
  { user: "op-all", filter: "roomgate/v1/+/res/op-all", allowed: true, probe: `${S2}/res/op-all`, probeReadable: true, why: "its responses from every site" },
  { user: "op-all", filter: "roomgate/v1/+/res/+", allowed: false, probe: `${S2}/res/op-1`, probeReadable: false, why: "others' responses" },
  { user: "op-all", filter: "roomgate/v1/+/#", allowed: false, probe: `${S2}/cmd/op-1`, probeReadable: false, why: "includes commands" },
  { user: "mon-1", filter: `${S}/dev/+/health`, allowed: true, probe: `${S}/dev/cam/health`, probeReadable: true, why: "health" },
  { user: "mon-1", filter: `${S}/alarm/+`, allowed: true, probe: `${S}/alarm/x`, probeReadable: true, why: "alarms" },
  { user: "mon-1", filter: `${S}/res/mon-1`, allowed: false, probe: `${S}/res/mon-1`, probeReadable: false, why: "a monitor gets no responses" },
  { user: "mon-1", filter: `${S}/cmd/+`, allowed: false, probe: `${S}/cmd/op-1`, probeReadable: false, why: "commands" },
  { user: "mon-1", filter: `${S2}/event`, allowed: false, probe: `${S2}/event`, probeReadable: false, why: "a site it is not permitted" },
  { user: "mon-1", filter: "#", allowed: false, probe: `${S}/cmd/op-1`, probeReadable: false, why: "everything" },
  { user: "rec", filter: "roomgate/v1/+/event", allowed: true, probe: `${S2}/event`, probeReadable: true, why: "every site's events" },
  { user: "rec", filter: "roomgate/v1/+/agent/state", allowed: true, probe: "roomgate/v1/s7/agent/state", probeReadable: true, why: "births and losses" },
  { user: "rec", filter: "roomgate/v1/+/agent/meta", allowed: true, probe: `${S}/agent/meta`, probeReadable: true, why: "inventories" },
  { user: "rec", filter: "roomgate/v1/+/dev/+/health", allowed: true, probe: `${S2}/dev/cam/health`, probeReadable: true, why: "device health" },
  { user: "rec", filter: "roomgate/v1/+/alarm/+", allowed: true, probe: `${S}/alarm/fan-fault`, probeReadable: true, why: "alarms" },
  { user: "rec", filter: "roomgate/v1/+/readiness", allowed: true, probe: `${S}/readiness`, probeReadable: true, why: "readiness reports" },
  { user: "rec", filter: "roomgate/v1/+/dev/+/state", allowed: false, probe: `${S}/dev/cam/state`, probeReadable: false, why: "device state is not history" },
  { user: "rec", filter: "roomgate/v1/+/cmd/+", allowed: false, probe: `${S}/cmd/op-1`, probeReadable: false, why: "commands (their audit comes as events)" },
  { user: "rec", filter: "roomgate/v1/+/res/+", allowed: false, probe: `${S}/res/op-1`, probeReadable: false, why: "responses" },
  { user: "rec", filter: "roomgate/v1/#", allowed: false, probe: `${S}/cmd/op-1`, probeReadable: false, why: "everything" },
  { user: "mon-1", filter: "roomgate/centre/+/health", allowed: true, probe: "roomgate/centre/rec/health", probeReadable: true, why: "whether the centre keeps the record" },
  { user: "op-1", filter: "roomgate/centre/+/health", allowed: true, probe: "roomgate/centre/rec/health", probeReadable: true, why: "whether the centre keeps the record" },
  { user: "root", filter: "#", allowed: true, probe: `${S}/cmd/op-1`, probeReadable: true, why: "admin" },
  { user: "root", filter: "roomgate/v1/+/res/+", allowed: true, probe: `${S2}/res/op-1`, probeReadable: true, why: "admin" },
];

export interface SecurityReadCase {
  user: MatrixUser;
  allowed: boolean;
  why: string;
}

/**
 * Who reads the broker's security events, `$SYS/roomgate/v1/security` (broker/security-events.ts).
 * On aedes a refused login is the probe (no client may publish under `$SYS/`); Mosquitto never
 * publishes that topic, so there only its generated policy is checked.
 */
export const SECURITY_READ_CASES: SecurityReadCase[] = [
  { user: "root", allowed: true, why: "the admin, by name" },
  { user: "rec", allowed: true, why: "the centre forwards them to the SOC" },
  { user: "op-all", allowed: false, why: "an operator of every site is still no auditor" },
  { user: "op-1", allowed: false, why: "an operator" },
  { user: "mon-1", allowed: false, why: "a monitor" },
  { user: "agent-s1", allowed: false, why: "an agent" },
];

/** The password of a test user. */
export const passwordOf = (user: string): string => `pw-${user}-secret`;

/**
 * The matrix users (and `extra` ones) with both hashes, as `roomgate broker passwd --mosquitto`
 * stores them, at cheap costs (the format carries them; both brokers read them from it).
 */
export async function matrixUsers(extra: Record<string, BrokerUser> = {}): Promise<Record<string, BrokerUser>> {
  const out: Record<string, BrokerUser> = {};
  for (const [name, user] of Object.entries({ ...MATRIX_USERS, ...extra })) {
    const pw = passwordOf(name);
    out[name] = { ...user, password: await hashPassword(pw, { N: 1024, r: 8, p: 1 }), mosquittoPassword: await mosquittoHash(pw, 1000) } as BrokerUser;
  }
  return out;
}
