/**
 * The simulated encryptor on a fake clock, with a capturing sink. Expected lines are byte strings
 * whose checksums were computed independently (Python: XOR of the bytes between $ and *).
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { runControl } from "./control.js";
import { DEFAULT_GARBAGE, Enc1Device, type Enc1DeviceOptions, type Peer } from "./device.js";

function setup(options: Enc1DeviceOptions = {}) {
  const clock = fakeClock();
  const device = new Enc1Device({ clock, ...options });
  const out: { text: string; to: Peer | undefined }[] = [];
  device.sink = (bytes, to) => out.push({ text: bytes.toString("latin1"), to });
  const lines = () => out.map((o) => o.text);
  return { clock, device, out, lines };
}

describe("Enc1Device: the device line", () => {
  it("a heartbeat every 2 s, a status line every 10 s", async () => {
    const { clock, lines } = setup();
    await clock.tickAsync(1999);
    expect(lines()).toEqual([]);
    await clock.tickAsync(1);
    expect(lines()).toEqual(["$ENC,HB,1,2*6D\n"]);
    await clock.tickAsync(8000);
    expect(lines().filter((l) => l.startsWith("$ENC,HB"))).toHaveLength(5);
    expect(lines().filter((l) => l.startsWith("$ENC,ST"))).toHaveLength(1);
  });

  it("answers $Q,ST and $Q,ID to the asker, records acks, and ER for bad or unknown lines", async () => {
    const { clock, device, out, lines } = setup();
    await clock.tickAsync(2000);
    const peer = { id: "agent" };
    device.receive(Buffer.from("$Q,S"), peer);
    device.receive(Buffer.from("T*7A\n$Q,ID*70\n"), peer); // split across reads
    device.receive(Buffer.from("$ACK,2*57\n"), peer);
    device.receive(Buffer.from("$Q,ST*00\n"), peer);
    device.receive(Buffer.from("$Q,ZEROIZE*29\n"), peer);
    device.receive(Buffer.from("line noise\n"), peer);
    expect(lines()).toEqual([
      "$ENC,HB,1,2*6D\n",
      "$ENC,ST,2,SECURE,tun=UP,key=VALID,alarm=NONE*65\n",
      "$ENC,ID,RG-ENC1-SIM,1.0.0*63\n",
      "$ENC,ER,3,CHECKSUM*4D\n",
      "$ENC,ER,4,UNSUPPORTED*12\n",
    ]);
    expect(out.slice(1).every((o) => o.to === peer)).toBe(true);
    expect(out[0]!.to).toBeUndefined(); // heartbeats go to every listener
    expect(device.acks).toEqual([2]);
    expect(device.receivedLines()).toEqual(["$Q,ST*7A\n", "$Q,ID*70\n", "$ACK,2*57\n", "$Q,ST*00\n", "$Q,ZEROIZE*29\n", "line noise\n"]);
  });

  it("state changes: the status line first, then the alarm lines that go with them", () => {
    const { device, lines } = setup();
    device.setState("BYPASS");
    device.setState("SECURE");
    expect(lines()).toEqual([
      "$ENC,ST,1,BYPASS,tun=UP,key=VALID,alarm=BYPASS_ACTIVE*28\n",
      "$ENC,AL,2,BYPASS_ACTIVE,CRIT,RAISE*42\n",
      "$ENC,ST,3,SECURE,tun=UP,key=VALID,alarm=NONE*64\n",
      "$ENC,AL,4,BYPASS_ACTIVE,CRIT,CLEAR*51\n",
    ]);
  });

  it("tunnel, key, tamper and zeroize move the state the way a device would", () => {
    const { device, lines } = setup();
    device.setTunnel("DOWN");
    expect([device.state, device.tunnel, device.summaryAlarm()]).toEqual(["TUNNEL_DOWN", "DOWN", "TUNNEL_DOWN"]);
    device.setTunnel("UP");
    expect([device.state, device.summaryAlarm()]).toEqual(["SECURE", null]);
    device.setKey("EXPIRING");
    expect(device.state).toBe("SECURE"); // a warning, still secure
    device.setKey("EXPIRED");
    expect([device.state, device.key]).toEqual(["KEY_EXPIRED", "EXPIRED"]);
    device.setKey("VALID");
    expect(device.state).toBe("SECURE");
    device.tamper();
    expect([device.state, [...device.alarms]]).toEqual(["TAMPER", [["TAMPER", "CRIT"]]]);
    device.setState("SECURE");
    expect(device.summaryAlarm()).toBe("TAMPER"); // latched until cleared explicitly
    device.alarm("TAMPER", "CLEAR");
    device.zeroize();
    expect([device.state, device.key, device.tunnel]).toEqual(["ZEROIZED", "NONE", "DOWN"]);
    expect(lines().at(-2)).toMatch(/^\$ENC,ST,\d+,ZEROIZED,tun=DOWN,key=NONE,alarm=ZEROIZED\*[0-9A-F]{2}\n$/);
    expect(lines().at(-1)).toMatch(/^\$ENC,AL,\d+,ZEROIZED,CRIT,RAISE\*[0-9A-F]{2}\n$/);
  });

  it("the status alarm field is the most severe active alarm, the latest among equals", () => {
    const { device } = setup();
    device.alarm("TEMP", "RAISE", "MIN");
    device.alarm("PSU", "RAISE", "MAJ");
    device.alarm("FAN", "RAISE", "MAJ");
    expect(device.summaryAlarm()).toBe("FAN");
    device.alarm("FAN", "CLEAR");
    expect(device.summaryAlarm()).toBe("PSU");
  });

  it("faults: silent, bad checksums, garbage, slow replies", async () => {
    const { clock, device, lines } = setup({ heartbeatMs: 1000 });
    device.faults.silent = true;
    await clock.tickAsync(3000);
    expect(lines()).toEqual([]);
    device.faults.silent = false;
    device.faults.badChecksum = true;
    await clock.tickAsync(1000);
    expect(lines()).toEqual(["$ENC,HB,4,4*91\n"]); // 0x6E ^ 0xFF (seq counts on while silent): every bit of the checksum flipped
    device.faults.badChecksum = false;
    device.faults.garbage = true;
    await clock.tickAsync(1000);
    expect(lines().at(-1)).toBe(DEFAULT_GARBAGE.toString("latin1") + "$ENC,HB,5,5*6E\n");
    device.faults.garbage = false;
    device.faults.slowMs = 300;
    device.receive(Buffer.from("$Q,ID*70\n"));
    const n = lines().length;
    await clock.tickAsync(299);
    expect(lines()).toHaveLength(n);
    await clock.tickAsync(1);
    expect(lines().at(-1)).toBe("$ENC,ID,RG-ENC1-SIM,1.0.0*63\n");
  });

  it("self-test first when asked, then the configured state", async () => {
    const { clock, device, lines } = setup({ selftestMs: 500, state: "SECURE" });
    expect(device.state).toBe("SELFTEST");
    await clock.tickAsync(500);
    expect(device.state).toBe("SECURE");
    expect(lines()).toEqual(["$ENC,ST,1,SECURE,tun=UP,key=VALID,alarm=NONE*66\n"]);
  });

  it("close stops every timer", async () => {
    const { clock, device } = setup({ selftestMs: 500 });
    device.faults.slowMs = 100;
    device.receive(Buffer.from("$Q,ID*70\n"));
    device.close();
    expect(clock.fake.countTimers()).toBe(0);
  });
});

describe("control verbs", () => {
  it("drive the device and answer with its state", () => {
    const { device, lines } = setup();
    expect(runControl(device, "state", ["bypass"])).toBe("state=BYPASS tun=UP key=VALID alarms=BYPASS_ACTIVE");
    expect(runControl(device, "state", ["SECURE"])).toBe("state=SECURE tun=UP key=VALID alarms=none");
    expect(runControl(device, "tunnel", ["down"])).toBe("state=TUNNEL_DOWN tun=DOWN key=VALID alarms=TUNNEL_DOWN");
    expect(runControl(device, "tunnel", ["up"])).toMatch(/^state=SECURE/);
    expect(runControl(device, "key", ["expired"])).toBe("state=KEY_EXPIRED tun=UP key=EXPIRED alarms=KEY_EXPIRED");
    expect(runControl(device, "key", ["valid"])).toMatch(/^state=SECURE/);
    expect(runControl(device, "alarm", ["temp", "raise", "min"])).toBe("state=SECURE tun=UP key=VALID alarms=TEMP");
    expect(lines().at(-1)).toMatch(/^\$ENC,AL,\d+,TEMP,MIN,RAISE\*/);
    expect(runControl(device, "alarm", ["TEMP", "clear"])).toMatch(/alarms=none$/);
    expect(runControl(device, "tamper", [])).toMatch(/^state=TAMPER/);
    expect(runControl(device, "zeroize", [])).toBe("state=ZEROIZED tun=DOWN key=NONE alarms=TAMPER,ZEROIZED");
    expect(runControl(device, "badchecksum", ["on"])).toBe("badChecksum=true");
    const n = lines().length;
    expect(runControl(device, "flood", ["25"])).toBe("sent 25 heartbeat lines");
    expect(lines()).toHaveLength(n + 25);
    expect(runControl(device, "reboot", [])).toBeUndefined();
  });

  it("refuse bad values with what is accepted", () => {
    const { device } = setup();
    expect(() => runControl(device, "state", ["ON_FIRE"])).toThrow(/state: expected one of selftest\|secure/);
    expect(() => runControl(device, "tunnel", [])).toThrow("tunnel: expected one of up|down, got nothing");
    expect(() => runControl(device, "key", ["maybe"])).toThrow(/key: expected one of valid\|expiring\|expired\|none/);
    expect(() => runControl(device, "alarm", ["BAD CODE!", "raise"])).toThrow(/alarm: expected a CODE/);
    expect(() => runControl(device, "alarm", ["TEMP", "raise", "HUGE"])).toThrow(/alarm severity/);
    expect(() => runControl(device, "badchecksum", ["yes"])).toThrow("badchecksum: expected on|off, got yes");
    expect(() => runControl(device, "flood", ["-3"])).toThrow(/flood: expected a line count/);
  });
});
