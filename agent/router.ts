/**
 * Serves `roomgate/v1/{site}/cmd/{user}`: validates, honours `expiresAt`, runs the action under a
 * deadline, answers on `res/{user}` with a coded result, and writes an audit record for every command.
 *
 * The user comes from the topic (the broker's ACL verified it), never from the payload.
 */
import type { z } from "zod";
import type { ActionContext, ActionSpec, Clock, ErrorCode, Logger } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import { parseTopic } from "./topic-names.js";
import { CommandSchema } from "./topics-command.js";
import type { CommandResponse } from "./topics.js";

/** Where the router finds a device's actions and runs them. */
export interface CommandTarget {
  actions: Record<string, ActionSpec>;
  run(action: string, args: unknown, ctx: ActionContext): Promise<unknown>;
}

export interface AuditRecord {
  id: string;
  user: string;
  device: string | null;
  action: string | null;
  status: CommandResponse["status"];
  durationMs: number;
  errorCode?: string;
}

export interface RouterDeps {
  site: string;
  clock: Clock;
  logger: Logger;
  commandTimeoutMs: number;
  /** Device id -> target. */
  device(id: string): CommandTarget | undefined;
  /** Actions addressed to the agent itself (no `device` in the command). */
  agent: CommandTarget;
  respond(user: string, response: CommandResponse): void;
  audit(record: AuditRecord): void;
}

type Outcome = Omit<CommandResponse, "id" | "ts">;

export class CommandRouter {
  private readonly deps: RouterDeps;
  private readonly log: Logger;
  private readonly inflight = new Set<AbortController>();

  constructor(deps: RouterDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ part: "router" });
  }

  /** Handles one message from `cmd/{user}`. Never throws. */
  async handle(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== "cmd" || parsed.site !== this.deps.site || !parsed.user) return;
    const user = parsed.user;
    const started = this.deps.clock.now();
    let id = "";
    let device: string | null = null;
    let action: string | null = null;
    let outcome: Outcome;
    try {
      let body: unknown;
      try {
        body = JSON.parse(payload.toString("utf8"));
      } catch (err) {
        throw reject("invalid_args", `payload is not JSON: ${(err as Error).message}`);
      }
      if (body !== null && typeof body === "object" && typeof (body as { id?: unknown }).id === "string") {
        id = (body as { id: string }).id.slice(0, 64);
      }
      const cmd = CommandSchema.safeParse(body);
      if (!cmd.success) throw reject("invalid_args", "command does not match the schema", cmd.error);
      ({ id } = cmd.data);
      device = cmd.data.device ?? null;
      action = cmd.data.action;
      outcome = await this.execute(cmd.data, started, user);
    } catch (err) {
      outcome = err instanceof Rejection ? err.outcome : internal(err);
    }
    const durationMs = this.deps.clock.now() - started;
    const response: CommandResponse = { id, ...outcome, ts: this.deps.clock.now() };
    this.deps.respond(user, response);
    const record: AuditRecord = { id, user, device, action, status: outcome.status, durationMs };
    if (outcome.error) record.errorCode = outcome.error.code;
    this.log.info({ audit: record }, "command");
    this.deps.audit(record);
  }

  /** Aborts every running command (agent stop). */
  abortAll(): void {
    for (const c of this.inflight) c.abort(new DeviceError("cancelled", "agent stopping"));
  }

  private async execute(cmd: z.infer<typeof CommandSchema>, now: number, user: string): Promise<Outcome> {
    if (cmd.expiresAt !== undefined && cmd.expiresAt <= now) {
      return { status: "expired", error: { code: "expired", message: `command expired at ${new Date(cmd.expiresAt).toISOString()}` } };
    }
    const target = cmd.device === undefined ? this.deps.agent : this.deps.device(cmd.device);
    if (!target) throw reject("unknown_device", `no device "${cmd.device}" at site ${this.deps.site}`, undefined, "error");
    // Own properties only: "valueOf" or "constructor" must not find Object.prototype's.
    const spec = Object.hasOwn(target.actions, cmd.action) ? target.actions[cmd.action] : undefined;
    if (!spec) {
      const known = Object.keys(target.actions).sort().join(", ");
      throw reject("unknown_action", `unknown action "${cmd.action}"; known: ${known}`, undefined, "error");
    }
    const args = spec.args.safeParse(cmd.args ?? {});
    if (!args.success) throw reject("invalid_args", `invalid args for ${cmd.action}`, args.error);
    const timeoutMs = spec.timeoutMs?.(args.data) ?? this.deps.commandTimeoutMs;
    return this.runWithDeadline(target, cmd.action, args.data, now, user, timeoutMs);
  }

  private async runWithDeadline(target: CommandTarget, action: string, args: unknown, now: number, user: string, commandTimeoutMs: number): Promise<Outcome> {
    const { clock } = this.deps;
    const deadline = now + commandTimeoutMs;
    const controller = new AbortController();
    this.inflight.add(controller);
    let timer: unknown;
    const timedOut = new Promise<Outcome>((resolve) => {
      timer = clock.setTimeout(() => {
        controller.abort(new DeviceError("timeout", `no result within ${commandTimeoutMs} ms`));
        resolve({ status: "timeout", error: { code: "timeout", message: `no result within ${commandTimeoutMs} ms` } });
      }, commandTimeoutMs);
    });
    const ran = target.run(action, args, { signal: controller.signal, deadline, user }).then(
      (data): Outcome => (data === undefined ? { status: "ok" } : { status: "ok", data }),
      (err): Outcome => fromError(err),
    );
    try {
      return await Promise.race([ran, timedOut]);
    } finally {
      clock.clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }
}

class Rejection extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.error?.message ?? outcome.status);
  }
}

function reject(code: ErrorCode, message: string, zodError?: z.ZodError, status: "rejected" | "error" = "rejected"): Rejection {
  const error: NonNullable<Outcome["error"]> = { code, message };
  if (zodError) error.details = { issues: zodError.issues };
  return new Rejection({ status, error });
}

function fromError(err: unknown): Outcome {
  if (err instanceof DeviceError) {
    const error: NonNullable<Outcome["error"]> = { code: err.code, message: err.message };
    if (err.details) error.details = err.details;
    return { status: err.code === "timeout" ? "timeout" : "error", error };
  }
  return internal(err);
}

function internal(err: unknown): Outcome {
  return { status: "error", error: { code: "internal", message: err instanceof Error ? err.message : String(err) } };
}
