/**
 * The read-only proof (issue 6, item 1). The driver is driven through every code path that can
 * write (start, every device state, alarms, identity, device errors, bad input, floods, heartbeat
 * loss and return, link loss and return, poll, poll timeout, the action with good, hostile,
 * aborted and expired contexts, stop), with a wrapped transport that keeps every byte, and then
 * through random device input. Every byte written must form lines of exactly
 * `$Q,ST*HH`, `$Q,ID*HH` or `$ACK,<seq>*HH`. The sources are also scanned: one write, in link.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import * as codec from "./codec.js";
import { Enc1Driver } from "./driver.js";
import { FakeTransport, textResponder } from "../transport/fake.js";
import { al, dev, hb, st } from "./test-lines.js";

const ALLOWED = /^\$(Q,(ST|ID)|ACK,\d+)\*[0-9A-F]{2}\n$/;

/** Every written buffer is one allowed line, and all bytes together are nothing but allowed lines. */
function assertReadOnly(t: FakeTransport): void {
  for (const w of t.writtenText()) expect(w).toMatch(ALLOWED);
  const all = Buffer.concat(t.written).toString("latin1");
  for (const line of all.split(/(?<=\n)/).filter((l) => l !== "")) {
    expect(line).toMatch(ALLOWED);
    const body = line.slice(1, line.indexOf("*"));
    expect(line.slice(line.indexOf("*") + 1, -1)).toBe(codec.checksum(body));
  }
}

async function started(options: Record<string, unknown> = {}) {
  const clock = fakeClock();
  const t = new FakeTransport();
  let seq = 500;
  t.responder = textResponder((w) => {
    if (w.startsWith("$Q,ST")) return [st(++seq, "SECURE")];
    if (w.startsWith("$Q,ID")) return [dev("ENC,ID,RG-ENC1,2.1")];
  });
  const driver = new Enc1Driver();
  const abort = new AbortController();
  await driver.start({ deviceId: "enc", transport: t, logger: memoryLogger(), clock, signal: abort.signal, options: { timeoutMs: 300, ...options } });
  return { clock, t, driver, abort };
}

describe("ENC/1 driver is read-only by construction", () => {
  it("every path the driver can take writes only $Q,ST / $Q,ID / $ACK,<seq>", async () => {
    const { clock, t, driver, abort } = await started();
    const action = driver.actions["status.refresh"]!;
    /** One device write, then let the driver's writes settle, so no ack is skipped as `busy`. */
    const feed = async (x: string | Buffer) => {
      t.feed(x);
      await new Promise((r) => setImmediate(r));
    };
    // every device state, known and unknown, with every tunnel/key value
    for (const state of [...codec.ENC_STATES, "MELTDOWN", "secure", ""]) {
      for (const [tun, key] of [["UP", "VALID"], ["DOWN", "EXPIRING"], ["UP", "EXPIRED"], ["DOWN", "NONE"], ["X", "Y"]] as const) {
        await feed(hb(1));
        await feed(st(2, state, tun, key, state === "SECURE" ? "NONE" : "SOME_ALARM"));
      }
    }
    // every alarm code of PROTOCOLS.md, every severity, raise and clear
    for (const code of ["TAMPER", "SELFTEST_FAIL", "KEY_EXPIRED", "TUNNEL_DOWN", "BYPASS_ACTIVE", "ZEROIZED", "TEMP", "PSU"]) {
      for (const sev of codec.SEVERITIES) for (const act of codec.ALARM_ACTIONS) await feed(al(3, code, sev, act));
    }
    // identity, device errors, junk of every kind, a flood
    await feed(dev("ENC,ID,X,Y"));
    await feed(dev("ENC,ER,4,CHECKSUM"));
    await feed(dev("ENC,ER,5,UNSUPPORTED"));
    await feed(dev("ENC,ER,6,ZEROIZE"));
    await feed("$ENC,HB,1,1*00\n".repeat(20));
    await feed(`${"A".repeat(500)}\n`);
    await feed(Buffer.from([0x24, 0, 0xff, 0x0a, 0x0a]));
    await feed(Array.from({ length: 300 }, (_, i) => hb(i)).join(""));
    // poll, refresh, poll timeout, ER answer to a query
    await driver.poll();
    await action.run(action.args.parse({}), { signal: new AbortController().signal, deadline: clock.now() + 1000 });
    // hostile args never reach the wire: the schema refuses them, and run() takes no device text
    for (const hostile of [{ zeroize: true }, { line: "$ZEROIZE*00" }, { query: "BYPASS" }]) {
      expect(action.args.safeParse(hostile).success).toBe(false);
      await (action.run as (a: unknown, c: unknown) => Promise<unknown>)(hostile, { signal: new AbortController().signal, deadline: clock.now() + 1000 });
    }
    const aborted = new AbortController();
    aborted.abort();
    await expect(action.run({}, { signal: aborted.signal, deadline: clock.now() + 1000 })).rejects.toMatchObject({ code: "cancelled" });
    await expect(action.run({}, { signal: new AbortController().signal, deadline: clock.now() - 1 })).rejects.toMatchObject({ code: "timeout" });
    t.responder = undefined;
    const timedOut = driver.poll().catch((e: unknown) => e);
    await clock.tickAsync(300);
    expect(await timedOut).toMatchObject({ code: "timeout" });
    t.responder = textResponder((w) => (w.startsWith("$Q,ST") ? [dev("ENC,ER,7,UNSUPPORTED")] : undefined));
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error" });
    // heartbeat loss and return, link loss and return
    await clock.tickAsync(10_000);
    t.feed(hb(8));
    t.drop();
    await expect(driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    t.goOpen();
    t.feed(hb(9));
    t.feed(st(10, "SECURE"));
    abort.abort();
    await driver.stop();
    // it did write (queries and acks of every kind) ...
    const texts = t.writtenText();
    expect(texts).toContain("$Q,ST*7A\n");
    expect(texts).toContain("$Q,ID*70\n");
    expect(texts.filter((w) => w.startsWith("$ACK,3*"))).toHaveLength(8 * 3 * 2); // every alarm line acked
    expect(texts.some((w) => w.startsWith("$ACK,2*"))).toBe(true);
    // ... and nothing else
    assertReadOnly(t);
  });

  it("random device input (valid, corrupt, split anywhere) never makes it write anything else", async () => {
    const lineArb = fc.oneof(
      fc.constantFrom(...codec.ENC_STATES, "BOGUS").map((s) => st(11, s)),
      fc.nat(1_000_000).map((n) => hb(n)),
      fc.tuple(fc.constantFrom("TAMPER", "PSU", "Q,ZEROIZE"), fc.constantFrom(...codec.SEVERITIES), fc.constantFrom(...codec.ALARM_ACTIONS), fc.nat(99_999))
        .map(([c, s, a, n]) => al(n, c, s, a)),
      fc.constantFrom(dev("ENC,ER,1,CHECKSUM"), dev("ENC,ID,M,F"), "$Q,ST*7A\n", "$ACK,1*54\n"),
      fc.string({ maxLength: 200 }).map((s) => `${s}\n`),
      fc.uint8Array({ maxLength: 150 }).map((a) => Buffer.from(a).toString("latin1")),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), async (lines, cuts) => {
        const { clock, t, driver } = await started();
        const bytes = Buffer.from(lines.join(""), "latin1");
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          t.feed(bytes.subarray(at, at + n));
          at += n;
        }
        const polled = driver.poll().catch(() => undefined); // its answer may land after a partial junk line
        await clock.tickAsync(7000);
        await polled;
        await driver.stop();
        assertReadOnly(t);
      }),
      { numRuns: 150 },
    );
  });

  it("the codec exports no encoder for device lines or commands: only encodeQuery", () => {
    const functions = Object.entries(codec).filter(([, v]) => typeof v === "function").map(([k]) => k).sort();
    expect(functions).toEqual(["Enc1CodecError", "checksum", "encodeQuery", "parseLine"]);
  });

  it("in the module's sources, one call writes to the transport (link.ts), and only encodeQuery builds what it writes", async () => {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    const sources = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "test-lines.ts");
    const writes: string[] = [];
    const encoders: string[] = [];
    for (const f of sources) {
      const text = await readFile(path.join(dir, f), "utf8");
      for (const m of text.matchAll(/\.write\s*\(/g)) writes.push(`${f}@${m.index}`);
      for (const m of text.matchAll(/\bencodeQuery\s*\(/g)) encoders.push(`${f}@${m.index}`);
      // no other way out: no sockets, ports, files or processes in this module
      expect(text, f).not.toMatch(/from "node:(net|dgram|fs|child_process)"|from "serialport"/);
    }
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^link\.ts@/);
    // defined in codec.ts, called in link.ts: nowhere else
    expect(encoders.map((e) => e.split("@")[0]).sort()).toEqual(["codec.ts", "link.ts"]);
  });
});
