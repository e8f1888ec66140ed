import { describe, it, expect, beforeEach, afterEach } from "vitest";
import dgram from "node:dgram";
import { startViscaSimulator, type UdpCameraHandle } from "./index.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

/** A controller on a real UDP socket: sends raw datagrams, reads them back one by one (bounded waits). */
class Controller {
  private readonly inbox: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: dgram.Socket, private readonly port: number) {
    socket.on("message", (msg) => {
      this.inbox.push(msg);
      this.waiter?.();
    });
    // A controller socket error is a bug in the test rig: fail the next wait with it.
    socket.on("error", (err) => {
      this.failure = err;
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<Controller> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    return new Controller(socket, port);
  }

  /** Sends a datagram given as hex: header (type, length, sequence) + payload. */
  send(type: number, seq: number, payload: string): void {
    const p = hex(payload);
    const header = Buffer.alloc(8);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(p.length, 2);
    header.writeUInt32BE(seq, 4);
    this.raw(Buffer.concat([header, p]));
  }

  raw(buf: Buffer): void {
    this.socket.send(buf, this.port, "127.0.0.1");
  }

  /** The next datagram, shown as "TYPE LEN SEQ | PAYLOAD" in hex. */
  async next(timeoutMs = 3000): Promise<string> {
    if (this.inbox.length === 0 && this.failure === undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new Error("timeout waiting for a datagram"));
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    if (this.failure) throw this.failure;
    const m = this.inbox.shift()!;
    return `${show(m.subarray(0, 8))} | ${show(m.subarray(8))}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

describe("VISCA over IP simulator on a real UDP socket", () => {
  let sim: UdpCameraHandle;
  let ctl: Controller;

  beforeEach(async () => {
    sim = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100 });
    ctl = await Controller.open(sim.port);
  });
  afterEach(async () => {
    await ctl.close();
    await sim.close();
  });

  it("command 0100: replies 0111 echo the sequence (ACK, then Completion)", async () => {
    expect(sim.port).toBeGreaterThan(0);
    ctl.send(0x0100, 7, "81 01 04 00 02 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 00 07 | 90 41 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 00 07 | 90 51 FF");
  });

  it("inquiry 0110: 81 09 04 00 FF -> 90 50 02 FF with the same sequence", async () => {
    ctl.send(0x0110, 0x01020304, "81 09 04 00 FF");
    expect(await ctl.next()).toBe("01 11 00 04 01 02 03 04 | 90 50 02 FF");
  });

  it("Completion of a long command keeps the request's sequence even after later requests", async () => {
    ctl.send(0x0100, 1, "81 01 04 3F 02 05 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 00 01 | 90 41 FF");
    ctl.send(0x0110, 2, "81 09 04 38 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 02 | 90 50 02 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 00 01 | 90 51 FF");
  });

  it("sequence dance: out of order -> 0201 0F 01; reset 0200 01 -> 0201 01; then any base is accepted", async () => {
    ctl.send(0x0110, 10, "81 09 04 00 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 0A | 90 50 02 FF");
    ctl.send(0x0110, 12, "81 09 04 00 FF");
    expect(await ctl.next()).toBe("02 01 00 02 00 00 00 0C | 0F 01");
    ctl.send(0x0200, 0, "01");
    expect(await ctl.next()).toBe("02 01 00 01 00 00 00 00 | 01");
    ctl.send(0x0110, 500, "81 09 04 00 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 01 F4 | 90 50 02 FF");
    ctl.send(0x0100, 501, "81 01 04 38 03 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 01 F5 | 90 41 FF");
    expect(await ctl.next()).toBe("01 11 00 03 00 00 01 F5 | 90 51 FF");
    ctl.send(0x0110, 501, "81 09 04 00 FF"); // a repeat is out of order too
    expect(await ctl.next()).toBe("02 01 00 02 00 00 01 F5 | 0F 01");
  });

  it("malformed datagrams -> 0201 0F 02: short header, length field wrong, unknown control", async () => {
    ctl.raw(hex("01 00 00"));
    expect(await ctl.next()).toBe("02 01 00 02 00 00 00 00 | 0F 02");
    ctl.raw(hex("01 10 00 09 00 00 00 03 81 09 04 00 FF"));
    expect(await ctl.next()).toBe("02 01 00 02 00 00 00 03 | 0F 02");
    ctl.send(0x0200, 4, "02");
    expect(await ctl.next()).toBe("02 01 00 02 00 00 00 04 | 0F 02");
    ctl.send(0x0110, 5, "90 50 02 FF"); // not a request
    expect(await ctl.next()).toBe("02 01 00 02 00 00 00 05 | 0F 02");
    ctl.send(0x0100, 6, "81 01 04 00 02"); // no FF: a VISCA length error from the camera
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 06 | 90 60 01 FF");
  });

  it("VISCA errors travel as 0111 replies: syntax, type mismatch, buffer full, standby", async () => {
    ctl.send(0x0100, 1, "81 01 04 00 09 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 01 | 90 60 02 FF");
    ctl.send(0x0110, 2, "81 01 04 00 02 FF"); // a command sent as an inquiry
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 02 | 90 60 02 FF");
    ctl.send(0x0100, 3, "81 01 04 3F 02 01 FF");
    ctl.send(0x0100, 4, "81 01 04 47 04 00 00 00 FF");
    ctl.send(0x0100, 5, "81 01 04 38 03 FF");
    expect([await ctl.next(), await ctl.next(), await ctl.next()]).toEqual([
      "01 11 00 03 00 00 00 03 | 90 41 FF",
      "01 11 00 03 00 00 00 04 | 90 42 FF",
      "01 11 00 04 00 00 00 05 | 90 60 03 FF",
    ]);
    sim.camera.flipPower(false); // ends the two running commands with their Completion
    expect([await ctl.next(), await ctl.next()]).toEqual([
      "01 11 00 03 00 00 00 03 | 90 51 FF",
      "01 11 00 03 00 00 00 04 | 90 52 FF",
    ]);
    ctl.send(0x0100, 6, "81 01 04 3F 02 01 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 06 | 90 61 41 FF");
  });

  it("unplug closes the socket (the port is free to bind); replug answers again on the same port", async () => {
    const port = sim.port;
    await sim.unplug();
    const squatter = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      squatter.once("error", reject);
      squatter.bind(port, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await sim.replug();
    expect(sim.port).toBe(port);
    ctl.send(0x0110, 1, "81 09 04 00 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 01 | 90 50 02 FF");
  });

  it("errorReply fault answers commands with the error; control replies still come", async () => {
    sim.faults.errorReply = "not_executable";
    ctl.send(0x0100, 1, "81 01 04 00 02 FF");
    expect(await ctl.next()).toBe("01 11 00 04 00 00 00 01 | 90 61 41 FF");
    expect(() => {
      sim.faults.errorReply = "bogus" as never;
    }).toThrow(RangeError);
    expect(JSON.stringify(sim.faults)).toBe('{"silent":false,"garbage":false,"slowMs":0,"errorReply":"not_executable"}');
  });
});

describe("startViscaSimulator: spec validated at the door", () => {
  it("names the bad field", async () => {
    await expect(startViscaSimulator({ link: "udp", port: 70000 })).rejects.toThrow(/port/);
    await expect(startViscaSimulator({ link: "udp", port: 0, bootMS: 5 } as never)).rejects.toThrow(/bootMS/);
  });
});
