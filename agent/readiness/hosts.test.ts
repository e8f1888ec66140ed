import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHost, tcpConnect, type Connect } from "./hosts.js";
import { hostCheckSchema } from "../../config/readiness.js";
import { systemClock } from "../../drivers/clock.js";
import { DeviceError } from "../../drivers/types.js";

const host = (o: Record<string, unknown> = {}) => hostCheckSchema.parse({ host: "127.0.0.1", port: 5061, warnRttMs: 50, maxRttMs: 150, ...o });
/** A network whose connections take these times (pure: the thresholds, not the sockets). */
const network = (...ms: number[]): Connect => {
  let i = 0;
  return async () => ms[i++ % ms.length]!;
};

describe("host checks", () => {
  it("judge the median round-trip time against warn and max", async () => {
    expect(await checkHost("bridge", host(), network(3, 4, 400))).toMatchObject({ result: "pass", actual: { rttMs: 4 } });
    const warn = await checkHost("bridge", host(), network(80, 90, 70));
    expect(warn).toMatchObject({ result: "warn", code: "slow_host", message: "RTT 80 ms is above 50 ms (warn)" });
    const slow = await checkHost("bridge", host(), network(300, 250, 20));
    expect(slow).toMatchObject({ result: "fail", code: "slow_host", message: "RTT 250 ms is above 150 ms" });
    expect(slow.fix).toMatch(/network/);
  });

  it("a host that does not answer is a failed item with unreachable and the reason", async () => {
    const dead: Connect = async () => {
      throw new DeviceError("timeout", "no TCP answer from 10.9.9.9:5061 within 2000 ms");
    };
    expect(await checkHost("bridge", host(), dead)).toMatchObject({ result: "fail", code: "unreachable", message: "no TCP answer from 10.9.9.9:5061 within 2000 ms" });
  });

  describe("over real TCP on loopback", () => {
    let server: net.Server;
    let port: number;
    beforeAll(async () => {
      server = net.createServer((s) => s.end());
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("a listening host passes; a closed port is refused, named in the message", async () => {
      const connect = tcpConnect(systemClock);
      expect(await checkHost("bridge", host({ port }), connect)).toMatchObject({ result: "pass" });
      const closed = await new Promise<number>((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const item = await checkHost("bridge", host({ port: closed }), connect);
      expect(item).toMatchObject({ result: "fail", code: "unreachable" });
      expect(item.message).toContain("ECONNREFUSED");
    });
  });
});
