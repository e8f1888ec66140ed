/**
 * Readiness checks and scenes (agent/readiness/service.ts) as an agent module: `readiness.run`,
 * `readiness.last`, `scene.run`, `scene.list`, the retained report on `readiness`, and the
 * scheduled checks. Scenes live here with the checks because `readiness.run {fix: true}` runs the
 * rooms' prepare scenes and both share one scene at a time per room.
 */
import type { ActionTable } from "../../drivers/types.js";
import { ReadinessService } from "../readiness/service.js";
import { ReadinessSchedule } from "../readiness/schedule.js";
import { topics } from "../topic-names.js";
import type { AgentModule, ModuleContext } from "../module.js";

export class ReadinessModule implements AgentModule {
  readonly name = "readiness";
  readonly events = ["readiness.started", "readiness.item", "readiness.finished", "scene.step", "scene.finished"] as const;
  private service: ReadinessService | undefined;
  private schedule: ReadinessSchedule | undefined;

  actions(ctx: ModuleContext): ActionTable {
    return this.of(ctx).actions();
  }

  async start(ctx: ModuleContext): Promise<void> {
    const service = this.of(ctx);
    this.schedule = new ReadinessSchedule({ config: ctx.config, clock: ctx.clock, logger: ctx.logger, run: (o) => service.run(o) });
    this.schedule.start();
  }

  async stop(): Promise<void> {
    this.schedule?.stop();
    this.schedule = undefined;
  }

  /** The readiness service of this agent, made on first use (its constructor only keeps its deps). */
  private of(ctx: ModuleContext): ReadinessService {
    this.service ??= new ReadinessService({
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      bootSeq: ctx.bootSeq,
      read: (d, ms) => ctx.devices.read(d, ms),
      spec: (d) => ctx.devices.readiness(d),
      connect: ctx.connect,
      modules: () => ctx.moduleReadiness(),
      runAction: (d, action, args, ms, user) => ctx.devices.runWithin(d, action, args, ms, user),
      retain: (report) => ctx.setRetained(topics.readiness(ctx.site), report),
      event: (type, data) => ctx.publishEvent(type, data),
    });
    return this.service;
  }
}
