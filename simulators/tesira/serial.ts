/**
 * The Tesira RS-232 port (115200 8N1 by default, the TesiraFORTÉ's factory setting) on a
 * pseudo-terminal: the agent opens `devicePath`, the simulator holds the other end in this
 * process. No telnet negotiation and no banner on connect; the port is one TTP session that
 * outlives a pulled cable (the DSP cannot tell), so its subscriptions survive unplug/replug. After a reboot the banner is
 * printed on the port like on every session.
 */
import { startSerialLine, type SerialEndpoint as SerialLineEndpoint } from "../serial-endpoint.js";
import type { DspSession, TesiraDsp } from "./dsp.js";
import type { ErrorLog } from "./errors.js";

export interface SerialEndpoint extends SerialLineEndpoint {
  readonly session: DspSession;
}

export interface SerialEndpointOptions {
  devicePath: string;
  baudRate: number;
}

export async function startSerialEndpoint(dsp: TesiraDsp, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  let session: DspSession | undefined;
  const line = await startSerialLine({ devicePath: opts.devicePath, baudRate: opts.baudRate, errors }, (line) => {
    const s = dsp.openSession((text) => line.write(text)); // unplugged: the text goes nowhere
    session = s;
    let held = "";
    return {
      onData(chunk) {
        held += chunk.toString("utf8");
        let nl = held.indexOf("\n");
        while (nl >= 0) {
          const text = held.slice(0, nl).replace(/\r$/, "");
          held = held.slice(nl + 1);
          try {
            s.line(text);
          } catch (err) {
            errors.add(err, "DSP failed on a command"); // a model bug must not take the process down
          }
          nl = held.indexOf("\n");
        }
        if (held.length > 65_536) held = "";
      },
      onDisconnect: () => {
        held = "";
      },
      onClose: () => s.close(),
    };
  });
  return {
    devicePath: line.devicePath,
    baudRate: line.baudRate,
    session: session!, // set by the setup callback, which runs before startSerialLine resolves
    get plugged() {
      return line.plugged;
    },
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    close: () => line.close(),
  };
}
