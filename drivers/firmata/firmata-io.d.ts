/**
 * The part of firmata-io 2.3 (CommonJS, no bundled types) this driver uses. `module.exports` is a
 * function that binds a default transport; `.Firmata` is the Board class, which takes any object
 * with `on(event)` and `write(buffer, callback)` as its port.
 */
declare module "firmata-io" {
  import type { EventEmitter } from "node:events";

  export interface FirmataPort {
    on(event: string, listener: (...args: any[]) => void): unknown;
    write(data: Buffer, callback?: (err?: Error | null) => void): unknown;
  }

  export interface FirmataPin {
    supportedModes: number[];
    mode?: number;
    value: number;
    report: number;
    analogChannel: number;
    state?: number;
  }

  export class FirmataBoard extends EventEmitter {
    constructor(port: FirmataPort, options?: { reportVersionTimeout?: number; samplingInterval?: number; skipCapabilities?: boolean });
    readonly MODES: Record<string, number>;
    isReady: boolean;
    versionReceived: boolean;
    pins: FirmataPin[];
    analogPins: number[];
    version: { major?: number; minor?: number };
    firmware: { name?: string; version?: { major: number; minor: number } };
    buffer: number[];
    reportVersionTimeoutId: ReturnType<typeof setTimeout>;
    reportVersion(callback: () => void): void;
    queryFirmware(callback: () => void): void;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
    analogRead(channel: number, callback: (value: number) => void): void;
    reportDigitalPin(pin: number, value: 0 | 1): void;
    reportAnalogPin(channel: number, value: 0 | 1): void;
    queryPinState(pin: number, callback: () => void): void;
    setSamplingInterval(ms: number): void;
  }

  interface BindTransport {
    (transport: unknown): typeof FirmataBoard;
    Firmata: typeof FirmataBoard;
  }
  const bindTransport: BindTransport;
  export default bindTransport;
}
