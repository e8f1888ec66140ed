/**
 * The simulated chain at the byte level, with a fake clock. Requests and expected answers are
 * literal bytes (PROTOCOLS.md example first), never built with the driver's codec.
 */
import { describe, it, expect } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { MdcChain } from "./chain.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

function chainOf(ids: number[], bootMs = 3000) {
  const clock = fakeClock();
  const chain = new MdcChain({ displays: ids.map((id) => ({ id })), clock, bootMs });
  const out: string[] = [];
  const ask = (req: string) => chain.request(hex(req), (b) => out.push(show(b)));
  return { clock, chain, out, ask };
}

describe("simulated MDC chain", () => {
  it("answers the PROTOCOLS.md example: AA 11 01 00 12 -> AA FF 01 03 41 11 01 56", () => {
    const { ask, out } = chainOf([1]);
    ask("AA 11 01 00 12");
    expect(out).toEqual(["AA FF 01 03 41 11 01 56"]);
  });

  it("only the addressed display answers; an id nobody has gets silence", () => {
    const { ask, out } = chainOf([1, 2]);
    ask("AA 11 02 00 13");
    ask("AA 11 05 00 16");
    expect(out).toEqual(["AA FF 02 03 41 11 01 57"]);
  });

  it("broadcast FE: every display obeys, none answers", () => {
    const { ask, out, chain } = chainOf([1, 2]);
    ask("AA 25 FE 01 0A 2E"); // brightness 10 to all
    expect(out).toEqual([]);
    expect([chain.display(1).brightness, chain.display(2).brightness]).toEqual([10, 10]);
  });

  it("power-on takes bootMs: ACK at once, NAK 01 meanwhile (power get still answers on), then ready", async () => {
    const { ask, out, clock, chain } = chainOf([1], 3000);
    chain.display(1).setPower(false);
    ask("AA 11 01 01 01 14");
    ask("AA 14 01 01 21 37");
    ask("AA 11 01 00 12");
    expect(out.splice(0)).toEqual(["AA FF 01 03 41 11 01 56", "AA FF 01 03 4E 14 01 66", "AA FF 01 03 41 11 01 56"]);
    await clock.tickAsync(3000);
    ask("AA 14 01 01 21 37");
    expect(out).toEqual(["AA FF 01 03 41 14 21 79"]);
  });

  it("status and error status carry the faults", () => {
    const { ask, out, chain } = chainOf([1]);
    ask("AA 00 01 00 01");
    chain.display(1).faults.overtemp = true;
    chain.display(1).faults.fan = true;
    ask("AA 0D 01 00 0E");
    expect(out).toEqual([
      "AA FF 01 09 41 00 01 19 00 21 10 00 00 95", // on, volume 25, unmuted, HDMI1
      "AA FF 01 08 41 0D 00 01 00 00 55 01 AD", // temperature error, 85 °C, fan error
    ]);
  });

  it("blank via panel F9, and NAK storm / silent / slow / garbage faults", async () => {
    const { ask, out, chain, clock } = chainOf([1]);
    ask("AA F9 01 01 01 FC");
    expect(chain.display(1).blanked).toBe(true);
    chain.faults.nakstorm = true;
    ask("AA 12 01 01 0A 1E");
    chain.faults.nakstorm = false;
    chain.faults.silent = true;
    ask("AA 11 01 00 12");
    chain.faults.silent = false;
    chain.faults.garbage = true;
    chain.faults.slowMs = 200;
    ask("AA 11 01 00 12");
    expect(out.splice(0)).toEqual(["AA FF 01 03 41 F9 01 3E", "AA FF 01 03 4E 12 01 64"]);
    await clock.tickAsync(200);
    expect(out).toEqual(["13 37 AA FF 01 03 41 11 00 00 AA FF 01 03 41 11 01 56"]);
    expect(() => (chain.faults.slowMs = -1)).toThrow(RangeError);
  });

  it("standby: gets answer, sets other than power are refused; bad values NAK 02", () => {
    const { ask, out, chain } = chainOf([1]);
    ask("AA 25 01 01 65 8C"); // brightness 101
    chain.display(1).setPower(false);
    ask("AA 25 01 01 32 59");
    ask("AA 00 01 00 01");
    expect(out).toEqual(["AA FF 01 03 4E 25 02 78", "AA FF 01 03 4E 25 01 77", "AA FF 01 09 41 00 00 19 00 21 10 00 00 94"]);
  });
});
