import { connectTool, TOOL_AUTH_FLAGS, toolAuth } from "./mqtt-client.js";
import { defaultBrokerUrl, parse, untilSignal } from "./args.js";
import { formatWatchLine } from "./watch-format.js";

export async function watchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { broker: { type: "string" }, ...TOOL_AUTH_FLAGS });
  const site = positionals[0] ?? "+";
  const url = values.broker ?? defaultBrokerUrl();
  const client = await connectTool(url, "watch", await toolAuth(values));
  const filter = `roomgate/v1/${site}/#`;
  client.on("message", (topic, payload, packet) => {
    process.stdout.write(`${formatWatchLine(topic, payload, packet.retain, new Date())}\n`);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  process.stderr.write(`watching ${filter} on ${url} (Ctrl-C to stop)\n`);
  await untilSignal();
  await client.endAsync();
  return 0;
}
