/**
 * Before a run (main process only): the agent/meta inventory the simulated agents publish, built the
 * way agent/agent.ts builds it (each driver's real action table with JSON Schemas of the args), and
 * a check of every payload the fleet sends against the contract's zod schemas and of every command
 * against its driver's action args. A mismatch throws: the bench never measures payloads the real
 * agent would not send.
 */
import { z } from "zod";
import { loadDriver } from "../../agent/drivers.js";
import { AgentMetaSchema, AgentStateSchema, CommandSchema, DeviceHealthSchema, DeviceStateSchema, EventSchema, ResponseSchema, type AgentMeta } from "../../agent/topics.js";
import { auditEvent, birth, commandPayload, deviceAt, healthPayload, responsePayload, statePayload, will } from "./payloads.js";

/** The meta of a site with `devices` devices, `site` as a placeholder the workers replace. */
export async function buildMeta(devices: number, site: string): Promise<AgentMeta> {
  const out: AgentMeta["devices"] = {};
  for (let i = 0; i < devices; i++) {
    const p = deviceAt(i);
    const driver = (await loadDriver(p.protocol)).createDriver();
    const actions: AgentMeta["devices"][string]["actions"] = {};
    for (const [name, spec] of Object.entries(driver.actions)) {
      actions[name] = { description: spec.description, args: z.toJSONSchema(spec.args, { io: "input" }) as Record<string, unknown> };
    }
    out[p.id] = { kind: p.kind, protocol: p.protocol, room: "main-hall", name: p.name, transport: p.transport, actions, stateFields: [...driver.stateFields] };
  }
  const meta: AgentMeta = { site, name: "Simulated conference room", region: ["province", "district-01"], version: "0.1.0", bootSeq: 1, ts: Date.now(), devices: out };
  return AgentMetaSchema.parse(meta);
}

function check(what: string, schema: z.ZodType, text: string): number {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`fleet bench: the ${what} payload breaks the contract: ${z.prettifyError(r.error)}\n${text}`);
  return Buffer.byteLength(text);
}

/** Validates one payload of each kind (and each device's command); returns their sizes in bytes. */
export async function checkPayloads(devices: number, meta: AgentMeta): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  const t = 123_456.789;
  sizes.birth = check("birth", AgentStateSchema, birth(1));
  sizes.will = check("will", AgentStateSchema, will(1));
  sizes.meta = check("agent/meta", AgentMetaSchema, JSON.stringify(meta));
  let health = 0;
  let state = 0;
  let command = 0;
  for (let i = 0; i < devices; i++) {
    const p = deviceAt(i);
    health += check(`${p.id} health`, DeviceHealthSchema, healthPayload(Date.now(), p.healthMessage, t));
    state += check(`${p.id} state`, DeviceStateSchema, statePayload(JSON.stringify(p.state), t));
    const cmd = commandPayload("op-1-1", p.id, p.command);
    command += check(`${p.id} command`, CommandSchema, cmd);
    const spec = (await loadDriver(p.protocol)).createDriver().actions[p.command.action];
    if (spec === undefined) throw new Error(`fleet bench: ${p.protocol} has no action ${p.command.action}`);
    const args = spec.args.safeParse(p.command.args);
    if (!args.success) throw new Error(`fleet bench: ${p.id} ${p.command.action} args: ${z.prettifyError(args.error)}`);
  }
  sizes.healthMean = Math.round(health / devices);
  sizes.stateMean = Math.round(state / devices);
  sizes.commandMean = Math.round(command / devices);
  sizes.response = check("response", ResponseSchema, responsePayload("op-1-1", t));
  sizes.event = check("command audit event", EventSchema, auditEvent("1-1", "op-1-1", "op-1", "cam-main", "preset.recall", 1));
  return sizes;
}
