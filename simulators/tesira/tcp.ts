/**
 * The Tesira telnet server (port 23 on a real DSP; 127.0.0.1 port 0 in tests). Each connection
 * is a TTP session: the server first asks its telnet options and goes ahead only once every one
 * is answered (Biamp: "If the Control System does not respond to the Telnet session options
 * negotiations, the session will not go ahead"), then prints the Welcome banner. Unplug closes
 * the listener and every connection (sessions and their subscriptions die); replug listens again
 * on the same port.
 */
import type { Socket } from "node:net";
import { startTcpListener } from "../tcp-endpoint.js";
import { BANNER, type TesiraDsp } from "./dsp.js";
import type { ErrorLog } from "./errors.js";

const IAC = 0xff;
const [DO, DONT, WILL, WONT, SB, SE] = [0xfd, 0xfe, 0xfb, 0xfc, 0xfa, 0xf0];

/** What the server asks on connect: DO TERMINAL-TYPE, TERMINAL-SPEED, X-DISPLAY, NEW-ENVIRON; WILL ECHO, SUPPRESS-GO-AHEAD. */
export const NEGOTIATION = Buffer.from([IAC, DO, 0x18, IAC, DO, 0x20, IAC, DO, 0x23, IAC, DO, 0x27, IAC, WILL, 0x01, IAC, WILL, 0x03]);

export interface TcpEndpoint {
  readonly port: number;
  readonly plugged: boolean;
  readonly connections: number;
  /** Option answers received, per connection in order, e.g. [["WONT 24", ...]] (tests). */
  readonly answers: string[][];
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpEndpoint(dsp: TesiraDsp, host: string, port: number, errors: ErrorLog): Promise<TcpEndpoint> {
  const answers: string[][] = [];

  function onConnection(socket: Socket): void {
    const session = dsp.openSession((text) => {
      if (!socket.destroyed) socket.write(text);
    });
    socket.once("close", () => session.close());
    const asked = new Set([`${DO}:24`, `${DO}:32`, `${DO}:35`, `${DO}:39`, `${WILL}:1`, `${WILL}:3`]);
    const seen: string[] = [];
    answers.push(seen);
    let live = false;
    let mode: "data" | "iac" | "opt" | "sb" | "sb-iac" = "data";
    let verb = 0;
    let line: number[] = [];

    const answered = (v: number, option: number): void => {
      seen.push(`${verbName(v)} ${option}`);
      // A WILL/WONT answers our DO; a DO/DONT answers our WILL.
      asked.delete(`${v === WILL || v === WONT ? DO : WILL}:${option}`);
      if (!live && asked.size === 0) {
        live = true;
        session.print([BANNER]);
      }
    };

    socket.on("data", (chunk: Buffer) => {
      for (const b of chunk) {
        if (mode === "iac") {
          if (b === DO || b === DONT || b === WILL || b === WONT) [mode, verb] = ["opt", b];
          else if (b === SB) mode = "sb";
          else if (b === IAC) [mode, line] = ["data", [...line, b]];
          else mode = "data";
        } else if (mode === "opt") {
          answered(verb, b);
          mode = "data";
        } else if (mode === "sb") {
          if (b === IAC) mode = "sb-iac";
        } else if (mode === "sb-iac") {
          mode = b === SE ? "data" : "sb";
        } else if (b === IAC) {
          mode = "iac";
        } else if (b === 0x0a) {
          const text = Buffer.from(line).toString("utf8").replace(/\r$/, "");
          line = [];
          if (live) session.line(text); // before the negotiation is done the session does not go ahead
        } else if (line.length < 65_536) {
          line.push(b);
        }
      }
    });
    socket.write(NEGOTIATION);
  }

  const listener = await startTcpListener({ host, port, errors, onConnection });
  return {
    get port() {
      return listener.port;
    },
    get plugged() {
      return listener.plugged;
    },
    get connections() {
      return listener.connections;
    },
    answers,
    unplug: () => listener.unplug(),
    replug: () => listener.replug(),
    close: () => listener.close(),
  };
}

function verbName(v: number): string {
  return v === DO ? "DO" : v === DONT ? "DONT" : v === WILL ? "WILL" : "WONT";
}
