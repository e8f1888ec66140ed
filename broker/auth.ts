/**
 * Authentication and authorisation of the broker's clients, as aedes hooks.
 *
 * - CONNECT: the password is checked with exactly one scrypt call whether or not the user exists
 *   (an unknown user is verified against a dummy hash), and a wrong password and an unknown user
 *   get the same CONNACK code, 5 "not authorized" (what Mosquitto answers, so clients see one
 *   behaviour on both brokers). Then the client id (agents' ids are bound to their site), the CN of
 *   a verified TLS client certificate (it must be the username), the will topic (one the user may
 *   publish) and the connection limits (`admit`, limits.ts: CONNACK 3) are checked.
 * - PUBLISH: a denied publish closes the client's connection (aedes' way; MQTT 3.1.1 section 3.3.5
 *   allows that or a silent ack, which is what Mosquitto does). The message reaches no one.
 * - SUBSCRIBE: a denied filter, or one over the client's filter limit, is answered 0x80 in SUBACK;
 *   the client stays connected.
 * Every refusal is logged (user, client id, topic; never a password), counted in `denials`, and
 * handed to `onRefusal` (the security events of security-events.ts).
 */
import type { Client } from "aedes";
import type { BrokerRole, BrokerUser } from "../config/broker.js";
import type { Logger } from "../drivers/types.js";
import { Acl, checkClientId, identityOf } from "./acl.js";
import { DEFAULT_SCRYPT, dummyHash, nodeScrypt, parseScryptHash, PasswordHashError, verifyPassword, type ParsedScrypt, type ScryptFn } from "./password.js";
import type { BrokerHooks } from "./server.js";

export type ConnectRefusal = "no_username" | "bad_credentials" | "client_id" | "will" | "certificate" | "connection_limit" | "error";
type Who = BrokerRole | "anonymous";

/** Counts of refused operations, for the metrics endpoint to come. Plain numbers: read them any time. */
export interface DenialCounts {
  connect: Record<ConnectRefusal, number>;
  publish: Record<Who, number>;
  subscribe: Record<Who, number>;
}

export function emptyDenialCounts(): DenialCounts {
  const byWho = (): Record<Who, number> => ({ agent: 0, operator: 0, monitor: 0, admin: 0, recorder: 0, anonymous: 0 });
  return { connect: { no_username: 0, bad_credentials: 0, client_id: 0, will: 0, certificate: 0, connection_limit: 0, error: 0 }, publish: byWho(), subscribe: byWho() };
}

/**
 * A refusal as `onRefusal` gets it: what was decided, never the password. `user` is set only for a
 * configured user (an unknown name may be a password typed in the wrong field).
 */
export type Refusal =
  | { kind: "connect"; reason: ConnectRefusal; user?: string; unknownUser?: true }
  | { kind: "publish" | "subscribe"; topic: string; user?: string; role: Who };

export interface BrokerAuthOptions {
  users?: Record<string, BrokerUser> | undefined;
  /** Let clients without a username in with full access (demo/lab). Default false. */
  anonymous?: boolean | undefined;
  logger: Logger;
  /** Tests inject a counting scrypt. */
  scrypt?: ScryptFn;
  /**
   * The CN of the client certificate the TLS listener verified for this connection, if any. When
   * there is one it must equal the username: a certificate issued to one user cannot carry another's
   * password.
   */
  certCNOf?: (client: Client) => string | undefined;
  /** Last check of a verified connection (connection limits); a refusal is returned as is. */
  admit?: (client: Client, username: string) => { reason: ConnectRefusal; code: number; fields: Record<string, unknown> } | undefined;
  /** Last check of an allowed subscription (filters per client). */
  allowSubscription?: (client: Client, filter: string, who: string) => boolean;
  /** Told of every refusal, after it is logged and counted. */
  onRefusal?: (client: Client, refusal: Refusal) => void;
}

export interface BrokerAuth {
  readonly hooks: Required<Pick<BrokerHooks, "preConnect" | "authenticate" | "authorizePublish" | "authorizeSubscribe">>;
  readonly denials: DenialCounts;
  /** The verified user of a connected client (undefined for anonymous or unknown clients). */
  userOf(client: Client): string | undefined;
  /** The role of a connected client ("anonymous" without a username). */
  roleOf(client: Client): BrokerRole | "anonymous" | undefined;
  /**
   * Checks a username and password outside MQTT (the metrics endpoint's basic auth) at the same
   * constant cost as a CONNECT. The user's role, or undefined.
   */
  verify(username: string, password: Buffer | string): Promise<BrokerRole | undefined>;
}

interface Session {
  acl: Acl | null; // null: anonymous, full access
  username: string | undefined;
}

type AuthError = Error & { returnCode: number };
const authError = (returnCode: number, message: string): AuthError => Object.assign(new Error(message), { returnCode });

export class AuthConfigError extends Error {
  readonly code = "bad_config" as const;
}

export function createBrokerAuth(opts: BrokerAuthOptions): BrokerAuth {
  const log = opts.logger;
  const scrypt = opts.scrypt ?? nodeScrypt;
  const anonymous = opts.anonymous === true;
  const users = new Map<string, { user: BrokerUser; hash: ParsedScrypt | undefined }>();
  for (const [name, user] of Object.entries(opts.users ?? {})) {
    let hash: ParsedScrypt | undefined;
    try {
      hash = user.password === undefined ? undefined : parseScryptHash(user.password);
    } catch (err) {
      if (err instanceof PasswordHashError) throw new AuthConfigError(`users.${name}.password: ${err.message}`);
      throw err;
    }
    if (hash === undefined) log.warn({ user: name }, "user has no password and cannot log in: set one with `roomgate broker passwd`");
    users.set(name, { user, hash });
  }
  // Same cost as the configured hashes (they normally share `passwd`'s defaults), so an unknown
  // user takes as long as a known one with a wrong password.
  const firstHash = [...users.values()].find((u) => u.hash !== undefined)?.hash;
  const dummy = dummyHash(firstHash?.params ?? DEFAULT_SCRYPT);
  const sessions = new WeakMap<Client, Session>();
  const wills = new WeakMap<Client, string>();
  const denials = emptyDenialCounts();

  const refuseConnect = (client: Client, reason: ConnectRefusal, code: number, fields: Record<string, unknown>, done: (e: AuthError, ok: boolean) => void) => {
    denials.connect[reason] += 1;
    log.warn({ clientId: client.id, reason, ...fields }, "connection refused");
    const user = typeof fields.user === "string" ? fields.user : undefined;
    opts.onRefusal?.(client, { kind: "connect", reason, ...(user !== undefined ? { user } : fields.unknownUser === true ? { unknownUser: true } : {}) });
    done(authError(code, `connection refused: ${reason}`), false);
  };
  const who = (s: Session | undefined): Who => s?.acl?.identity.role ?? "anonymous";
  /** Exactly one scrypt call whether or not the user exists or has a password. */
  const verifyUser = async (username: string, password: Buffer | string) => {
    const entry = users.get(username);
    const ok = await verifyPassword(entry?.hash ?? dummy, typeof password === "string" ? Buffer.from(password, "utf8") : password, scrypt);
    return ok && entry !== undefined && entry.hash !== undefined ? entry : undefined;
  };

  return {
    denials,
    userOf: (client) => sessions.get(client)?.username,
    roleOf: (client) => {
      const s = sessions.get(client);
      return s === undefined ? undefined : (s.acl?.identity.role ?? "anonymous");
    },
    verify: async (username, password) => (await verifyUser(username, password))?.user.role,
    hooks: {
      preConnect(client, packet, callback) {
        // The will is only visible here; authenticate checks it against the user's rules.
        if (packet.will) wills.set(client, packet.will.topic);
        callback(null, true);
      },

      authenticate(client, username, password, done) {
        if (username === undefined || username === "") {
          if (anonymous) {
            sessions.set(client, { acl: null, username: undefined });
            done(null, true);
            return;
          }
          refuseConnect(client, "no_username", 5, {}, done);
          return;
        }
        verifyUser(username, password ?? Buffer.alloc(0)).then(
          (entry) => {
            if (entry === undefined) {
              // An unknown name may be a password typed in the wrong field: log known names only.
              refuseConnect(client, "bad_credentials", 5, users.has(username) ? { user: username } : { unknownUser: true }, done);
              return;
            }
            const acl = new Acl(identityOf(username, entry.user));
            const idCheck = checkClientId(acl.identity, client.id);
            if (!idCheck.ok) {
              refuseConnect(client, "client_id", 2, { user: username, why: idCheck.reason }, done);
              return;
            }
            const certCN = opts.certCNOf?.(client);
            if (certCN !== undefined && certCN !== username) {
              refuseConnect(client, "certificate", 5, { user: username, certCN }, done);
              return;
            }
            const will = wills.get(client);
            if (will !== undefined && !acl.canPublish(will)) {
              refuseConnect(client, "will", 5, { user: username, topic: will }, done);
              return;
            }
            const refused = opts.admit?.(client, username);
            if (refused !== undefined) {
              refuseConnect(client, refused.reason, refused.code, refused.fields, done);
              return;
            }
            sessions.set(client, { acl, username });
            done(null, true);
          },
          (err: unknown) => {
            refuseConnect(client, "error", 3, { err: err instanceof Error ? err.message : String(err) }, done);
          },
        );
      },

      authorizePublish(client, packet, callback) {
        // No client: aedes publishing a will of a client that is gone; wills were checked at connect.
        if (client === null) return callback(null);
        const s = sessions.get(client);
        if (s !== undefined && s.acl === null && !packet.topic.startsWith("$SYS/")) return callback(null);
        if (s?.acl?.canPublish(packet.topic)) return callback(null);
        denials.publish[who(s)] += 1;
        log.warn({ user: s?.username, clientId: client.id, topic: packet.topic }, "publish denied");
        opts.onRefusal?.(client, { kind: "publish", topic: packet.topic, role: who(s), ...(s?.username !== undefined ? { user: s.username } : {}) });
        callback(new Error(`publish to ${packet.topic} not authorized`));
      },

      authorizeSubscribe(client, sub, callback) {
        const s = sessions.get(client);
        if (s !== undefined && (s.acl === null || s.acl.canSubscribe(sub.topic))) {
          const allowed = opts.allowSubscription?.(client, sub.topic, s.username ?? "anonymous") ?? true;
          return callback(null, allowed ? sub : null);
        }
        denials.subscribe[who(s)] += 1;
        log.warn({ user: s?.username, clientId: client.id, topic: sub.topic }, "subscribe denied");
        opts.onRefusal?.(client, { kind: "subscribe", topic: sub.topic, role: who(s), ...(s?.username !== undefined ? { user: s.username } : {}) });
        callback(null, null);
      },
    },
  };
}
