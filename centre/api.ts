/**
 * The running centre's local API: the history readers' questions over HTTP on a unix socket in the
 * centre's state directory (mode 0600, in a 0700 directory). Why a socket and not a port: PGlite is
 * a single-process database, so while the centre runs it is the only one that can read it, and
 * `roomgate history` on the same machine asks it; a socket listens on no network and is guarded by
 * the file system (only the centre's user, or root, may connect), so it needs no login of its own.
 *
 * POST /v1/{audit|alarms|health|quarantine|verify|availability} with the question as JSON; GET
 * /v1/status. Errors are JSON `{error: {code, message}}`.
 */
import { chmod, unlink } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { Logger } from "../drivers/types.js";
import { apiAnswers, READER_METHODS, type HistoryReader } from "./reader.js";

const MAX_BODY = 1024 * 1024;

export interface RunningApi {
  readonly socketPath: string;
  close(): Promise<void>;
}

export async function startApi(socketPath: string, reader: HistoryReader, status: () => unknown, logger: Logger): Promise<RunningApi> {
  if (Buffer.byteLength(socketPath) > 100) throw Object.assign(new Error(`the API socket path is too long for a unix socket (${socketPath}): use a shorter state directory`), { code: "bad_config" });
  if (await apiAnswers(socketPath, 1000)) throw Object.assign(new Error(`another centre already answers on ${socketPath}`), { code: "locked" });
  await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  const server: Server = createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
    };
    const m = /^\/v1\/([a-z]+)$/.exec(req.url ?? "");
    if (req.method === "GET" && m?.[1] === "status") return reply(200, status());
    const method = m?.[1] as (typeof READER_METHODS)[number] | undefined;
    if (req.method !== "POST" || method === undefined || !READER_METHODS.includes(method)) {
      return reply(404, { error: { code: "not_found", message: `no ${req.method} ${req.url}; POST /v1/{${READER_METHODS.join("|")}}` } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      let args: unknown;
      try {
        args = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch (err) {
        return reply(400, { error: { code: "bad_request", message: `not JSON: ${(err as Error).message}` } });
      }
      (reader[method] as (a: unknown) => Promise<unknown>)(args).then(
        (out) => reply(200, out),
        (err: unknown) => {
          const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "failed";
          logger.warn({ method, err: (err as Error).message }, "API question failed");
          reply(code === "bad_filter" ? 400 : 500, { error: { code, message: (err as Error).message } });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    },
  };
}
