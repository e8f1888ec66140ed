/**
 * The UDP plumbing of the simulators on real loopback sockets: replies from the endpoint's port,
 * the port kept across unplug and replug, and a port that cannot be had refused at start.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { startUdpEndpoint, type UdpEndpoint } from "./udp-endpoint.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(): Promise<{ ask(port: number, text: string): Promise<string> }> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => s.close(() => resolve())));
  return {
    ask: (port, text) =>
      new Promise((resolve) => {
        s.once("message", (m: Buffer) => resolve(m.toString()));
        s.send(text, port, "127.0.0.1");
      }),
  };
}

async function echo(port = 0): Promise<UdpEndpoint> {
  const errors: unknown[] = [];
  const ep: UdpEndpoint = await startUdpEndpoint({
    host: "127.0.0.1",
    port,
    errors: { add: (err) => errors.push(err) },
    onMessage: (msg, rinfo) => ep.send(Buffer.from(`echo ${msg.toString()}`), { address: rinfo.address, port: rinfo.port }),
  });
  cleanups.push(() => ep.unplug());
  return ep;
}

describe("startUdpEndpoint", () => {
  it("answers from its port; unplug closes it, replug binds the same port again", async () => {
    const ep = await echo();
    const c = await client();
    expect(await c.ask(ep.port, "one")).toBe("echo one");
    const port = ep.port;
    await ep.unplug();
    expect(ep.plugged).toBe(false);
    const other = dgram.createSocket("udp4"); // the port is free while unplugged
    await new Promise<void>((resolve) => other.bind(port, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => other.close(() => resolve()));
    await ep.replug();
    expect(ep.port).toBe(port);
    expect(await c.ask(ep.port, "two")).toBe("echo two");
  });

  it("a port already taken: start rejects, nothing left bound", async () => {
    const first = await echo();
    await expect(echo(first.port)).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
