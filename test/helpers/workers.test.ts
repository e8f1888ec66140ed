import { describe, expect, it } from "vitest";
import { busyCores, chooseWorkers } from "./workers.js";

describe("how many test files run at once", () => {
  it("two per core on a quiet machine, at most 8 and at least 2", () => {
    expect(chooseWorkers({}, 2, () => 0.2)).toEqual({ workers: 4 });
    expect(chooseWorkers({}, 16, () => 0)).toEqual({ workers: 8 });
    expect(chooseWorkers({}, 1, () => 0)).toEqual({ workers: 2 });
  });

  it("fewer when other processes keep cores busy, and says so", () => {
    const two = chooseWorkers({}, 2, () => 1.96);
    expect(two.workers).toBe(2);
    expect(two.note).toBe("roomgate tests: 2 workers, not 4: other processes keep 2.0 of 2 cores busy (ROOMGATE_TEST_WORKERS=N sets it)");
    expect(chooseWorkers({}, 2, () => 0.8).workers).toBe(2);
    expect(chooseWorkers({}, 4, () => 1.1).workers).toBe(6);
    expect(chooseWorkers({}, 4, () => 2.1).workers).toBe(4);
  });

  it("takes ROOMGATE_TEST_WORKERS as given, without sampling, and refuses what is not a count", () => {
    expect(chooseWorkers({ ROOMGATE_TEST_WORKERS: "3" }, 2, () => { throw new Error("sampled"); })).toEqual({ workers: 3 });
    expect(() => chooseWorkers({ ROOMGATE_TEST_WORKERS: "many" }, 2, () => 0)).toThrow('ROOMGATE_TEST_WORKERS: expected a whole number of at least 1, got "many"');
    expect(() => chooseWorkers({ ROOMGATE_TEST_WORKERS: "0" }, 2, () => 0)).toThrow(/at least 1/);
  });

  it("measures busy cores between 0 and the core count", () => {
    const b = busyCores(50, 2);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThanOrEqual(2);
  });
});
