/**
 * Why requests do not go through the `onvif` package (0.8.3): its behaviour, measured against a
 * canned server. If an upgrade fixes these, this file says so by failing, and client.ts can move
 * back onto the package.
 */
import { Cam } from "onvif";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startCannedServer, soapFault, type CannedServer } from "./canned-server.js";

const servers: CannedServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function cam(port: number, timeout = 200): Cam {
  return new Cam({ hostname: "127.0.0.1", port, username: "admin", password: "pässwörd", autoconnect: false, timeout });
}

describe("onvif@0.8.3, measured", () => {
  it("its timeout is a socket idle timer: a camera trickling bytes keeps a 300 ms request open past 1.2 s", async () => {
    const s = await startCannedServer(() => "drip");
    servers.push(s);
    let settled = false;
    cam(s.port, 300).getSystemDateAndTime(() => {
      settled = true;
    });
    // The server's writes are the clock: 24 drips of 50 ms = 1.2 s, four times the timeout, and the
    // request is still open (a client that gave up closes the answer, which fails the wait).
    await s.untilDrips(24);
    expect(settled).toBe(false);
  });

  it("it flattens SOAP faults to a message: the ter: subcode (NotAuthorized vs NoToken) is lost", async () => {
    const s = await startCannedServer(() => ({ status: 400, body: soapFault(["ter:InvalidArgVal", "ter:NoToken"], "No such preset") }));
    servers.push(s);
    const err = await new Promise<Error | null>((resolve) => cam(s.port).getDeviceInformation((e) => resolve(e)));
    expect(err?.message).toBe("ONVIF SOAP Fault: No such preset");
    expect(Object.keys(err ?? {})).toEqual([]); // no code, no subcode, no status
  });

  it("it hashes the password as 'ascii', so a non-ASCII password gives a digest the camera rejects", async () => {
    const s = await startCannedServer(() => ({ status: 500, body: "" }));
    servers.push(s);
    await new Promise<void>((resolve) => cam(s.port).getDeviceInformation(() => resolve()));
    const body = s.requests[0]!.body;
    const nonce = Buffer.from(/<Nonce[^>]*>([^<]+)</.exec(body)![1]!, "base64");
    const created = /<Created[^>]*>([^<]+)</.exec(body)![1]!;
    const sent = /<Password[^>]*>([^<]+)</.exec(body)![1]!;
    const utf8 = createHash("sha1").update(Buffer.concat([nonce, Buffer.from(created), Buffer.from("pässwörd", "utf8")])).digest("base64");
    expect(sent).not.toBe(utf8);
  });
});
