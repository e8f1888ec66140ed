/**
 * The NovaStar controller on a serial line (115200 8N1): a pseudo-terminal whose device end the
 * agent opens, the simulator holding the other end in this process. Replies are paced at the baud
 * rate (10 bits a byte), so a reply takes as long on the wire as on a real RS-232 line.
 */
import { systemClock } from "../../drivers/clock.js";
import { NovaFrameSplitter } from "../../drivers/novastar/framer.js";
import type { Clock, Logger } from "../../drivers/types.js";
import { startSerialLine } from "../serial-endpoint.js";
import { NovastarController, type ControllerOptions, type NovastarFaults } from "./controller.js";
import { ErrorLog } from "./errors.js";

export interface SerialControllerOptions extends ControllerOptions {
  /** The path the agent opens (a symlink to the pty's slave, made by the simulator). */
  devicePath: string;
  /** Default 115200. */
  baudRate?: number;
  logger?: Logger;
}

export interface SerialControllerHandle {
  readonly controller: NovastarController;
  readonly faults: NovastarFaults;
  readonly devicePath: string;
  readonly baudRate: number;
  readonly errors: readonly Error[];
  /** Pulls the cable: the device path vanishes and the agent's port hangs up; the controller keeps its state. */
  unplug(): Promise<void>;
  /** Puts the cable back: same path. */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

export { wireTimeMs } from "../serial-endpoint.js";

export async function startSerialController(options: SerialControllerOptions): Promise<SerialControllerHandle> {
  const clock: Clock = options.clock ?? systemClock;
  const baudRate = options.baudRate ?? 115200;
  const errors = new ErrorLog(options.logger, { sim: "novastar", link: `serial:${options.devicePath}` });
  const controller = new NovastarController({ ...options, clock });
  const framer = new NovaFrameSplitter("request");
  const line = await startSerialLine(
    { devicePath: options.devicePath, baudRate, errors, pacing: { clock } },
    (line) => ({
      onData(chunk) {
        for (const req of framer.push(chunk)) {
          try {
            controller.handle(req, line.send);
          } catch (err) {
            errors.add(err, "controller failed on a request");
          }
        }
      },
      onDisconnect: () => framer.reset(),
      onClose: () => controller.close(),
    }),
  );

  return {
    controller,
    faults: controller.faults,
    devicePath: line.devicePath,
    baudRate,
    get errors() {
      return errors.list;
    },
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    close: () => line.close(),
    describe() {
      return `novastar serial ${line.devicePath}@${baudRate} model ${controller.model.modelId} ${line.plugged ? "plugged" : "unplugged"}`;
    },
  };
}
