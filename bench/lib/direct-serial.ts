/**
 * The floor of the simulated line: the bench itself opens the pty with serialport (as the agent's
 * transport does), writes a VISCA command and waits for its Completion, with no MQTT and no agent.
 * Run it before the agent opens the port: two readers on one pty would steal each other's bytes.
 */
import { SerialPort } from "serialport";
import { decodeReply } from "../../drivers/visca/codec.js";
import { FrameSplitter } from "../../drivers/visca/framer.js";

/** Times `count` write -> Completion round trips of `frame`; one at a time. */
export async function directRoundTrips(devicePath: string, baudRate: number, frame: Buffer, count: number, timeoutMs = 2_000): Promise<number[]> {
  const port = new SerialPort({ path: devicePath, baudRate, autoOpen: false });
  const splitter = new FrameSplitter();
  let waiting: ((frame: Buffer) => void) | undefined;
  port.on("data", (chunk: Buffer) => {
    for (const f of splitter.push(chunk)) waiting?.(f);
  });
  let portError: Error | undefined;
  port.on("error", (err) => (portError = err));
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (portError) throw portError;
      const ms = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`direct serial: no Completion within ${timeoutMs} ms`)), timeoutMs);
        let t0 = 0n;
        waiting = (f) => {
          const at = process.hrtime.bigint();
          let type: string;
          try {
            type = decodeReply(f).type;
          } catch (err) {
            type = `undecodable (${(err as Error).message})`;
          }
          if (type === "ack") return;
          clearTimeout(timer);
          if (type !== "completion") reject(new Error(`direct serial: unexpected reply ${f.toString("hex")}: ${type}`));
          else resolve(Number(at - t0) / 1e6);
        };
        t0 = process.hrtime.bigint();
        port.write(frame, (err) => {
          if (err) {
            clearTimeout(timer);
            reject(err);
          }
        });
      });
      times.push(ms);
    }
  } finally {
    waiting = undefined;
    await new Promise<void>((resolve) =>
      port.close((err) => {
        if (err) portError = err;
        resolve();
      }),
    );
  }
  return times;
}
