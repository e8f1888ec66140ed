/**
 * A second client on a simulated codec's own line, beside the agent's driver: it hears the codec
 * say that a call ended, as any client of that codec would, stamped with hrtime on the bench's
 * clock. The call-events bench subtracts this "line time" (the codec's own emission and its link:
 * telnet, or SSH with its encryption) from the alarm's latency, leaving what roomgate adds.
 *
 * Poly: a telnet session on the API port that logs in and asks `notify callstatus`, the same
 * notification the driver registers; a `...:disconnected:...` line is the end. Cisco: the vendor's
 * own client, jsxapi, over SSH, registered for the CallDisconnect event.
 */
import { connect, type Socket } from "node:net";
import jsxapi from "jsxapi";

export interface LineTap {
  /** Resolves with the hrtime at which the codec's line said a call ended, after now. */
  nextEnd(timeoutMs: number): Promise<bigint>;
  close(): Promise<void>;
}

type Waiter = { resolve: (at: bigint) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One pending wait at a time; an end heard with nobody waiting is ignored (it belongs to no sample). */
class Ends {
  private waiter: Waiter | undefined;

  heard(at: bigint): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(at);
  }

  next(what: string, timeoutMs: number): Promise<bigint> {
    if (this.waiter !== undefined) return Promise.reject(new Error(`${what}: already waiting`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${what}: no call end on the codec's line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }
}

/** Logs in to a Poly API port (telnet, `Password:` without a newline) and registers `notify callstatus`. */
export async function polyTap(port: number, password: string, timeoutMs = 10_000): Promise<LineTap> {
  const ends = new Ends();
  const socket: Socket = connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  let text = "";
  let stage: "password" | "banner" | "notify" | "ready" = "password";
  let ready: () => void = () => undefined;
  let failed: (e: Error) => void = () => undefined;
  const up = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const timer = setTimeout(() => failed(new Error(`Poly tap: not logged in and registered within ${timeoutMs} ms (at ${stage})`)), timeoutMs);
  socket.on("error", (e) => failed(e));
  socket.on("data", (chunk: Buffer) => {
    const at = process.hrtime.bigint();
    text += chunk.toString("latin1");
    if (stage === "password" && text.includes("Password:")) {
      text = "";
      stage = "banner";
      socket.write(`${password}\r\n`);
    }
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, nl).replace(/\r/g, "");
      text = text.slice(nl + 1);
      if (stage === "banner" && line !== "" && !/failed/i.test(line)) {
        stage = "notify";
        socket.write("notify callstatus\r\n");
      } else if (stage === "notify" && line === "notify callstatus success") {
        stage = "ready";
        clearTimeout(timer);
        ready();
      } else if (stage === "ready" && line.startsWith("notification:callstatus:") && line.includes(":disconnected:")) {
        ends.heard(at);
      } else if (/password failed/.test(line)) {
        failed(new Error("Poly tap: password failed"));
      }
    }
  });
  try {
    await up;
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return {
    nextEnd: (ms) => ends.next("Poly tap", ms),
    close: async () => {
      socket.destroy();
    },
  };
}

interface Feedback {
  on(listener: (v: never) => void): (() => void) & { registration: Promise<unknown> };
}

/** Cisco's jsxapi over SSH, registered for the CallDisconnect event. */
export async function ciscoTap(port: number, username: string, password: string, timeoutMs = 10_000): Promise<LineTap> {
  const ends = new Ends();
  const xapi = jsxapi.connect("ssh://127.0.0.1", { port, username, password, loglevel: "error" });
  const errors: unknown[] = [];
  xapi.on("error", (e: unknown) => errors.push(e)); // without a listener jsxapi's transport errors would throw
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Cisco tap (jsxapi): not ready within ${timeoutMs} ms; errors ${JSON.stringify(errors)}`)), timeoutMs);
      xapi.on("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const off = (xapi.Event.CallDisconnect as unknown as Feedback).on((() => ends.heard(process.hrtime.bigint())) as (v: never) => void);
    await off.registration;
  } catch (err) {
    xapi.close();
    throw err;
  }
  return {
    nextEnd: (ms) => ends.next("Cisco tap", ms),
    close: async () => {
      xapi.close();
    },
  };
}
