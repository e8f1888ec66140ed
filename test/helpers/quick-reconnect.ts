/**
 * The agent's device transports with a short reconnect backoff (50 ms up to 500 ms), for tests that
 * pull a device's cable and put it back several times in a row without being about reconnect timing.
 * With the default backoff (250 ms doubling to 30 s, reset only after a link has been up for 5 s), a
 * device unplugged again soon after a replug resumes its backoff where it stopped: under load the
 * next attempt can be 8-16 s away, and a test waiting 10 s for "ok" fails for a reason of its own.
 */
import { createTransport } from "../../drivers/transport/index.js";

export const quickReconnect: typeof createTransport = (spec, deps) =>
  createTransport(spec, { ...deps, backoff: { initialMs: 50, maxMs: 500, stableMs: 1000 } });
