/**
 * A ready-to-paste site-file device entry for a discovered camera (`roomgate discover` prints it).
 * The password is never in it: `passwordFile` names a file the technician creates.
 */
import YAML from "yaml";
import type { DiscoveredCamera } from "./discovery.js";

/** `cam-` + a slug of the model, name or host, within the id rules ([a-z0-9-], at most 64). */
export function suggestId(c: Pick<DiscoveredCamera, "model" | "name" | "host">): string {
  const base = (c.model ?? c.name ?? c.host).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `cam-${base || "onvif"}`.slice(0, 64).replace(/-+$/, "");
}

/**
 * YAML for one device under `devices:` (indented by the caller if needed), with a comment line
 * saying what was found. `id` defaults to `suggestId(camera)`.
 */
export function formatDeviceEntry(camera: DiscoveredCamera, id?: string): string {
  const deviceId = id ?? suggestId(camera);
  const what = [camera.manufacturer, camera.model ?? camera.name].filter((s) => s).join(" ") || "ONVIF camera";
  const facts = [
    camera.firmware ? `firmware ${camera.firmware}` : null,
    camera.serial ? `serial ${camera.serial}` : null,
    camera.ptz === null ? "PTZ unknown" : camera.ptz ? "PTZ" : "no PTZ",
  ].filter((s): s is string => s !== null);
  const transport: Record<string, unknown> = { type: "http", host: camera.host, port: camera.port, path: camera.path };
  if (camera.tls) transport["tls"] = true;
  const entry = {
    [deviceId]: {
      kind: "camera",
      protocol: "onvif",
      name: camera.name ?? what,
      transport,
      options: { username: "admin", passwordFile: `secrets/${deviceId}.password` },
    },
  };
  const comment = `# ${oneLine(what)} at ${camera.host}:${camera.port} (${oneLine(facts.join(", "))}); endpoint ${oneLine(camera.endpoint)}\n` +
    `# Put the camera's password in the passwordFile (relative to the site file), and set the real user name.\n`;
  return comment + YAML.stringify(entry);
}

/** Device text goes into a comment: keep it on one line. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u0000-\u001f]+/g, " ");
}
