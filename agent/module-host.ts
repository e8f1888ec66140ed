/**
 * Wires the agent's modules (agent/module.ts) generically: declares their actions into one table
 * (refusing a name two modules claim), starts them in order (each start guarded: a broken module is
 * logged and skipped, the others carry on), stops them in reverse, and serves that one table both
 * to the command router (the agent's own target) and to `agent/meta`, so the two cannot drift.
 */
import { z } from "zod";
import type { ActionContext, ActionTable, DriverEvent, Logger } from "../drivers/types.js";
import type { CommandTarget } from "./router.js";
import { ModuleConflictError, type AgentModule, type ModuleContext, type ModuleReadinessSource } from "./module.js";

/** The context minus what the host makes per module (its logger, its events, the shared listeners). */
export type BaseContext = Omit<ModuleContext, "logger" | "publishEvent" | "onDeviceState" | "onDeviceEvent" | "moduleReadiness">;

export interface ModuleHostDeps {
  modules: readonly AgentModule[];
  base: BaseContext;
  logger: Logger;
  publishEvent(type: string, data: Record<string, unknown>, device: string | undefined): void;
}

/** The agent's own actions as meta lists them: the same shape as a device's `actions`. */
export interface AgentActionsMeta {
  actions: Record<string, { description: string; args: Record<string, unknown> }>;
}

type StateListener = (device: string, state: Record<string, unknown>) => void;
type EventListener = (device: string, event: DriverEvent) => void;

interface Entry {
  module: AgentModule;
  ctx: ModuleContext;
  actions: ActionTable;
}

export class ModuleHost {
  private entries: Entry[] = [];
  private started: Entry[] = [];
  /** What the router dispatches agent actions from, and what meta lists: the started modules' actions. */
  private table: ActionTable = {};
  private readonly stateListeners = new Set<StateListener>();
  private readonly eventListeners = new Set<EventListener>();

  constructor(private readonly deps: ModuleHostDeps) {}

  /**
   * Asks every module for its actions; throws a ModuleConflictError when two share a name or an
   * action. Nothing has started yet. A module whose `actions()` throws is logged and skipped.
   */
  declare(): void {
    const owner = new Map<string, string>();
    const names = new Set<string>();
    this.entries = [];
    for (const module of this.deps.modules) {
      if (names.has(module.name)) throw new ModuleConflictError("duplicate_module", [module.name, module.name]);
      names.add(module.name);
      const ctx = this.contextFor(module);
      let actions: ActionTable;
      try {
        actions = module.actions(ctx);
      } catch (err) {
        this.deps.logger.error({ module: module.name, err: errText(err) }, "agent module failed to declare its actions; skipped");
        continue;
      }
      for (const action of Object.keys(actions)) {
        const first = owner.get(action);
        if (first !== undefined) throw new ModuleConflictError("duplicate_action", [first, module.name], action);
        owner.set(action, module.name);
      }
      this.entries.push({ module, ctx, actions });
    }
    this.table = tableOf(this.entries);
  }

  /** Starts the declared modules in order; each failure is logged and that module skipped. Never rejects. */
  async start(): Promise<void> {
    this.started = [];
    for (const e of this.entries) {
      try {
        await e.module.start(e.ctx);
        this.started.push(e);
      } catch (err) {
        this.deps.logger.error({ module: e.module.name, err: errText(err) }, "agent module failed to start; skipped (its actions are not offered)");
        // Whatever it set up before it threw is released; stop() is idempotent by contract.
        await this.stopOne(e);
      }
    }
    this.table = tableOf(this.started);
  }

  /** Stops the started modules in reverse order; each failure is logged. Never rejects. */
  async stop(): Promise<void> {
    for (const e of [...this.started].reverse()) await this.stopOne(e);
    this.started = [];
    this.table = {};
  }

  /** The agent's own command target (commands without `device`): the very table meta lists. */
  target(): CommandTarget {
    const table = (): ActionTable => this.table;
    return {
      get actions() {
        return table();
      },
      run: (action: string, args: unknown, ctx: ActionContext) => table()[action]!.run(args, ctx),
    };
  }

  /** `agent/meta`'s `agent` section: each action's description and the JSON Schema of its args. */
  meta(): AgentActionsMeta {
    const actions: AgentActionsMeta["actions"] = {};
    for (const [name, spec] of Object.entries(this.table)) {
      actions[name] = { description: spec.description, args: z.toJSONSchema(spec.args, { io: "input" }) as Record<string, unknown> };
    }
    return { actions };
  }

  /** Hands a device's new state to the modules that listen (synchronously; one listener's throw is logged). */
  deviceState(device: string, state: Record<string, unknown>): void {
    for (const listener of [...this.stateListeners]) {
      try {
        listener(device, state);
      } catch (err) {
        this.deps.logger.error({ device, err: errText(err) }, "agent module failed on a device state");
      }
    }
  }

  /** Hands a driver's event to the modules that listen (synchronously; one listener's throw is logged). */
  deviceEvent(device: string, event: DriverEvent): void {
    for (const listener of [...this.eventListeners]) {
      try {
        listener(device, event);
      } catch (err) {
        this.deps.logger.error({ device, type: event.type, err: errText(err) }, "agent module failed on a device event");
      }
    }
  }

  /** Listeners registered now, of device states and of device events (tests: every module removed its own in stop). */
  get listenerCount(): { state: number; event: number } {
    return { state: this.stateListeners.size, event: this.eventListeners.size };
  }

  private readinessSources(): ModuleReadinessSource[] {
    return this.started.flatMap((e) => (e.module.readiness ? [{ module: e.module.name, readiness: e.module.readiness }] : []));
  }

  private contextFor(module: AgentModule): ModuleContext {
    const declared = new Set(module.events ?? []);
    const warned = new Set<string>();
    const logger = this.deps.logger.child({ part: module.name });
    return {
      ...this.deps.base,
      logger,
      publishEvent: (type, data, device) => {
        if (!declared.has(type) && !warned.has(type)) {
          warned.add(type);
          logger.warn({ module: module.name, type }, "agent module publishes an event type it does not declare (module.events)");
        }
        this.deps.publishEvent(type, data, device);
      },
      onDeviceState: (listener) => {
        this.stateListeners.add(listener);
        return () => {
          this.stateListeners.delete(listener);
        };
      },
      onDeviceEvent: (listener) => {
        this.eventListeners.add(listener);
        return () => {
          this.eventListeners.delete(listener);
        };
      },
      moduleReadiness: () => this.readinessSources(),
    };
  }

  private async stopOne(e: Entry): Promise<void> {
    try {
      await e.module.stop();
    } catch (err) {
      this.deps.logger.error({ module: e.module.name, err: errText(err) }, "agent module failed to stop");
    }
  }
}

function tableOf(entries: readonly Entry[]): ActionTable {
  const table: ActionTable = {};
  for (const e of entries) Object.assign(table, e.actions);
  return table;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
