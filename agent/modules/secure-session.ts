/**
 * The secure-session interlock (agent/secure-session.ts) as an agent module: `session.start`,
 * `.end`, `.resume`, `.status`; the rooms' session schedules; and the reaction to every encryptor
 * state, which it hears through the context's device-state listener (removed in stop).
 */
import type { ActionTable } from "../../drivers/types.js";
import { SecureSessions } from "../secure-session.js";
import type { AgentModule, ModuleContext } from "../module.js";

export class SecureSessionModule implements AgentModule {
  readonly name = "secure-session";
  readonly events = ["session.started", "session.ended", "session.resumed", "session.tripped", "session.refused", "session.failsafe"] as const;
  private sessions: SecureSessions | undefined;
  private unlisten: (() => void) | undefined;

  actions(ctx: ModuleContext): ActionTable {
    return this.of(ctx).actions();
  }

  async start(ctx: ModuleContext): Promise<void> {
    const sessions = this.of(ctx);
    this.unlisten = ctx.onDeviceState((device) => sessions.onDeviceState(device));
    sessions.startSchedule();
  }

  async stop(): Promise<void> {
    this.sessions?.stopSchedule();
    this.unlisten?.();
    this.unlisten = undefined;
  }

  /** The interlock of this agent, made on first use (its constructor only keeps its deps). */
  private of(ctx: ModuleContext): SecureSessions {
    this.sessions ??= new SecureSessions({
      config: ctx.config,
      alarms: ctx.alarms,
      clock: ctx.clock,
      logger: ctx.logger,
      stateOf: (d) => ctx.devices.state(d),
      run: (d, action, args, timeoutMs) => ctx.devices.runWithin(d, action, args, timeoutMs, "failsafe"),
      verify: (room, devices, ms) => ctx.verify(room, devices, ms),
      event: (type, data) => ctx.publishEvent(type, data),
    });
    return this.sessions;
  }
}
