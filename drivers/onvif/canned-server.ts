/**
 * A tiny HTTP server with canned answers, for unit tests of the SOAP layer (test helper, not
 * production code). Each request is recorded; `reply` decides the answer per request.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CannedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What to answer: status + body + headers, `"silent"` (never answer), or `"drip"` (headers, then a byte every 50 ms). */
export type CannedReply = { status: number; body: string; headers?: Record<string, string> } | "silent" | "drip";

export interface CannedServer {
  url: string;
  port: number;
  requests: CannedRequest[];
  /** Bytes written by `"drip"` answers so far. */
  readonly drips: number;
  /** Resolves once `"drip"` answers have written `n` bytes in all; rejects if one is closed before. */
  untilDrips(n: number): Promise<void>;
  reply: (req: CannedRequest) => CannedReply;
  close(): Promise<void>;
}

export async function startCannedServer(reply: (req: CannedRequest) => CannedReply): Promise<CannedServer> {
  const requests: CannedRequest[] = [];
  const held = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { reply, drips: 0 };
  const dripWaiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: CannedRequest = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(r);
      const answer = state.reply(r);
      if (answer === "silent") {
        held.add(res);
        return;
      }
      if (answer === "drip") {
        held.add(res);
        res.writeHead(200, { "Content-Type": "application/soap+xml" });
        const t = setInterval(() => {
          state.drips++;
          res.write(" ");
          for (const w of dripWaiters.filter((x) => state.drips >= x.n)) {
            dripWaiters.splice(dripWaiters.indexOf(w), 1);
            w.resolve();
          }
        }, 50);
        timers.add(t);
        res.on("close", () => {
          clearInterval(t);
          timers.delete(t);
          for (const w of dripWaiters.splice(0)) w.reject(new Error(`the client closed a dripping answer after ${state.drips} of ${w.n} bytes`));
        });
        return;
      }
      res.writeHead(answer.status, { "Content-Type": "application/soap+xml; charset=utf-8", ...answer.headers });
      res.end(answer.body);
    });
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/onvif/device_service`,
    port,
    requests,
    get drips() {
      return state.drips;
    },
    untilDrips: (n) => (state.drips >= n ? Promise.resolve() : new Promise<void>((resolve, reject) => dripWaiters.push({ n, resolve, reject }))),
    get reply() {
      return state.reply;
    },
    set reply(fn) {
      state.reply = fn;
    },
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const NS = 'xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"';

/** A SOAP 1.2 envelope around `body`. */
export const soapEnvelope = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Body>${body}</env:Body></env:Envelope>`;

/** A SOAP 1.2 fault as ONVIF Core writes them: Sender, then the ter: subcodes. */
export function soapFault(subcodes: string[], reason: string, code = "env:Sender"): string {
  let sub = "";
  for (const s of [...subcodes].reverse()) sub = `<env:Subcode><env:Value>${s}</env:Value>${sub}</env:Subcode>`;
  return soapEnvelope(
    `<env:Fault><env:Code><env:Value>${code}</env:Value>${sub}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${reason}</env:Text></env:Reason></env:Fault>`,
  );
}
