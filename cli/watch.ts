import { connectTool, toolAuth } from "./mqtt-client.js";
import { defaultBrokerUrl, untilSignal } from "./args.js";
import { parseCommand } from "./spec.js";
import { watchSpec } from "./specs/operator.js";
import { formatWatchLine } from "./watch-format.js";

export async function watchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(watchSpec, argv);
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
