/**
 * Samsung MDC command bytes and value tables, in one place.
 *
 * Sources: /work/shared/PROTOCOLS.md (Samsung MDC section) and the MDC protocol document as
 * implemented by python-samsung-mdc (vgavro/samsung-mdc, commands.py, spec v13.7c/v15.0).
 * Input codes marked (verify) in PROTOCOLS.md are the public spec's values; a model may lack some.
 */

/** Command bytes (the `CMD` of a request, the `rCMD` of its ACK/NAK). */
export const MDC_CMD = {
  status: 0x00,
  serialNumber: 0x0b,
  errorStatus: 0x0d,
  softwareVersion: 0x0e,
  modelNumber: 0x10,
  power: 0x11,
  volume: 0x12,
  mute: 0x13,
  input: 0x14,
  contrast: 0x24,
  brightness: 0x25,
  modelName: 0x8a,
  panel: 0xf9,
} as const;

export type MdcCommandName = keyof typeof MDC_CMD;

/** Power values of command 11 (and the first byte of the status answer). */
export const POWER_VALUE = { off: 0x00, on: 0x01, reboot: 0x02 } as const;

/** Panel (F9) values: 00 = panel on (picture shown), 01 = panel off (blanked). */
export const PANEL_VALUE = { shown: 0x00, blanked: 0x01 } as const;

/**
 * The operator's input names and the code `input.select` sends (one table: name -> code).
 * From PROTOCOLS.md: 14 PC, 18 DVI, 0C AV, 21 HDMI1, 23 HDMI2, 31 HDMI3, 33 HDMI4, 25 DP1, 26 DP2, 55 HDBaseT.
 */
export const INPUT_CODES = {
  hdmi1: 0x21,
  hdmi2: 0x23,
  hdmi3: 0x31,
  hdmi4: 0x33,
  dp1: 0x25,
  dp2: 0x26,
  dvi: 0x18,
  pc: 0x14,
  av: 0x0c,
  hdbaset: 0x55,
} as const;

export type InputName = keyof typeof INPUT_CODES;
export const INPUT_NAMES = Object.keys(INPUT_CODES) as [InputName, ...InputName[]];

/**
 * Codes a display may report that `input.select` does not send. The `_PC` variants (22, 24, 32, 34)
 * are the same physical HDMI port in PC mode, so they read back as that port: the operator asked
 * "is the wall on HDMI1?", and it is.
 */
const EXTRA_INPUT_NAMES: Record<number, string> = {
  0x04: "s-video",
  0x08: "component",
  0x0d: "av2",
  0x0e: "scart",
  0x1e: "bnc",
  0x1f: "dvi",
  0x20: "magicinfo",
  0x22: "hdmi1",
  0x24: "hdmi2",
  0x27: "dp3",
  0x30: "tv",
  0x32: "hdmi3",
  0x34: "hdmi4",
  0x40: "dtv",
  0x50: "plug-in-module",
  0x60: "magicinfo-s",
  0x61: "screen-mirroring",
  0x62: "internal-usb",
  0x63: "url-launcher",
  0x64: "iwb",
};

const NAME_BY_CODE = new Map<number, string>([
  ...Object.entries(EXTRA_INPUT_NAMES).map(([k, v]) => [Number(k), v] as [number, string]),
  ...Object.entries(INPUT_CODES).map(([k, v]) => [v, k] as [number, string]),
]);

/** The name of an input code as the display reports it; unknown codes read `code-0xNN`. */
export function inputName(code: number): string {
  return NAME_BY_CODE.get(code) ?? `code-0x${code.toString(16).padStart(2, "0")}`;
}

/** Model species of the model-number answer (command 10, first value). */
export const MODEL_SPECIES: Record<number, string> = {
  0x01: "PDP", 0x02: "LCD", 0x03: "DLP", 0x04: "LED", 0x05: "CRT", 0x06: "OLED",
};
