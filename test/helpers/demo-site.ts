/**
 * The demo's site file (config/examples/district-room.yaml) moved onto free loopback ports and pty
 * paths in a temp dir, so a test can run the real demo pieces beside other tests (and beside a
 * developer's own `roomgate demo`) without fighting over ports 5200, 8899, 52381, ...
 */
import path from "node:path";
import { exampleSitePath } from "../../cli/demo.js";
import { loadSiteConfig } from "../../config/load.js";
import type { SiteConfig } from "../../config/site.js";
import { freePort } from "./net.js";

export async function relocatedSite(dir: string, patch: (c: SiteConfig) => SiteConfig = (c) => c): Promise<SiteConfig> {
  const config = await loadSiteConfig(exampleSitePath());
  const devices: SiteConfig["devices"] = {};
  for (const [id, dev] of Object.entries(config.devices)) {
    const t = dev.transport;
    // A free TCP port number is as good as free for UDP on loopback here: nothing else binds these.
    const transport = t.type === "serial" ? { ...t, path: path.join(dir, id) } : { ...t, port: await freePort() };
    devices[id] = { ...dev, transport } as typeof dev;
  }
  return patch({ ...config, devices });
}
