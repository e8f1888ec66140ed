/**
 * The VISCA camera on a serial line: a pseudo-terminal whose device end the agent opens, the
 * simulator holding the other end in this process. Requests are framed with FrameSplitter,
 * answered by ViscaCamera, and written back paced at the baud rate (10 bits a byte, 8N1), so a
 * reply takes as long on the wire as on a real RS-232 line.
 */
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger } from "../../drivers/types.js";
import { decodeRequest } from "../../drivers/visca/codec.js";
import { FrameSplitter } from "../../drivers/visca/framer.js";
import { startSerialLine } from "../serial-endpoint.js";
import { ViscaCamera, type ViscaCameraOptions, type ViscaFaults } from "./camera.js";
import { ErrorLog } from "./errors.js";

export interface SerialCameraOptions extends ViscaCameraOptions {
  /** The path the agent opens (a symlink to the pty's slave, made by the simulator). */
  devicePath: string;
  /** Default 9600. */
  baudRate?: number;
  logger?: Logger;
}

export interface SerialCameraHandle {
  readonly camera: ViscaCamera;
  readonly faults: ViscaFaults;
  readonly devicePath: string;
  readonly baudRate: number;
  /** Errors met while running (bounded); also sent to the logger when one was given. */
  readonly errors: readonly Error[];
  /** Pulls the cable: the device path vanishes and the agent's port hangs up; the camera keeps its state (and power). */
  unplug(): Promise<void>;
  /** Puts the cable back: same path. */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

export { wireTimeMs } from "../serial-endpoint.js";

export async function startSerialCamera(options: SerialCameraOptions): Promise<SerialCameraHandle> {
  const clock: Clock = options.clock ?? systemClock;
  const baudRate = options.baudRate ?? 9600;
  const errors = new ErrorLog(options.logger, { sim: "visca", link: `serial:${options.devicePath}` });
  const camera = new ViscaCamera({ ...options, clock, announceNetworkChange: options.announceNetworkChange ?? true });
  const splitter = new FrameSplitter();
  const line = await startSerialLine(
    { devicePath: options.devicePath, baudRate, errors, pacing: { clock } },
    (line) => {
      splitter.onGarbage = (bytes, reason) => {
        // Bytes without a header are ignored by a camera; 16 bytes without FF are a message length error.
        if (reason === "too_long") camera.handle({ kind: "malformed", address: camera.address, frame: bytes });
      };
      camera.output = (frame) => line.send(frame);
      return {
        onData(chunk) {
          for (const frame of splitter.push(chunk)) {
            try {
              camera.handle(decodeRequest(frame));
            } catch (err) {
              // A model bug must not take the simulator (or the process) down: keep it visible instead.
              errors.add(err, "camera failed on a request");
            }
          }
        },
        onDisconnect: () => splitter.reset(),
        onClose: () => camera.close(),
      };
    },
  );

  return {
    camera,
    faults: camera.faults,
    devicePath: line.devicePath,
    baudRate,
    get errors() {
      return errors.list;
    },
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    close: () => line.close(),
    describe() {
      return `visca serial ${line.devicePath}@${baudRate} camera ${camera.address} ${line.plugged ? "plugged" : "unplugged"}`;
    },
  };
}
