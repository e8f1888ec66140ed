/**
 * THE one table of NovaStar registers and values (PROTOCOLS.md: "reverse-engineered, verify; keep
 * them in one table"). Actions and polls look everything up here; no register appears elsewhere.
 *
 * Sources: PROTOCOLS.md; the public Bitfocus Companion module `companion-module-novastar-controller`
 * (captured frames for brightness, test patterns, display modes, MCTRL4K/VX4S inputs, model ids);
 * the public MCTRL300 captures in `dietervansteenwegen/Novastar_MCTRL300_basic_controller`
 * (brightness and test-pattern registers, write replies without data). All are third-party
 * reverse engineering, not vendor documents: everything model-specific can be overridden by
 * driver options (see options.ts).
 */
import type { Target } from "./codec.js";

/** Write to every receiving card on every port (the PROTOCOLS.md brightness example: `FF 01 FF FF FF`). */
export const ALL_RECEIVERS: Target = { destination: 0xff, deviceType: 0x01, port: 0xff, boardIndex: 0xffff };
/** Read from the first receiving card on the first port (a read needs one answering card). */
export const FIRST_RECEIVER: Target = { destination: 0x00, deviceType: 0x01, port: 0x00, boardIndex: 0x0000 };
/** The sending card / controller itself. */
export const CONTROLLER: Target = { destination: 0x00, deviceType: 0x00, port: 0x00, boardIndex: 0x0000 };

/** A register and where it lives: writes go to `target`, reads to `readTarget`. */
export interface RegisterRef {
  register: number;
  length: number;
  target: Target;
  readTarget: Target;
}

const receiverRegister = (register: number, length = 1): RegisterRef => ({
  register, length, target: ALL_RECEIVERS, readTarget: FIRST_RECEIVER,
});
const controllerRegister = (register: number, length = 1, destination = 0x00): RegisterRef => {
  const t = { ...CONTROLLER, destination };
  return { register, length, target: t, readTarget: t };
};

/** Registers common to every controller: they live on the receiving cards, or are the model id. */
export const COMMON = {
  /** Model id of the sending card: 2 bytes (Companion module reads it first on connect). */
  modelId: controllerRegister(0x00000002, 2),
  /** Global brightness 0..255. */
  brightness: receiverRegister(0x02000001),
  /** Built-in test pattern; values in TEST_PATTERNS. */
  testPattern: receiverRegister(0x02000101),
} as const;

/**
 * Test patterns at `0x02000101`. `off` is 00 (PROTOCOLS.md and the Companion module); the MCTRL300
 * captures use 01 ("normal") for off: a controller that wants 01 gets it through the
 * `testPatterns` option.
 */
export const TEST_PATTERNS: Readonly<Record<string, number>> = {
  off: 0x00,
  red: 0x02,
  green: 0x03,
  blue: 0x04,
  white: 0x05,
  horizontal: 0x06,
  vertical: 0x07,
  diagonal: 0x08,
  grayscale: 0x09,
  aging: 0x0a,
};

/**
 * How a model blacks out and freezes the picture.
 * - `receiver`: bytes on the receiving cards (PROTOCOLS.md, Companion's MCTRLxx0 table): blackout FF
 *   at 0x02000100, freeze FF at 0x02000102, normal = `00 00 00` at 0x02000100 (which also clears
 *   the test pattern at 0x02000101 and the freeze at 0x02000102).
 * - `controller`: one display-mode register on the controller (Companion's VX4S/MCTRL4K table:
 *   0x02200050, 00 normal, 01 freeze, 02 black), where blackout and freeze exclude each other.
 */
export type DisplayControl =
  | { kind: "receiver"; blackout: RegisterRef; freeze: RegisterRef; on: number; off: number; normal: { ref: RegisterRef; data: Buffer } }
  | { kind: "controller"; mode: RegisterRef; normal: number; freeze: number; blackout: number };

export const RECEIVER_DISPLAY: DisplayControl = {
  kind: "receiver",
  blackout: receiverRegister(0x02000100),
  freeze: receiverRegister(0x02000102),
  on: 0xff,
  off: 0x00,
  normal: { ref: receiverRegister(0x02000100, 3), data: Buffer.from([0x00, 0x00, 0x00]) },
};

export const CONTROLLER_DISPLAY: DisplayControl = {
  kind: "controller",
  mode: controllerRegister(0x02200050),
  normal: 0x00,
  freeze: 0x01,
  blackout: 0x02,
};

/** One controller model: how to recognise it, and its input register and values. */
export interface ModelSpec {
  name: string;
  label: string;
  /** Model ids as read from 0x00000002, hex of the two data bytes in wire order, e.g. `0311`. */
  modelIds: readonly string[];
  input: { ref: RegisterRef; values: Readonly<Record<string, number>> };
  display: DisplayControl;
}

/**
 * Built-in models. Inputs and model ids from the Companion module's captured frames; display
 * control from PROTOCOLS.md (`receiver`) for both, as the brief asks — the Companion module uses
 * the `controller` display-mode register on these two, so a site whose wall ignores the receiver
 * bytes switches with the `display` option.
 */
export const BUILTIN_MODELS: Readonly<Record<string, ModelSpec>> = {
  mctrl4k: {
    name: "mctrl4k",
    label: "NovaStar MCTRL4K",
    modelIds: ["0311"],
    // The Companion frames address the MCTRL4K input with destination FF.
    input: { ref: controllerRegister(0x02000023, 1, 0xff), values: { dvi: 0x61, hdmi: 0x05, dp: 0x5f } },
    display: RECEIVER_DISPLAY,
  },
  vx4s: {
    name: "vx4s",
    label: "NovaStar VX4S",
    modelIds: ["0661"],
    input: {
      ref: controllerRegister(0x0220002d),
      values: { dvi: 0x10, hdmi: 0xa0, dp: 0x90, vga1: 0x01, vga2: 0x02, cvbs1: 0x71, cvbs2: 0x72, sdi: 0x40 },
    },
    display: RECEIVER_DISPLAY,
  },
};

/** What options may say about a model that is not built in (or to override one). */
export interface CustomModel {
  label?: string | undefined;
  modelIds: readonly string[];
  inputRegister: number;
  inputDestination: number;
  inputs: Readonly<Record<string, number>>;
  display: "receiver" | "controller";
}

export function customModel(name: string, c: CustomModel): ModelSpec {
  return {
    name,
    label: c.label ?? name,
    modelIds: c.modelIds.map((id) => id.toLowerCase()),
    input: { ref: controllerRegister(c.inputRegister, 1, c.inputDestination), values: { ...c.inputs } },
    display: c.display === "controller" ? CONTROLLER_DISPLAY : RECEIVER_DISPLAY,
  };
}

/** The model whose ids include `modelId` (hex, any case), if any. */
export function modelForId(models: Readonly<Record<string, ModelSpec>>, modelId: string): ModelSpec | undefined {
  const id = modelId.toLowerCase();
  return Object.values(models).find((m) => m.modelIds.some((x) => x.toLowerCase() === id));
}

/**
 * Percent -> register: `Math.round(percent * 255 / 100)`, halves rounding up, so 50 % is 0x80
 * (the PROTOCOLS.md example) and 100 % is 0xFF. Fractional percents are accepted.
 */
export function percentToRaw(percent: number): number {
  return Math.min(255, Math.max(0, Math.round((percent * 255) / 100)));
}

/**
 * Register -> percent: `Math.round(raw * 100 / 255)`. Every integer percent survives the round
 * trip exactly (one percent is 2.55 register steps); raw values between two percents read as the
 * nearer one.
 */
export function rawToPercent(raw: number): number {
  return Math.round((raw * 100) / 255);
}

/** Name of `value` in `table`, or `0xNN` when the device reports a value we have no name for. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return `0x${value.toString(16).padStart(2, "0").toUpperCase()}`;
}
