import { randomUUID } from "node:crypto";
import { topics } from "../agent/topics.js";
import { connectTool, toolAuth } from "./mqtt-client.js";
import { UsageError, defaultBrokerUrl } from "./args.js";
import { parseCommand } from "./spec.js";
import { ctlSpec } from "./specs/operator.js";

/** `--arg k=v`: v is read as JSON when it parses (numbers, booleans, objects), else as a string. */
export function parseArgPairs(pairs: string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--arg expects k=v, got "${pair}"`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // not JSON: a plain string such as `tele`
    }
    args[pair.slice(0, eq)] = value;
  }
  return args;
}

export async function ctlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(ctlSpec, argv);
  const [site, device, action] = positionals;
  if (!site || !device || !action) throw new UsageError("SITE, DEVICE and ACTION must not be empty");
  const auth = await toolAuth(values, "operator");
  const user = auth.username!;
  const timeoutMs = Number(values.timeout ?? 15_000);
  const command: Record<string, unknown> = { id: randomUUID(), action, args: parseArgPairs(values.arg ?? []) };
  if (device !== "-") command.device = device;
  if (values.expires) command.expiresAt = Date.now() + Number(values.expires);

  const client = await connectTool(values.broker ?? defaultBrokerUrl(), "ctl", auth);
  try {
    const resTopic = topics.res(site, user);
    const response = await new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      client.on("message", (topic, payload) => {
        if (topic !== resTopic) return;
        const res = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (res.id !== command.id) return;
        clearTimeout(timer);
        resolve(res);
      });
      client.subscribe(resTopic, { qos: 1 }, (err) => {
        if (err) return reject(err);
        client.publish(topics.cmd(site, user), JSON.stringify(command), { qos: 1 });
      });
    });
    if (!response) {
      process.stderr.write(`no response from site ${site} within ${timeoutMs} ms (is the agent running?)\n`);
      return 3;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(response)}\n`);
    else process.stdout.write(`${formatResponse(response)}\n`);
    return response.status === "ok" ? 0 : 1;
  } finally {
    await client.endAsync();
  }
}

function formatResponse(res: Record<string, unknown>): string {
  if (res.status === "ok") return res.data === undefined ? "ok" : `ok ${JSON.stringify(res.data)}`;
  const error = res.error as { code?: string; message?: string; details?: unknown } | undefined;
  const details = error?.details ? `\n${JSON.stringify(error.details, null, 2)}` : "";
  return `${String(res.status)}: ${error?.code ?? ""} ${error?.message ?? ""}${details}`;
}
