import { describe, expect, it } from "vitest";
import { readiness } from "./readiness.js";

const options = { communityFile: "/x", ports: { codec: 7, "cam-main": 5, uplink: { ifIndex: 24, protected: true } } };
const profile = readiness.profile.parse({ ports: { "cam-main": { up: true, poe: "delivering" }, uplink: { up: true, errors: "none" } } });
const port = (o: Record<string, unknown>) => ({ oper: "up", poe: { enabled: true, detection: "deliveringPower" }, inErrorsPerSec: 0, outErrorsPerSec: 0, ...o });

describe("switch readiness", () => {
  it("passes a room whose ports are up, delivering and error-free", () => {
    const items = readiness.evaluate(profile, { ports: { "cam-main": port({}), uplink: port({ poe: null }) } }, options);
    expect(items.map((i) => [i.key, i.result])).toEqual([["port.cam-main.up", "pass"], ["port.cam-main.poe", "pass"], ["port.uplink.up", "pass"], ["port.uplink.errors", "pass"]]);
  });

  it("a PoE port switched off fails with the fix poe.set on; a growing error count fails error_growth", () => {
    const items = readiness.evaluate(profile, { ports: { "cam-main": port({ oper: "down", poe: { enabled: false, detection: "disabled" } }), uplink: port({ inErrorsPerSec: 3, outErrorsPerSec: 0.5 }) } }, options);
    expect(items.find((i) => i.key === "port.cam-main.up")).toMatchObject({ result: "fail", code: "port_down", fix: "poe.set {port: cam-main, on: true}" });
    expect(items.find((i) => i.key === "port.cam-main.poe")).toMatchObject({ result: "fail", code: "poe_off", fix: "poe.set {port: cam-main, on: true}" });
    expect(items.find((i) => i.key === "port.uplink.errors")).toMatchObject({ result: "fail", code: "error_growth", actual: 3.5 });
  });

  it("no rate yet is a warn; an empty state plans the same keys; unknown port names are config errors", () => {
    const items = readiness.evaluate(profile, { ports: { "cam-main": port({}), uplink: port({ inErrorsPerSec: null }) } }, options);
    expect(items.find((i) => i.key === "port.uplink.errors")).toMatchObject({ result: "warn", code: "no_rate" });
    expect(readiness.evaluate(profile, {}, options).map((i) => i.key)).toEqual(["port.cam-main.up", "port.cam-main.poe", "port.uplink.up", "port.uplink.errors"]);
    expect(readiness.crossCheck!(readiness.profile.parse({ ports: { projector: { up: true } } }), options)).toEqual([{ path: ["ports", "projector"], message: 'no port "projector" in the device\'s options; known: codec, cam-main, uplink' }]);
  });
});
