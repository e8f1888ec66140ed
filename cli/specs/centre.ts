/**
 * The specs of `roomgate centre` (the recorder), `roomgate history` (what it recorded) and
 * `roomgate report` (monthly figures).
 */
import { defineCommand, type OptionSpec } from "../spec.js";

const CONFIG = { type: "string", value: "FILE", description: "the centre file (broker, login, database, retention, state dir)" } as const satisfies OptionSpec;
const DATABASE = {
  type: "string",
  value: "URL",
  description: "a PostgreSQL server, postgres://USER@HOST[:PORT]/DB (password: $PGPASSWORD or ~/.pgpass, never in the URL)",
  default: "the centre file's database, else PGlite in the state dir",
} as const satisfies OptionSpec;
const STATE_DIR = {
  type: "string",
  value: "DIR",
  description: "the state directory the centre keeps its files in ({DIR}/centre: PGlite, the local API socket, the anchors' key)",
  default: "the centre file's stateDir, else $ROOMGATE_STATE_DIR, else .roomgate",
} as const satisfies OptionSpec;

/** Where the history is read from: the notes every reading command shares. */
const READ_NOTES = [
  "Reads the database the centre records into: --database (PostgreSQL), else the centre file's, else PGlite in the state dir.",
  "PGlite is single-process: while roomgate centre runs, the question goes to it over its local API ({stateDir}/centre/centre.sock); when it does not run, the PGlite files are read directly (and the centre cannot start meanwhile).",
];

const READ_FROM = { config: CONFIG, database: DATABASE, "state-dir": STATE_DIR } as const;

export const centreSpec = defineCommand({
  name: "centre",
  summary: "record every site's history into PostgreSQL (PGlite embedded by default)",
  notes: [
    "Connects to the broker as a user of role recorder (roomgate broker passwd USER --role recorder), with a persistent session, and commits each message before acknowledging it.",
    "Reports its own health, retained, on roomgate/centre/{user}/health (degraded while the database does not take rows). Runs until SIGINT or SIGTERM.",
  ],
  options: {
    config: CONFIG,
    database: DATABASE,
    "state-dir": STATE_DIR,
    broker: { type: "string", value: "URL", description: "the MQTT broker the agents report to", default: "the centre file's broker.url, else mqtt://127.0.0.1:1883" },
    user: { type: "string", value: "U", description: "log in to the broker as this recorder user", default: "the centre file's broker.user, else recorder" },
    "password-file": { type: "string", value: "F", description: "read the user's password from this file", default: "the centre file's broker.passwordFile" },
  },
  examples: [
    { command: "roomgate centre --config /etc/roomgate/centre.yaml", what: "the provincial centre, as configured" },
    { command: "roomgate centre --broker mqtt://127.0.0.1:1883 --user recorder --password-file recorder.pw", what: "try it with PGlite in .roomgate/centre" },
    { command: "roomgate centre --config centre.yaml --database postgres://roomgate_recorder@db.centre.local/roomgate", what: "record into a PostgreSQL server" },
  ],
});

export const historySpec = defineCommand({
  name: "history",
  summary: "what the centre recorded: audit, alarms, health; verify the audit chain",
  options: {},
  examples: [{ command: "roomgate history audit --site district-11 --since 7d", what: "who did what at district 11 this week" }],
});

const filters = {
  site: { type: "string", value: "S", description: "only this site" },
  device: { type: "string", value: "D", description: "only this device" },
  since: { type: "string", value: "WHEN", description: "from this time on: 7d, 12h, 30m, or an ISO date (2026-11-03, 2026-11-03T10:00:00Z)", default: "all that is kept" },
  until: { type: "string", value: "WHEN", description: "before this time (same forms as --since)", default: "now" },
  limit: { type: "string", value: "N", description: "at most the newest N rows", default: "1000" },
  json: { type: "boolean", description: "print JSON (one array)" },
  csv: { type: "boolean", description: "print CSV with a header line" },
  ...READ_FROM,
} as const satisfies Record<string, OptionSpec>;

export const historyAuditSpec = defineCommand({
  name: "history audit",
  summary: "every command operators sent: who, which device, what, the outcome",
  notes: ["The rows are the tamper-evident audit chain (roomgate history verify checks it); a row marked historical was replayed from an agent's outbox after an outage.", ...READ_NOTES],
  options: filters,
  examples: [
    { command: "roomgate history audit --site district-07 --device led-wall --since 2026-11-03 --until 2026-11-04", what: "who switched the LED wall that day" },
    { command: "roomgate history audit --since 30d --csv > audit.csv", what: "a month of audit for a spreadsheet" },
  ],
});

export const historyAlarmsSpec = defineCommand({
  name: "history alarms",
  summary: "alarms: raised, acknowledged by whom and when, cleared, the times taken",
  notes: READ_NOTES,
  options: filters,
  examples: [{ command: "roomgate history alarms --site district-11 --since 7d", what: "district 11's alarms this week" }],
});

export const historyHealthSpec = defineCommand({
  name: "history health",
  summary: "device health changes (ok, degraded, unreachable, fault, unknown)",
  notes: READ_NOTES,
  options: filters,
  examples: [{ command: "roomgate history health --site district-11 --device cam-main --since 30d", what: "how often district 11's camera went down" }],
});

export const historyQuarantineSpec = defineCommand({
  name: "history quarantine",
  summary: "messages the centre refused to record, with the reason",
  notes: ["Reasons: not JSON, failed its schema, claimed another site than its topic, a value PostgreSQL cannot keep, an event id reused with other content.", ...READ_NOTES],
  options: filters,
  examples: [{ command: "roomgate history quarantine --since 1d", what: "what was refused today, and why" }],
});

export const historyVerifySpec = defineCommand({
  name: "history verify",
  summary: "walk each site's audit hash chain, name the first row changed or removed",
  notes: [
    ...READ_NOTES,
    "Anchors (where retention cut a chain) are checked with --key, else the key in the state dir, else the copy in the database (which proves consistency, not origin).",
  ],
  options: {
    site: { type: "string", value: "S", description: "only this site's chain" },
    key: { type: "string", value: "FILE", description: "the centre's public key (chain-key.pub.pem from its state dir), kept apart from the database" },
    json: { type: "boolean", description: "print the verdicts as JSON" },
    ...READ_FROM,
  },
  exitCodes: [
    [0, "every chain is intact"],
    [1, "a chain is broken: the row changed or removed is named; or a runtime failure"],
    [2, "bad usage"],
  ],
  examples: [
    { command: "roomgate history verify", what: "check every site's audit trail" },
    { command: "roomgate history verify --site district-07 --key /secure/chain-key.pub.pem", what: "one site, with the key kept off the database server" },
  ],
});

export const reportSpec = defineCommand({
  name: "report",
  summary: "monthly figures from the record",
  options: {},
  examples: [{ command: "roomgate report availability --month 2026-11", what: "November's availability per site and device" }],
});

export const reportAvailabilitySpec = defineCommand({
  name: "report availability",
  summary: "a month's uptime per device and site, readiness pass rate, alarm figures",
  notes: [
    "Uptime counts a device up while ok or degraded, down while unreachable or in fault; time the site's agent was offline is unknown, not up. Months are UTC; the current month counts up to now.",
    ...READ_NOTES,
  ],
  options: {
    month: { type: "string", value: "YYYY-MM", description: "the month", required: true },
    site: { type: "string", value: "S", description: "only this site" },
    csv: { type: "boolean", description: "CSV: one line per site and per device" },
    html: { type: "boolean", description: "a self-contained HTML page (no external files): bars per site, tables" },
    json: { type: "boolean", description: "the report as JSON" },
    out: { type: "string", value: "FILE", description: "write it to this file", default: "stdout" },
    ...READ_FROM,
  },
  examples: [
    { command: "roomgate report availability --month 2026-11", what: "November, as tables" },
    { command: "roomgate report availability --month 2026-11 --html --out availability-2026-11.html", what: "a page to mail or print" },
    { command: "roomgate report availability --month 2026-11 --site district-11 --csv", what: "one site, for a spreadsheet" },
  ],
});
