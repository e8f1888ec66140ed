/**
 * `roomgate check [--config FILE] [--fix] [--json] [--html FILE]`: the technician's pre-session
 * check on the gateway.
 *
 * It goes through the running agent over MQTT (`readiness.run`), not to the devices directly: the
 * agent runs as a service and holds the serial ports (a second opener would fight it for the bytes),
 * it already knows each device's protocol state (VISCA sockets, Tesira subscriptions), and the
 * technician then sees exactly the report the centre sees, published retained. The cost: the agent
 * must be running; when it is not, the command says so (exit 3) instead of guessing.
 *
 * Exit: 0 pass or warn, 1 fail, 2 bad usage or config, 3 no answer from the agent, 4 busy.
 */
import { writeFile } from "node:fs/promises";
import { loadSiteConfig } from "../config/load.js";
import type { Readiness, SiteEvent } from "../agent/topics.js";
import type { StepResult } from "../agent/scenes.js";
import { exampleSitePath } from "./demo.js";
import { UsageError } from "./args.js";
import { parseCommand } from "./spec.js";
import { checkSpec } from "./specs/operator.js";
import { connectTool, toolAuth } from "./mqtt-client.js";
import { askReadiness } from "./readiness-client.js";
import { ProgressPrinter, reportText, stepLine, styleFor, summary } from "./readiness-format.js";
import { reportHtml } from "./readiness-html.js";

export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(checkSpec, argv);
  const file = values.config ?? process.env.ROOMGATE_CONFIG ?? exampleSitePath();
  const config = await loadSiteConfig(file);
  const deadlineMs = values.deadline === undefined ? config.readiness.deadlineMs : Number(values.deadline);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1000) throw new UsageError(`--deadline: expected milliseconds >= 1000, got "${values.deadline}"`);
  const auth = await toolAuth(values, "operator");
  const user = auth.username!;
  const url = values.broker ?? process.env.ROOMGATE_BROKER ?? config.broker.url;
  const args: Record<string, unknown> = { fix: values.fix === true, deadlineMs };
  if (values.rooms) args.rooms = values.rooms.split(",").map((r) => r.trim()).filter(Boolean);

  const out = process.stdout;
  const style = styleFor(out);
  const progress = values.json ? undefined : new ProgressPrinter(out, style);
  if (progress) progress.line(`checking site ${config.site} through its agent (${url}, as ${user})${values.fix ? ", prepare scene first" : ""}...`);
  const client = await connectTool(url, "check", auth);
  let mine = false;
  const onEvent = (e: SiteEvent) => {
    const data = (e.data ?? {}) as Record<string, any>;
    if (e.type === "readiness.started" && data.requestedBy === user) {
      mine = true;
      progress?.start(data.items);
    } else if (e.type === "readiness.item" && mine) progress?.item(data.item);
    else if (e.type === "scene.step" && values.fix && !mine) progress?.line(stepLine(data.step as StepResult, String(data.scene), style));
  };
  try {
    // The scene's budget is the agent's to know: allow a generous margin over the check's deadline.
    const timeoutMs = deadlineMs + (values.fix ? 120_000 : 0) + 5000;
    const res = await askReadiness(client, { site: config.site, user, args, timeoutMs, onEvent });
    if (!res) {
      process.stderr.write(`no answer from the agent of site ${config.site} within ${timeoutMs} ms: is it running and connected to ${url}?\n`);
      return 3;
    }
    if (res.status !== "ok") {
      const e = res.error!;
      process.stderr.write(`readiness check refused: ${e.code}: ${e.message}\n`);
      return e.code === "busy" ? 4 : 1;
    }
    const report = res.data as Readiness;
    if (values.html) await writeFile(values.html, reportHtml(report, config.name));
    if (values.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (mine) out.write(`${summary(report, style)}\n`);
    else out.write(`${reportText(report, style)}\n`);
    if (values.html && !values.json) out.write(`report written to ${values.html}\n`);
    return report.result === "fail" ? 1 : 0;
  } finally {
    await client.endAsync();
  }
}
