/**
 * PTZ service (tptz, http://www.onvif.org/ver20/ptz/wsdl) operations. Fault codes per operation
 * follow the ONVIF PTZ Service specification (NoProfile, NoToken, InvalidPosition,
 * InvalidVelocity, InvalidSpeed, TimeoutNotSupported, SpaceNotSupported, MovingPTZ, ...).
 */
import { child, esc, type XmlElement } from "./xml.js";
import { Faults } from "./soap.js";
import type { PtzPosition, SpeedFactor } from "./camera.js";
import { bool, floatAttr, isoSeconds, parseDuration, required, type Operation } from "./operations.js";
import { profileOf } from "./profiles.js";

const T = "http://www.onvif.org/ver10/tptz";
/** The generic spaces (verified against the PTZ spec and several camera implementations). */
export const SPACES = {
  absPanTilt: `${T}/PanTiltSpaces/PositionGenericSpace`,
  absZoom: `${T}/ZoomSpaces/PositionGenericSpace`,
  relPanTilt: `${T}/PanTiltSpaces/TranslationGenericSpace`,
  relZoom: `${T}/ZoomSpaces/TranslationGenericSpace`,
  velPanTilt: `${T}/PanTiltSpaces/VelocityGenericSpace`,
  velZoom: `${T}/ZoomSpaces/VelocityGenericSpace`,
  speedPanTilt: `${T}/PanTiltSpaces/GenericSpeedSpace`,
  speedZoom: `${T}/ZoomSpaces/ZoomGenericSpeedSpace`,
} as const;

export const PTZ_NODE = "ptz_node_1";
export const PTZ_CONFIG = "ptz_config_1";
/** DefaultPTZTimeout: how long a ContinuousMove without Timeout runs. */
export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 3_600_000;

const range = (lo: number, hi: number) => `<tt:Min>${lo}</tt:Min><tt:Max>${hi}</tt:Max>`;
const space2 = (tag: string, uri: string, lo: number, hi: number) =>
  `<tt:${tag}><tt:URI>${uri}</tt:URI><tt:XRange>${range(lo, hi)}</tt:XRange><tt:YRange>${range(lo, hi)}</tt:YRange></tt:${tag}>`;
const space1 = (tag: string, uri: string, lo: number, hi: number) =>
  `<tt:${tag}><tt:URI>${uri}</tt:URI><tt:XRange>${range(lo, hi)}</tt:XRange></tt:${tag}>`;

/** The PTZ configuration, under the element name the caller needs (profile or GetConfigurations). */
export function ptzConfigurationXml(tag: string): string {
  return `<${tag} token="${PTZ_CONFIG}"><tt:Name>PTZConfig</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>${PTZ_NODE}</tt:NodeToken>` +
    `<tt:DefaultAbsolutePantTiltPositionSpace>${SPACES.absPanTilt}</tt:DefaultAbsolutePantTiltPositionSpace>` +
    `<tt:DefaultAbsoluteZoomPositionSpace>${SPACES.absZoom}</tt:DefaultAbsoluteZoomPositionSpace>` +
    `<tt:DefaultRelativePanTiltTranslationSpace>${SPACES.relPanTilt}</tt:DefaultRelativePanTiltTranslationSpace>` +
    `<tt:DefaultRelativeZoomTranslationSpace>${SPACES.relZoom}</tt:DefaultRelativeZoomTranslationSpace>` +
    `<tt:DefaultContinuousPanTiltVelocitySpace>${SPACES.velPanTilt}</tt:DefaultContinuousPanTiltVelocitySpace>` +
    `<tt:DefaultContinuousZoomVelocitySpace>${SPACES.velZoom}</tt:DefaultContinuousZoomVelocitySpace>` +
    `<tt:DefaultPTZSpeed><tt:PanTilt x="1" y="1" space="${SPACES.speedPanTilt}"/><tt:Zoom x="1" space="${SPACES.speedZoom}"/></tt:DefaultPTZSpeed>` +
    `<tt:DefaultPTZTimeout>PT${DEFAULT_TIMEOUT_MS / 1000}S</tt:DefaultPTZTimeout>` +
    `<tt:PanTiltLimits><tt:Range><tt:URI>${SPACES.absPanTilt}</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange><tt:YRange>${range(-1, 1)}</tt:YRange></tt:Range></tt:PanTiltLimits>` +
    `<tt:ZoomLimits><tt:Range><tt:URI>${SPACES.absZoom}</tt:URI><tt:XRange>${range(0, 1)}</tt:XRange></tt:Range></tt:ZoomLimits>` +
    `</${tag}>`;
}

function nodeXml(maxPresets: number): string {
  return `<tptz:PTZNode token="${PTZ_NODE}" FixedHomePosition="false" GeoMove="false"><tt:Name>PTZNode</tt:Name><tt:SupportedPTZSpaces>` +
    space2("AbsolutePanTiltPositionSpace", SPACES.absPanTilt, -1, 1) + space1("AbsoluteZoomPositionSpace", SPACES.absZoom, 0, 1) +
    space2("RelativePanTiltTranslationSpace", SPACES.relPanTilt, -1, 1) + space1("RelativeZoomTranslationSpace", SPACES.relZoom, -1, 1) +
    space2("ContinuousPanTiltVelocitySpace", SPACES.velPanTilt, -1, 1) + space1("ContinuousZoomVelocitySpace", SPACES.velZoom, -1, 1) +
    space1("PanTiltSpeedSpace", SPACES.speedPanTilt, 0, 1) + space1("ZoomSpeedSpace", SPACES.speedZoom, 0, 1) +
    `</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>${maxPresets}</tt:MaximumNumberOfPresets>` +
    `<tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode>`;
}

function positionXml(p: PtzPosition): string {
  return `<tt:PanTilt x="${p.pan}" y="${p.tilt}" space="${SPACES.absPanTilt}"/><tt:Zoom x="${p.zoom}" space="${SPACES.absZoom}"/>`;
}

/** A PTZVector / PTZSpeed element as partial axes; checks the spaces it names. */
function vector(el: XmlElement | undefined, panTiltSpace: string, zoomSpace: string): Partial<PtzPosition> {
  const pt = child(el, "PanTilt");
  const z = child(el, "Zoom");
  const out: Partial<PtzPosition> = {};
  for (const [e, uri] of [[pt, panTiltSpace], [z, zoomSpace]] as const) {
    const s = e?.attrs.get("space");
    if (s !== undefined && s !== uri) throw Faults.invalidArgVal("SpaceNotSupported", `A space that is not supported by the PTZ node is referenced: ${s}`);
  }
  if (pt) {
    const x = floatAttr(pt, "x");
    const y = floatAttr(pt, "y");
    if (x === undefined || y === undefined) throw Faults.invalidArgs("PanTilt needs x and y");
    out.pan = x;
    out.tilt = y;
  }
  if (z) {
    const x = floatAttr(z, "x");
    if (x === undefined) throw Faults.invalidArgs("Zoom needs x");
    out.zoom = x;
  }
  return out;
}

function speedOf(req: XmlElement): SpeedFactor | undefined {
  const el = child(req, "Speed");
  if (!el) return undefined;
  const v = vector(el, SPACES.speedPanTilt, SPACES.speedZoom);
  const ok = (n: number | undefined) => n === undefined || (n > 0 && n <= 1);
  if (!ok(v.pan) || !ok(v.tilt) || !ok(v.zoom)) throw Faults.invalidArgVal("InvalidSpeed", "The requested speed is out of bounds.");
  const f: SpeedFactor = {};
  if (v.pan !== undefined && v.tilt !== undefined) f.panTilt = Math.max(v.pan, v.tilt);
  if (v.zoom !== undefined) f.zoom = v.zoom;
  return f;
}

/** Every PTZ operation names a profile first. */
function ptzOp(run: (req: XmlElement, ctx: Parameters<Operation["run"]>[1]) => string): Operation {
  return {
    service: "ptz",
    preAuth: false,
    run: (req, ctx) => {
      profileOf(required(req, "ProfileToken"));
      return run(req, ctx);
    },
  };
}

const empty = (op: string) => `<tptz:${op}Response/>`;

export function ptzOperations(maxPresets: number): Record<string, Operation> {
  return {
    GetNodes: { service: "ptz", preAuth: false, run: () => `<tptz:GetNodesResponse>${nodeXml(maxPresets)}</tptz:GetNodesResponse>` },
    GetNode: {
      service: "ptz",
      preAuth: false,
      run: (req) => {
        const token = required(req, "NodeToken");
        if (token !== PTZ_NODE) throw Faults.invalidArgVal("NoEntity", `No such PTZ Node on the device: ${token}`);
        return `<tptz:GetNodeResponse>${nodeXml(maxPresets)}</tptz:GetNodeResponse>`;
      },
    },
    GetConfigurations: {
      service: "ptz",
      preAuth: false,
      run: () => `<tptz:GetConfigurationsResponse>${ptzConfigurationXml("tptz:PTZConfiguration")}</tptz:GetConfigurationsResponse>`,
    },
    GetPresets: ptzOp((_req, ctx) =>
      `<tptz:GetPresetsResponse>` +
      ctx.camera.presets().map((p) => `<tptz:Preset token="${esc(p.token)}"><tt:Name>${esc(p.name)}</tt:Name><tt:PTZPosition>${positionXml(p)}</tt:PTZPosition></tptz:Preset>`).join("") +
      `</tptz:GetPresetsResponse>`),
    GotoPreset: ptzOp((req, ctx) => {
      ctx.camera.gotoPreset(required(req, "PresetToken"), speedOf(req));
      return empty("GotoPreset");
    }),
    SetPreset: ptzOp((req, ctx) => {
      const name = child(req, "PresetName")?.text.trim();
      if (name !== undefined && (name.length > 64 || /[\u0000-\u001f]/.test(name))) {
        throw Faults.invalidArgVal("InvalidPresetName", "The PresetName is either too long or contains invalid characters.");
      }
      const token = ctx.camera.setPreset(name, child(req, "PresetToken")?.text.trim());
      return `<tptz:SetPresetResponse><tptz:PresetToken>${esc(token)}</tptz:PresetToken></tptz:SetPresetResponse>`;
    }),
    RemovePreset: ptzOp((req, ctx) => {
      ctx.camera.removePreset(required(req, "PresetToken"));
      return empty("RemovePreset");
    }),
    AbsoluteMove: ptzOp((req, ctx) => {
      const pos = child(req, "Position");
      if (!pos) throw Faults.invalidArgs("AbsoluteMove needs Position");
      ctx.camera.absoluteMove(vector(pos, SPACES.absPanTilt, SPACES.absZoom), speedOf(req));
      return empty("AbsoluteMove");
    }),
    RelativeMove: ptzOp((req, ctx) => {
      const tr = child(req, "Translation");
      if (!tr) throw Faults.invalidArgs("RelativeMove needs Translation");
      const v = vector(tr, SPACES.relPanTilt, SPACES.relZoom);
      if (Object.values(v).some((n) => Math.abs(n) > 2)) throw Faults.invalidArgVal("InvalidTranslation", "The requested translation is out of bounds.");
      ctx.camera.relativeMove(v, speedOf(req));
      return empty("RelativeMove");
    }),
    ContinuousMove: ptzOp((req, ctx) => {
      const vel = child(req, "Velocity");
      if (!vel) throw Faults.invalidArgs("ContinuousMove needs Velocity");
      const v = vector(vel, SPACES.velPanTilt, SPACES.velZoom);
      if (Object.values(v).some((n) => Math.abs(n) > 1)) throw Faults.invalidArgVal("InvalidVelocity", "The requested speed is out of bounds.");
      const t = child(req, "Timeout")?.text;
      const ms = t === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(t);
      if (ms === undefined) throw Faults.invalidArgs(`Timeout "${t}" is not an xs:duration`);
      if (ms <= 0 || ms > MAX_TIMEOUT_MS) {
        throw Faults.invalidArgVal("TimeoutNotSupported", "The specified timeout argument is not within the supported timeout range.");
      }
      ctx.camera.continuousMove(v, ms);
      return empty("ContinuousMove");
    }),
    Stop: ptzOp((req, ctx) => {
      ctx.camera.stop(bool(child(req, "PanTilt")?.text, true), bool(child(req, "Zoom")?.text, true));
      return empty("Stop");
    }),
    GotoHomePosition: ptzOp((req, ctx) => {
      ctx.camera.gotoHome(speedOf(req));
      return empty("GotoHomePosition");
    }),
    SetHomePosition: ptzOp((_req, ctx) => {
      ctx.camera.setHome();
      return empty("SetHomePosition");
    }),
    GetStatus: ptzOp((_req, ctx) => {
      const s = ctx.camera.moveStatus();
      return `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>${positionXml(ctx.camera.position())}</tt:Position>` +
        `<tt:MoveStatus><tt:PanTilt>${s.panTilt}</tt:PanTilt><tt:Zoom>${s.zoom}</tt:Zoom></tt:MoveStatus>` +
        `<tt:UtcTime>${isoSeconds(ctx.cameraNow())}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`;
    }),
  };
}
