/**
 * The centre's schema, version by version. A migration is never edited once released: a change is a
 * new version. Times are bigint milliseconds since the epoch, as on the wire.
 *
 * - events:       every event once, keyed (site, event_id): the dedupe record. Derived rows below are
 *                 written only when the event row is new, so a redelivery, an outbox replay or a
 *                 retained republish never writes them twice.
 * - health:       device health observations: from `health` events (source event, at = the event's
 *                 ts) and from the retained dev/+/health (source retained, at = its `since`). Queries
 *                 collapse repeats of the same status, so both sources may see one change.
 * - agent_states: births, clean stops and losses. A birth or stop is keyed by its ts (a reconnect
 *                 without restart is a new birth with the same bootSeq); a loss (the will, no ts) is
 *                 recorded once per bootSeq and birth, at the time it arrived.
 * - alarms:       one row per raise (site, alarm, raisedAt): severity, who acknowledged and when, when cleared.
 * - readiness:    each readiness report once (site, check id).
 * - sites:        the latest inventory (agent/meta) of each site.
 * - audit:        command audit records per site in a hash chain (centre/chain.ts), with the anchor
 *                 row a retention cut leaves; chain_heads keeps each chain's last seq and hash.
 * - quarantine:   what was refused, with the reason and the payload as it came.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const V1 = `
create table events (
  site text not null,
  event_id text not null,
  ts bigint not null,
  type text not null,
  device text,
  historical boolean not null,
  data jsonb,
  received_at bigint not null,
  primary key (site, event_id)
);
create index events_ts on events (ts);

create table health (
  site text not null,
  device text not null,
  at bigint not null,
  status text not null,
  code text,
  message text,
  source text not null check (source in ('event', 'retained')),
  event_id text,
  received_at bigint not null,
  primary key (site, device, at, status, source)
);
create index health_at on health (at);

create table agent_states (
  site text not null,
  boot_seq bigint not null,
  state text not null check (state in ('online', 'offline', 'lost')),
  at bigint not null,
  at_known boolean not null,
  version text,
  received_at bigint not null,
  primary key (site, boot_seq, state, at)
);
create index agent_states_at on agent_states (site, at);

create table alarms (
  site text not null,
  alarm text not null,
  raised_at bigint not null,
  severity text not null,
  code text not null,
  device text,
  message text not null,
  acked_by text,
  acked_at bigint,
  cleared_at bigint,
  cleared_source text check (cleared_source in ('event', 'retained')),
  raised_event text,
  received_at bigint not null,
  primary key (site, alarm, raised_at)
);
create index alarms_raised_at on alarms (raised_at);

create table readiness (
  site text not null,
  check_id text not null,
  ts bigint not null,
  started_at bigint not null,
  result text not null,
  trigger text not null,
  requested_by text,
  duration_ms double precision not null,
  pass integer not null,
  warn integer not null,
  fail integer not null,
  skip integer not null,
  report jsonb not null,
  received_at bigint not null,
  primary key (site, check_id)
);
create index readiness_ts on readiness (ts);

create table sites (
  site text primary key,
  name text,
  region jsonb,
  boot_seq bigint,
  meta jsonb not null,
  meta_ts bigint not null,
  received_at bigint not null
);

create table audit (
  site text not null,
  seq bigint not null,
  kind text not null check (kind in ('record', 'anchor')),
  event_id text,
  ts bigint not null,
  username text,
  device text,
  action text,
  status text,
  duration_ms double precision,
  error_code text,
  command_id text,
  historical boolean,
  data jsonb not null,
  received_at bigint not null,
  prev_hash text not null,
  hash text not null,
  primary key (site, seq)
);
create unique index audit_event on audit (site, event_id);
create index audit_ts on audit (ts);

create table chain_heads (
  site text primary key,
  seq bigint not null,
  hash text not null
);

create table chain_keys (
  key_id text primary key,
  public_key text not null,
  created_at bigint not null
);

create table quarantine (
  id bigserial primary key,
  received_at bigint not null,
  topic text not null,
  site text,
  reason text not null,
  detail text,
  payload text not null,
  encoding text not null check (encoding in ('utf8', 'base64')),
  bytes integer not null
);
create index quarantine_received_at on quarantine (received_at);

create table retention_runs (
  at bigint not null,
  kind text not null,
  cutoff bigint not null,
  removed bigint not null
);
`;

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: "the record: events, health, agents, alarms, readiness, sites, audit chain, quarantine", sql: V1 }];
