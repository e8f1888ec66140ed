/**
 * Logins checked by the broker: a real broker with users counts the CONNECTs the centre makes. A
 * success is remembered for a minute of the injected clock (one CONNECT for many page requests),
 * a refusal never is, a user outside the broker file costs no CONNECT, and a broker that does not
 * answer is an error of its own, not a wrong password.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../../broker/server.js";
import type { BrokerUser } from "../../config/broker.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { freePort } from "../../test/helpers/net.js";
import { LoginCheckError, mqttLogins } from "./logins.js";

describe("logins checked by a CONNECT to the broker", () => {
  let broker: RunningBroker;
  let users: Record<string, BrokerUser>;
  let connects = 0;

  beforeAll(async () => {
    users = await matrixUsers();
    broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users } });
    broker.aedes.on("client", () => void connects++);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it("answers the role, remembers a success for a minute and never a refusal", async () => {
    const clock = fakeClock();
    const logins = mqttLogins({ url: broker.url, users, clock, logger: memoryLogger() });
    const before = connects;
    const refusedBefore = broker.auth!.denials.connect.bad_credentials;
    expect(await logins.verify("op-1", passwordOf("op-1"))).toBe("operator");
    expect(await logins.verify("op-1", passwordOf("op-1"))).toBe("operator");
    expect(connects - before).toBe(1);
    expect(await logins.verify("op-1", "wrong")).toBeUndefined();
    expect(await logins.verify("op-1", "wrong")).toBeUndefined();
    expect(broker.auth!.denials.connect.bad_credentials - refusedBefore).toBe(2);
    await clock.tickAsync(60_001);
    expect(await logins.verify("op-1", passwordOf("op-1"))).toBe("operator");
    expect(connects - before).toBe(2);
    expect(await logins.verify("stranger", "x")).toBeUndefined();
    expect(broker.auth!.denials.connect.bad_credentials - refusedBefore).toBe(2);
  });

  it("says the broker did not answer, rather than that the password is wrong", async () => {
    const logins = mqttLogins({ url: `mqtt://127.0.0.1:${await freePort()}`, users, clock: fakeClock(), logger: memoryLogger() });
    await expect(logins.verify("op-1", passwordOf("op-1"))).rejects.toBeInstanceOf(LoginCheckError);
  });
});
