/** `roomgate config validate FILE` and `roomgate config schema [--broker]`. */
import { loadSiteConfig, siteJsonSchema, brokerJsonSchema } from "../config/load.js";
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
  const schema = values.broker ? brokerJsonSchema() : siteJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
