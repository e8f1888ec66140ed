import { loadSiteConfig, siteJsonSchema, brokerJsonSchema } from "../config/load.js";
import { checkDevices } from "../agent/drivers.js";
import { UsageError, parse } from "./args.js";

export async function configCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "validate") {
    const { positionals } = parse(rest, {});
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError("config validate needs exactly one FILE");
    const config = await loadSiteConfig(file); // throws ConfigError (exit 2) when invalid
    await checkDevices(config, file);
    const n = Object.keys(config.devices).length;
    process.stdout.write(`${file}: ok (site ${config.site}, ${n} device${n === 1 ? "" : "s"})\n`);
    return 0;
  }
  if (sub === "schema") {
    const { values } = parse(rest, { broker: { type: "boolean" } });
    const schema = values.broker ? brokerJsonSchema() : siteJsonSchema();
    process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return 0;
  }
  throw new UsageError(`config: expected "validate FILE" or "schema", got "${sub ?? ""}"`);
}
