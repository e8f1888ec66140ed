/**
 * A short-lived MQTT client for the operator tools (ctl, watch, check, fleet check), and the login they
 * share: `--user U`, `--password-file F`, `--ca FILE` (or $ROOMGATE_USER, $ROOMGATE_PASSWORD_FILE,
 * $ROOMGATE_CA_FILE); the flags themselves are `loginOptions` in cli/specs/shared.ts. The password is only ever read from a file, never from the command line (which
 * other users of the machine can see in `ps`), and never printed.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { UsageError } from "./args.js";

export interface ToolAuth {
  username?: string;
  password?: string;
  /** CA certificates (PEM) that sign an mqtts:// or wss:// broker's certificate. */
  ca?: Buffer;
}

async function readFlagFile(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The login of a tool from its flags, then the environment; `defaultUser` when neither names one. */
export async function toolAuth(values: { user?: string | undefined; "password-file"?: string | undefined; ca?: string | undefined }, defaultUser?: string): Promise<ToolAuth> {
  const auth: ToolAuth = {};
  const user = values.user ?? process.env.ROOMGATE_USER ?? defaultUser;
  if (user !== undefined) auth.username = user;
  const pwFile = values["password-file"] ?? process.env.ROOMGATE_PASSWORD_FILE;
  if (pwFile !== undefined) {
    if (user === undefined) throw new UsageError("--password-file needs --user (or $ROOMGATE_USER)");
    // A trailing newline is an editor's, not part of the password.
    const password = (await readFlagFile(pwFile, "--password-file")).toString("utf8").replace(/\r?\n$/, "");
    if (password === "") throw new UsageError(`--password-file ${pwFile}: the file is empty`);
    auth.password = password;
  }
  const caFile = values.ca ?? process.env.ROOMGATE_CA_FILE;
  if (caFile !== undefined) auth.ca = await readFlagFile(caFile, "--ca");
  return auth;
}

export function connectTool(url: string, name: string, auth: ToolAuth = {}): Promise<MqttClient> {
  const opts: mqtt.IClientOptions = {
    clientId: `roomgate-${name}-${randomBytes(4).toString("hex")}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  };
  if (auth.username !== undefined) opts.username = auth.username;
  if (auth.password !== undefined) opts.password = auth.password;
  if (auth.ca !== undefined) opts.ca = auth.ca;
  const client = mqtt.connect(url, opts);
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (err) => {
      client.end(true);
      const code = (err as { code?: unknown }).code;
      // CONNACK 4/5: say it plainly, the tools' users are operators, not MQTT experts.
      const why = code === 4 || code === 5 ? "refused: wrong user or password, or not allowed (check --user and --password-file)" : err.message;
      reject(Object.assign(new Error(`cannot connect to ${url}: ${why}`), { code: "not_connected" }));
    });
    client.once("close", () => reject(Object.assign(new Error(`cannot connect to ${url}: connection closed`), { code: "not_connected" })));
  });
}
