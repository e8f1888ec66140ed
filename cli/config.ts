/** `roomgate config validate FILE` and `roomgate config schema [--broker|--centre]`. */
import { loadSiteConfig, siteJsonSchema, brokerJsonSchema, centreJsonSchema } from "../config/load.js";
import { UsageError } from "./args.js";
import { checkDevices } from "../agent/drivers.js";
import { parseCommand } from "./spec.js";
import { configSchemaSpec, configValidateSpec } from "./specs/site.js";

export async function configValidateCommand(argv: string[]): Promise<number> {
  const { positionals } = parseCommand(configValidateSpec, argv);
  const file = positionals[0]!;
  const config = await loadSiteConfig(file); // throws ConfigError (exit 2) when invalid
  await checkDevices(config, file);
  const n = Object.keys(config.devices).length;
  process.stdout.write(`${file}: ok (site ${config.site}, ${n} device${n === 1 ? "" : "s"})\n`);
  return 0;
}

export async function configSchemaCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(configSchemaSpec, argv);
  if (values.broker && values.centre) throw new UsageError("--broker and --centre exclude each other");
  const schema = values.broker ? brokerJsonSchema() : values.centre ? centreJsonSchema() : siteJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
