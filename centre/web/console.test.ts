/**
 * The console's routes as the broker's HTTP listener mounts them (the live pages, for a lab or the
 * demo without a centre): the three files (gzip, ETag, CSP), the redirect, /console/whoami behind
 * the same scrypt check as a CONNECT, and `console: false`. The centre's mount: server.test.ts.
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { hashPassword } from "../../broker/password.js";
import { startBroker, type RunningBroker } from "../../broker/server.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { ConsoleFilesError, contentSecurityPolicy, loadConsoleAssets } from "./console.js";

const running: RunningBroker[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
});

const FAST = { N: 1024, r: 8, p: 1 };

async function broker(opts: { console?: boolean; auth?: boolean } = {}) {
  const logger = memoryLogger();
  const users = opts.auth === false ? undefined : {
    "op-anna": { role: "operator" as const, sites: ["district-07"], password: await hashPassword("anna-pass", FAST) },
    "noc": { role: "monitor" as const, sites: "*" as const, password: await hashPassword("noc-pass", FAST) },
  };
  const b = await startBroker({
    host: "127.0.0.1",
    port: false,
    http: { host: "127.0.0.1", port: 0, websocketPath: "/ws/mqtt", metrics: false, ...(opts.console === undefined ? {} : { console: opts.console }) },
    logger,
    ...(users ? { auth: { users } } : {}),
  });
  running.push(b);
  return { b, logger, base: `http://127.0.0.1:${b.http!.port}` };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

describe("the console on the broker's HTTP listener", () => {
  it("serves its three files with a strict CSP, gzip and ETags, and tells the page the WebSocket path", async () => {
    const { base } = await broker();
    expect((await get(`${base}/console`)).headers.location).toBe("/console/");
    const page = await get(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.body.toString()).toContain('<meta name="roomgate-mqtt-url" content="/ws/mqtt" />');
    expect(page.headers["content-security-policy"]).toContain("connect-src 'self';");
    const js = await get(`${base}/console/console.js`, { "accept-encoding": "gzip, br" });
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["content-encoding"]).toBe("gzip");
    expect(Number(js.headers["content-length"])).toBeLessThan(200_000);
    expect((await get(`${base}/console/console.js`, { "if-none-match": String(js.headers.etag) })).status).toBe(304);
    expect((await get(`${base}/console/console.css`)).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await get(`${base}/console/console.js.LEGAL.txt`)).status).toBe(404);
  });

  it("answers /console/whoami with the verified user's role and sites, and 401 otherwise", async () => {
    const { base, logger } = await broker();
    const op = await get(`${base}/console/whoami`, basic("op-anna", "anna-pass"));
    expect(op.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(op.body.toString())).toEqual({ user: "op-anna", role: "operator", sites: ["district-07"], history: false });
    expect(JSON.parse((await get(`${base}/console/whoami`, basic("noc", "noc-pass"))).body.toString())).toEqual({ user: "noc", role: "monitor", sites: "*", history: false });
    for (const h of [basic("op-anna", "wrong"), basic("nobody", "anna-pass"), {}]) {
      const res = await get(`${base}/console/whoami`, h);
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBeUndefined(); // no browser login dialog
      expect(JSON.parse(res.body.toString()).error.code).toBe("bad_credentials");
    }
    expect(JSON.stringify(logger.records)).not.toMatch(/anna-pass|wrong/);
  });

  it("on an open broker says everyone may do everything; with console: false serves nothing", async () => {
    const open = await broker({ auth: false });
    expect(JSON.parse((await get(`${open.base}/console/whoami`, basic("operator", "x"))).body.toString())).toEqual({ user: "operator", role: "anonymous", sites: "*", history: false });
    const off = await broker({ console: false });
    expect((await get(`${off.base}/console/`)).status).toBe(404);
    expect((await get(`${off.base}/console/whoami`, basic("op-anna", "anna-pass"))).status).toBe(404);
  });

  it("lets the page connect to a broker on another origin only when told its ws(s):// URL, and refuses anything else", () => {
    expect(contentSecurityPolicy("/mqtt")).toContain("connect-src 'self';");
    expect(contentSecurityPolicy("wss://mosquitto.centre.local:8081/mqtt")).toContain("connect-src 'self' wss://mosquitto.centre.local:8081;");
    const page = loadConsoleAssets("ws://10.0.0.5:9001/mqtt").find((a) => a.path === "/console/")!;
    expect(page.body.toString()).toContain('<meta name="roomgate-mqtt-url" content="ws://10.0.0.5:9001/mqtt" />');
    expect(() => loadConsoleAssets('http://x/"><script>')).toThrow(ConsoleFilesError);
  });

  it("refuses to start without its files, naming them", () => {
    expect(() => loadConsoleAssets("/mqtt", "/nonexistent/console/")).toThrow(ConsoleFilesError);
    expect(() => loadConsoleAssets("/mqtt", "/nonexistent/console/")).toThrow("cannot read the console's /nonexistent/console/index.html (ENOENT)");
  });
});
