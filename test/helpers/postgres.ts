/**
 * A throw-away PostgreSQL cluster per test file (bench/lib/postgres.ts), with Debian's initdb and
 * postgres from the tools registry and a port from the tests' band. `stop()` and `start()` stop and
 * start the same server (same port and data): the centre's outage test.
 */
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../bench/lib/postgres.js";
import { freePort } from "./net.js";
import { toolPath } from "./tools.js";

export type TestPostgres = ThrowawayPostgres;

export async function startTestPostgres(): Promise<TestPostgres> {
  return startThrowawayPostgres({ postgres: toolPath("postgresql", "postgres"), initdb: toolPath("postgresql", "initdb"), port: await freePort() });
}
