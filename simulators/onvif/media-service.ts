/**
 * Media service (trt, http://www.onvif.org/ver10/media/wsdl) operations: two fixed profiles
 * (main and sub stream) on one video source, each carrying the PTZ configuration when the camera
 * has PTZ. Stream URIs point at an RTSP server that does not exist: clients only read them.
 */
import { esc } from "./xml.js";
import { required, type Operation, type OpContext } from "./operations.js";
import { ptzConfigurationXml } from "./ptz-service.js";
import { PROFILES, VIDEO_SOURCE, profileOf, type ProfileDef } from "./profiles.js";

function profileXml(p: ProfileDef, ctx: OpContext): string {
  return `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="video_source_config_1"><tt:Name>VideoSourceConfig</tt:Name>` +
    `<tt:UseCount>${PROFILES.length}</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="video_encoder_${p.token}"><tt:Name>${p.name}Encoder</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.kbps}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>${p.fps * 2}</tt:GovLength>` +
    `<tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>` +
    `<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart>` +
    `</tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>` +
    (ctx.ptz ? ptzConfigurationXml("tt:PTZConfiguration") : "") +
    `</trt:Profiles>`;
}

function hostOf(ctx: OpContext): string {
  return new URL(ctx.baseUrl).hostname;
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${esc(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`;
}

export const mediaOperations: Record<string, Operation> = {
  GetProfiles: {
    service: "media",
    preAuth: false,
    run: (_req, ctx) => `<trt:GetProfilesResponse>${PROFILES.map((p) => profileXml(p, ctx)).join("")}</trt:GetProfilesResponse>`,
  },

  GetProfile: {
    service: "media",
    preAuth: false,
    run: (req, ctx) => {
      const p = profileOf(required(req, "ProfileToken"));
      return `<trt:GetProfileResponse>${profileXml(p, ctx).replace(/^<trt:Profiles/, "<trt:Profile").replace(/<\/trt:Profiles>$/, "</trt:Profile>")}</trt:GetProfileResponse>`;
    },
  },

  GetVideoSources: {
    service: "media",
    preAuth: false,
    run: () =>
      `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}"><tt:Framerate>30</tt:Framerate>` +
      `<tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
  },

  GetStreamUri: {
    service: "media",
    preAuth: false,
    run: (req, ctx) => {
      const p = profileOf(required(req, "ProfileToken"));
      return `<trt:GetStreamUriResponse>${mediaUri(`rtsp://${hostOf(ctx)}:554/${p.token}`)}</trt:GetStreamUriResponse>`;
    },
  },

  GetSnapshotUri: {
    service: "media",
    preAuth: false,
    run: (req, ctx) => {
      const p = profileOf(required(req, "ProfileToken"));
      return `<trt:GetSnapshotUriResponse>${mediaUri(`${ctx.baseUrl}/onvif/snapshot/${p.token}.jpg`)}</trt:GetSnapshotUriResponse>`;
    },
  },
};
