/**
 * The MDC chain on an RS-232 line: a pseudo-terminal whose device end the agent opens, the
 * simulator holding the other end in this process. Every display on the chain hears every
 * request; answers are paced at the baud rate (10 bits a byte, 8N1) as on a real line.
 */
import type { Clock } from "../../drivers/types.js";
import { MdcFrameSplitter } from "../../drivers/samsung-mdc/framer.js";
import { startSerialLine, type SerialEndpoint } from "../serial-endpoint.js";
import type { MdcChain } from "./chain.js";
import type { ErrorLog } from "./errors.js";

export { wireTimeMs, type SerialEndpoint } from "../serial-endpoint.js";

export interface SerialEndpointOptions {
  devicePath: string;
  baudRate: number;
  clock: Clock;
}

export async function startSerialEndpoint(chain: MdcChain, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  const splitter = new MdcFrameSplitter("request");
  // The chain's own timers pace the line, so pulling the cable also drops answers a slow display still owes.
  const pacing = { clock: opts.clock, scheduler: chain };
  return startSerialLine({ devicePath: opts.devicePath, baudRate: opts.baudRate, errors, pacing }, (line) => ({
    onData(chunk) {
      for (const frame of splitter.push(chunk)) {
        try {
          chain.request(frame, line.send);
        } catch (err) {
          errors.add(err, "display failed on a request"); // a model bug must not take the process down
        }
      }
    },
    onDisconnect: () => splitter.reset(),
  }));
}
