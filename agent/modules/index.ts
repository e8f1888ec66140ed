/**
 * The agent's built-in modules, in start order (stopped in reverse). A new feature (PoE
 * power-cycling through the switch) is one more module here, not a case in agent.ts.
 */
import type { AgentModule } from "../module.js";
import { AlarmActionsModule } from "./alarm-actions.js";
import { CodecModule } from "./codec.js";
import { CoreModule } from "./core.js";
import { DiscoveryModule } from "./discovery.js";
import { PowerCycleModule } from "./power-cycle.js";
import { ReadinessModule } from "./readiness.js";
import { SecureSessionModule } from "./secure-session.js";

export function builtInModules(): AgentModule[] {
  return [new CoreModule(), new SecureSessionModule(), new ReadinessModule(), new PowerCycleModule(), new AlarmActionsModule(), new DiscoveryModule(), new CodecModule()];
}
