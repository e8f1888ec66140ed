/**
 * The Poly login on a fake clock: what the link writes for each prompt, when it wakes a silent
 * codec, and how a refused password holds back the next one.
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { parseLine } from "./lines.js";
import { PolyLink } from "./link.js";

function link(password: string | null = "pw") {
  const clock = fakeClock();
  const written: string[] = [];
  const seen: string[] = [];
  const l = new PolyLink(
    { clock, username: "admin", lineEnding: "\r", promptWaitMs: 1000, authRetryMs: 60_000 },
    {
      writeRaw: async (t) => void written.push(t),
      password: async () => password ?? undefined,
      onReady: (b, again) => seen.push(`ready ${b.name} ${b.fields["Model"]}${again ? " again" : ""}`),
      onLoggedOut: (why) => seen.push(`out ${why}`),
      onAuthFailed: (m) => seen.push(`auth ${m}`),
      log: () => undefined,
    },
  );
  const say = (text: string) => l.line(parseLine(text));
  const banner = () => ["Hi, my name is : ROOM-101", "Model: Group 500", "SNMP Enabled: True"].forEach(say);
  return { clock, l, written, seen, say, banner };
}

describe("PolyLink", () => {
  it("answers Username: and Password:, and is ready at the banner's end", async () => {
    const { clock, l, written, seen, banner } = link();
    l.opened();
    l.token({ type: "prompt", which: "username" });
    l.token({ type: "prompt", which: "password" });
    await clock.tickAsync(0);
    expect(written).toEqual(["admin\r", "pw\r"]);
    banner();
    expect(l.ready).toBe(true);
    expect(seen).toEqual(["ready ROOM-101 Group 500"]);
  });

  it("a silent fresh link is woken: a bare line end, then whoami, alternately", async () => {
    const { clock, l, written, banner } = link();
    l.opened();
    await clock.tickAsync(1000);
    expect(written).toEqual(["\r"]);
    await clock.tickAsync(1000);
    expect(written).toEqual(["\r", "whoami\r"]);
    banner(); // whoami's answer is the banner: a session that was logged in all along
    expect(l.ready).toBe(true);
    await clock.tickAsync(5000);
    expect(written).toHaveLength(2);
    expect(clock.fake.countTimers()).toBe(0);
  });

  it("password failed: auth failure, and the next prompt is answered only authRetryMs later", async () => {
    const { clock, l, written, seen, say } = link();
    l.opened();
    l.token({ type: "prompt", which: "password" });
    await clock.tickAsync(0);
    say("password failed");
    l.token({ type: "prompt", which: "password" });
    await clock.tickAsync(59_999);
    expect(written).toEqual(["pw\r"]); // no wake-up line either: it would be one more attempt
    expect(seen).toEqual(["auth the codec answered `password failed`; the next attempt in 60 s"]);
    await clock.tickAsync(1);
    expect(written).toEqual(["pw\r", "pw\r"]);
  });

  it("a `password failed` that follows our wake-up line, not our password, is no auth failure", async () => {
    const { clock, l, seen, say } = link();
    l.opened();
    await clock.tickAsync(1000);
    say("password failed");
    expect(seen).toEqual([]);
  });

  it("no password configured: reported, and looked at again later", async () => {
    const { clock, l, written, seen } = link(null);
    l.opened();
    l.token({ type: "prompt", which: "password" });
    await clock.tickAsync(0);
    expect(written).toEqual([]);
    expect(seen[0]).toMatch(/^auth the codec asks for a password and neither options.password nor options.passwordFile is set/);
  });

  it("a NUL while ready: logged out for a reboot; a banner again while ready: ready again", async () => {
    const { l, seen, banner } = link();
    l.opened();
    banner();
    l.token({ type: "nul" });
    expect(l.ready).toBe(false);
    banner();
    banner();
    expect(seen).toEqual(["ready ROOM-101 Group 500", "out reboot", "ready ROOM-101 Group 500", "ready ROOM-101 Group 500 again"]);
  });
});
