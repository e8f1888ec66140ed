import { describe, expect, it } from "vitest";
import * as contract from "../agent/topics.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { AGENT_STATES, ALARM_SEVERITIES, FleetView, HEALTH_STATUSES, RESPONSE_STATUSES, responseStatus } from "./fleet-view.js";

describe("the fleet view's vocabularies", () => {
  // The broker may not import the agent (DESIGN.md layering); this test is what keeps the copies equal.
  it("are the contract's (agent/topics.ts)", () => {
    expect(HEALTH_STATUSES).toEqual(contract.HEALTH_STATUSES);
    expect(ALARM_SEVERITIES).toEqual(contract.ALARM_SEVERITIES);
    expect(RESPONSE_STATUSES).toEqual(contract.RESPONSE_STATUSES);
    expect([...AGENT_STATES].sort()).toEqual(contract.AgentStateSchema.options.map((o) => o.shape.state.value).sort());
  });
});

describe("FleetView", () => {
  const h = (status: string) => JSON.stringify({ status, since: "2026-01-01T00:00:00Z" });

  it("counts devices by their latest health, and forgets a cleared topic", () => {
    const v = new FleetView(memoryLogger());
    v.apply("roomgate/v1/s1/dev/cam1/health", h("ok"));
    v.apply("roomgate/v1/s1/dev/cam2/health", h("ok"));
    v.apply("roomgate/v1/s2/dev/cam1/health", h("fault"));
    v.apply("roomgate/v1/s1/dev/cam2/health", h("unreachable"));
    expect(v.devicesByHealth()).toMatchObject({ ok: 1, fault: 1, unreachable: 1, degraded: 0 });
    v.apply("roomgate/v1/s2/dev/cam1/health", "");
    expect(v.devicesByHealth()).toMatchObject({ ok: 1, fault: 0, unreachable: 1 });
  });

  it("counts agents by state and alarms by severity", () => {
    const v = new FleetView(memoryLogger());
    v.apply("roomgate/v1/s1/agent/state", JSON.stringify({ state: "online", bootSeq: 1 }));
    v.apply("roomgate/v1/s2/agent/state", JSON.stringify({ state: "lost", bootSeq: 4 }));
    v.apply("roomgate/v1/s1/alarm/cam1-unreachable", JSON.stringify({ severity: "major" }));
    v.apply("roomgate/v1/s1/alarm/door", JSON.stringify({ severity: "warning" }));
    v.apply("roomgate/v1/s1/alarm/door", "");
    expect(v.agentsByState()).toMatchObject({ online: 1, lost: 1, offline: 0 });
    expect(v.alarmsBySeverity()).toMatchObject({ major: 1, warning: 0, critical: 0 });
  });

  it("counts a payload it cannot read as unknown and ignores topics outside the contract", () => {
    const v = new FleetView(memoryLogger());
    v.apply("roomgate/v1/s1/dev/cam1/health", "{not json");
    v.apply("roomgate/v1/s1/dev/cam2/health", h("sleeping"));
    v.apply("roomgate/v1/s1/dev/cam3/state", h("ok"));
    v.apply("other/v1/s1/dev/cam4/health", h("ok"));
    expect(v.devicesByHealth()).toMatchObject({ ok: 0, unknown: 2 });
  });

  it("reads a response's status for the commands counter", () => {
    expect(responseStatus(Buffer.from(JSON.stringify({ id: "c1", status: "timeout" })))).toBe("timeout");
    expect(responseStatus(Buffer.from("garbage"))).toBe("unknown");
  });
});
