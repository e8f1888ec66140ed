/**
 * The TCP plumbing of the simulators on real loopback sockets: the port kept across unplug and
 * replug, the connections counted (not the refused ones), a drop that keeps listening, a close
 * that unplugs once, and socket errors in the log.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTcpListener, type TcpListener } from "./tcp-endpoint.js";

const open: TcpListener[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.resume(); // reads to the end, so a cut from the other side closes it
    s.once("connect", () => resolve(s)).once("error", reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));

function refusedOn(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function start(over: Partial<Parameters<typeof startTcpListener>[0]> = {}) {
  const errors: { err: unknown; msg: string }[] = [];
  const seen: number[] = [];
  const l = await startTcpListener({
    host: "127.0.0.1",
    port: 0,
    errors: { add: (err, msg) => errors.push({ err, msg }) },
    onConnection: (socket, before) => {
      seen.push(before);
      socket.write("hello\n");
    },
    ...over,
  });
  open.push(l);
  return { l, errors, seen };
}

describe("startTcpListener", () => {
  it("unplug cuts every connection and refuses new ones; replug listens on the same port", async () => {
    const { l } = await start();
    const port = l.port;
    const a = await connect(port);
    const b = await connect(port);
    await expect.poll(() => l.connections).toBe(2);
    await l.unplug();
    await Promise.all([closed(a), closed(b)]);
    expect(l.plugged).toBe(false);
    expect(l.connections).toBe(0);
    expect(await refusedOn(port)).toBe("ECONNREFUSED");
    await l.replug();
    expect(l.port).toBe(port);
    expect(l.plugged).toBe(true);
    expect(await refusedOn(port)).toBe("connected");
  });

  it("a refused connection is not counted; the count before each one is handed in", async () => {
    const seen: number[] = [];
    const { l } = await start({
      onConnection: (socket, before) => {
        seen.push(before);
        if (before >= 1) {
          socket.end("full\r\n");
          return false;
        }
      },
    });
    const a = await connect(l.port);
    await expect.poll(() => l.connections).toBe(1);
    const b = await connect(l.port);
    const said: Buffer[] = [];
    b.on("data", (c: Buffer) => said.push(c));
    await closed(b);
    expect(Buffer.concat(said).toString()).toBe("full\r\n");
    expect(seen).toEqual([0, 1]);
    expect(l.connections).toBe(1);
    a.destroy();
    await expect.poll(() => l.connections).toBe(0);
  });

  it("drop cuts the connections and keeps listening; onDrop runs at every cut", async () => {
    let drops = 0;
    const { l } = await start({ onDrop: () => void drops++ });
    const a = await connect(l.port);
    await expect.poll(() => l.connections).toBe(1);
    await l.drop();
    await closed(a);
    expect(drops).toBe(1);
    expect(l.plugged).toBe(true);
    expect(await refusedOn(l.port)).toBe("connected");
    await l.unplug();
    expect(drops).toBe(2);
  });

  it("close unplugs once; a second close waits for the same one", async () => {
    let drops = 0;
    const { l } = await start({ onDrop: () => void drops++ });
    const first = l.close();
    expect(l.close()).toBe(first);
    await first;
    expect(l.plugged).toBe(false);
    expect(drops).toBe(1);
  });

  it("a socket's error goes to the log under the endpoint's label, never thrown", async () => {
    let server: net.Socket | undefined;
    const { l, errors } = await start({ label: "telnet", onConnection: (s) => void (server = s) });
    await connect(l.port);
    await expect.poll(() => server).toBeDefined();
    server!.emit("error", new Error("ECONNRESET"));
    expect(errors).toEqual([{ err: expect.objectContaining({ message: "ECONNRESET" }), msg: "telnet socket error" }]);
  });
});
