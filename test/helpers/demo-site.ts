/**
 * The demo's site file (config/examples/district-room.yaml) moved onto free loopback ports and pty
 * paths in a temp dir (simulators/site-endpoints.ts, as `roomgate demo --free-ports` does), so a
 * test can run the real demo pieces beside other tests and beside a developer's own `roomgate demo`.
 */
import { exampleSitePath } from "../../cli/demo.js";
import { loadSiteConfig } from "../../config/load.js";
import type { SiteConfig } from "../../config/site.js";
import { relocateSite } from "../../simulators/site-endpoints.js";
import { freePort } from "./net.js";

export async function relocatedSite(dir: string, patch: (c: SiteConfig) => SiteConfig = (c) => c): Promise<SiteConfig> {
  // Ports from the test's own band (test/helpers/net.ts), never ones the kernel may hand out again.
  return patch(await relocateSite(await loadSiteConfig(exampleSitePath()), dir, () => freePort()));
}
