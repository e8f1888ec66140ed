/**
 * A name that does not resolve (the site's DNS is down, or the name was mistyped) is just another
 * failed attempt: the transport reports backoff with the resolver's code and keeps trying; it
 * neither throws nor gives up (issue 9, supervision).
 */
import { describe, expect, it } from "vitest";
import { createTransport, type TransportStatus } from "./index.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { systemClock } from "../clock.js";

describe.each([
  ["tcp", { type: "tcp" as const, host: "roomgate-dns-test.invalid", port: 5200 }],
  ["udp", { type: "udp" as const, host: "roomgate-dns-test.invalid", port: 52381 }],
])("%s to a host name that does not resolve", (_kind, spec) => {
  it("reports backoff with the resolver's error code and keeps retrying", async () => {
    const t = await createTransport(spec, { clock: systemClock, logger: memoryLogger(), backoff: { initialMs: 10, maxMs: 20, jitter: 0 } });
    const seen: TransportStatus[] = [];
    const twoFailures = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no two backoffs within 8 s: ${JSON.stringify(seen)}`)), 8000);
      t.on("status", (s) => {
        seen.push(s);
        if (seen.filter((x) => x.state === "backoff").length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    void t.open().catch(() => undefined); // never resolves while the name does not resolve
    await twoFailures;
    await t.close();
    const backoff = seen.find((s) => s.state === "backoff")!;
    expect(backoff.error?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN|ESERVFAIL|ECONNREFUSED)$/);
    expect(t.state).toBe("closed");
  });
});
