/**
 * The encryptor's status port on RS-232: a pseudo-terminal whose device end the agent opens, the
 * simulator holding the other end in this process. Lines are paced at the baud rate (10 bits a
 * byte, 8N1), so a status line takes as long on the wire as on the real cable (about 60 ms for a
 * 55-byte line at 9600), which the alarm-latency benchmark must include.
 */
import type { Clock } from "../../drivers/types.js";
import { startSerialLine, type SerialEndpoint } from "../serial-endpoint.js";
import type { Enc1Device } from "./device.js";
import type { ErrorLog } from "./errors.js";

export { wireTimeMs, type SerialEndpoint } from "../serial-endpoint.js";

export interface SerialEndpointOptions {
  devicePath: string;
  baudRate: number;
  clock: Clock;
}

export async function startSerialEndpoint(device: Enc1Device, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  const { devicePath, baudRate, clock } = opts;
  return startSerialLine({ devicePath, baudRate, errors, pacing: { clock } }, (line) => {
    device.sink = line.send;
    return {
      onData(chunk) {
        try {
          device.receive(chunk);
        } catch (err) {
          errors.add(err, "device failed on a request"); // a model bug must not take the process down
        }
      },
      onDisconnect: () => device.resetInput(),
    };
  });
}
