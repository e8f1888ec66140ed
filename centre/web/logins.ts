/**
 * Logins to the centre's web pages checked by the broker itself: the centre opens an MQTT
 * connection with the user's name and password (clean session, subscribes to nothing, closes at
 * once) and takes the CONNACK's verdict. So the pages accept exactly the passwords the broker
 * accepts, whichever broker it is (roomgate's scrypt file, Mosquitto's password_file, a Mosquitto
 * auth plugin), and the centre keeps no password hash. The role and sites come from the broker file
 * the Mosquitto policy is generated from (or that roomgate broker runs with).
 *
 * A success is remembered for `cacheMs` (default 60 s) under a salted SHA-256 of the name and
 * password, in memory only, so a page that asks for history every few seconds does not cost a
 * CONNECT each time; a refusal is never remembered. A broker that does not answer is an error
 * (`broker_unreachable`), not a refusal: the page says the broker is down, not that the password
 * is wrong.
 */
import { createHash, randomBytes } from "node:crypto";
import mqtt from "mqtt";
import type { BrokerRole, BrokerUser } from "../../config/broker.js";
import type { Clock, Logger } from "../../drivers/types.js";
import type { Logins } from "./http.js";

export interface MqttLoginsOptions {
  /** The broker the agents report to (mqtt://, mqtts://, ws://, wss://). */
  url: string;
  ca?: Buffer;
  /** The broker file's users: role and sites of each (their password hashes are not used here). */
  users: Readonly<Record<string, BrokerUser>>;
  clock: Clock;
  logger: Logger;
  cacheMs?: number;
  timeoutMs?: number;
}

export class LoginCheckError extends Error {
  readonly code = "broker_unreachable" as const;
}

/** CONNACK return codes of MQTT 3.1.1 that say "not you": bad identifier, bad name or password, not authorised. */
const REFUSALS = new Set([2, 4, 5]);

export function mqttLogins(opts: MqttLoginsOptions): Logins {
  const salt = randomBytes(16);
  const cache = new Map<string, number>();
  const cacheMs = opts.cacheMs ?? 60_000;
  const keyOf = (user: string, password: string) => createHash("sha256").update(salt).update(user).update("\0").update(password).digest("base64");

  const connectAs = (user: string, password: string): Promise<boolean> =>
    new Promise((resolve, reject) => {
      const client = mqtt.connect(opts.url, {
        protocolVersion: 4,
        clientId: `roomgate-centre-login-${randomBytes(6).toString("hex")}`,
        username: user,
        password,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: opts.timeoutMs ?? 10_000,
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      });
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        client.end(true);
        fn();
      };
      client.once("connect", () => done(() => resolve(true)));
      client.on("error", (err: Error & { code?: number | string }) => {
        if (typeof err.code === "number" && REFUSALS.has(err.code)) done(() => resolve(false));
        else done(() => reject(new LoginCheckError(`the broker did not answer the login check: ${err.message}`)));
      });
      client.once("close", () => done(() => reject(new LoginCheckError("the broker closed the login check without an answer"))));
    });

  return {
    users: opts.users,
    async verify(user: string, password: string): Promise<BrokerRole | undefined> {
      const entry = opts.users[user];
      if (entry === undefined) return undefined;
      const key = keyOf(user, password);
      const now = opts.clock.now();
      const until = cache.get(key);
      if (until !== undefined && until > now) return entry.role;
      cache.delete(key);
      if (!(await connectAs(user, password))) {
        opts.logger.debug({ user }, "the broker refused a console login");
        return undefined;
      }
      if (cache.size > 1000) cache.clear();
      cache.set(key, now + cacheMs);
      return entry.role;
    },
  };
}
