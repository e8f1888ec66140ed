/**
 * Device service (tds, http://www.onvif.org/ver10/device/wsdl) operations of the simulator.
 * Access classes from the ONVIF Core specification: GetSystemDateAndTime, GetServices,
 * GetServiceCapabilities, GetCapabilities and GetHostname are PRE_AUTH; the rest need a user.
 */
import { esc, childrenNamed } from "./xml.js";
import { Faults, NS } from "./soap.js";
import { dateTimeXml, SERVICE_PATHS, type Operation, type OpContext } from "./operations.js";

function services(ctx: OpContext): Array<{ ns: string; path: string }> {
  const list: Array<{ ns: string; path: string }> = [
    { ns: NS.tds, path: SERVICE_PATHS.device },
    { ns: NS.trt, path: SERVICE_PATHS.media },
  ];
  if (ctx.ptz) list.push({ ns: NS.tptz, path: SERVICE_PATHS.ptz });
  return list;
}

export const deviceOperations: Record<string, Operation> = {
  GetSystemDateAndTime: {
    service: "device",
    preAuth: true,
    run: (_req, ctx) => {
      const now = ctx.cameraNow();
      return `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
        `<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
        `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>${dateTimeXml("UTCDateTime", now)}${dateTimeXml("LocalDateTime", now)}` +
        `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`;
    },
  },

  GetDeviceInformation: {
    service: "device",
    preAuth: false,
    run: (_req, { identity: i }) =>
      `<tds:GetDeviceInformationResponse><tds:Manufacturer>${esc(i.manufacturer)}</tds:Manufacturer>` +
      `<tds:Model>${esc(i.model)}</tds:Model><tds:FirmwareVersion>${esc(i.firmware)}</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${esc(i.serial)}</tds:SerialNumber><tds:HardwareId>${esc(i.hardwareId)}</tds:HardwareId>` +
      `</tds:GetDeviceInformationResponse>`,
  },

  GetServices: {
    service: "device",
    preAuth: true,
    run: (_req, ctx) =>
      `<tds:GetServicesResponse>` +
      services(ctx)
        .map((s) => `<tds:Service><tds:Namespace>${s.ns}</tds:Namespace><tds:XAddr>${esc(ctx.baseUrl + s.path)}</tds:XAddr>` +
          `<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`)
        .join("") +
      `</tds:GetServicesResponse>`,
  },

  GetServiceCapabilities: {
    service: "device",
    preAuth: true,
    run: () =>
      `<tds:GetServiceCapabilitiesResponse><tds:Capabilities>` +
      `<tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>` +
      `<tds:Security UsernameToken="true" HttpDigest="false"/>` +
      `<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" SystemLogging="false" FirmwareUpgrade="false"/>` +
      `</tds:Capabilities></tds:GetServiceCapabilitiesResponse>`,
  },

  GetCapabilities: {
    service: "device",
    preAuth: true,
    run: (req, ctx) => {
      const asked = childrenNamed(req, "Category").map((c) => c.text.trim());
      const all = asked.length === 0 || asked.includes("All");
      const want = (c: string) => all || asked.includes(c);
      if (asked.some((c) => !["All", "Device", "Media", "PTZ"].includes(c)) || (!all && asked.includes("PTZ") && !ctx.ptz)) {
        throw Faults.noSuchService();
      }
      const url = (p: string) => esc(ctx.baseUrl + p);
      return `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
        (want("Device") ? `<tt:Device><tt:XAddr>${url(SERVICE_PATHS.device)}</tt:XAddr></tt:Device>` : "") +
        (want("Media")
          ? `<tt:Media><tt:XAddr>${url(SERVICE_PATHS.media)}</tt:XAddr><tt:StreamingCapabilities>` +
            `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>` +
            `</tt:StreamingCapabilities></tt:Media>`
          : "") +
        (want("PTZ") && ctx.ptz ? `<tt:PTZ><tt:XAddr>${url(SERVICE_PATHS.ptz)}</tt:XAddr></tt:PTZ>` : "") +
        `</tds:Capabilities></tds:GetCapabilitiesResponse>`;
    },
  },

  GetScopes: {
    service: "device",
    preAuth: false,
    run: (_req, ctx) =>
      `<tds:GetScopesResponse>` +
      ctx.scopes.map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${esc(s)}</tt:ScopeItem></tds:Scopes>`).join("") +
      `</tds:GetScopesResponse>`,
  },

  GetHostname: {
    service: "device",
    preAuth: true,
    run: (_req, ctx) =>
      `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>` +
      `<tt:Name>${esc(ctx.identity.name.replace(/[^A-Za-z0-9-]/g, "-"))}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
  },
};
