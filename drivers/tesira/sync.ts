/**
 * Keeps the driver's channel values in step with the DSP: after the session becomes ready (and
 * again after every Welcome banner) it reads the firmware, subscribes to each channel's mute and
 * level, and reads every value; pushes update values by their publish token.
 *
 * A subscription answered `-ERR ALREADY_SUBSCRIBED` counts as made (the serial session outlived a
 * cable pull). A run cut short by a timeout is retried at the next successful command
 * (`resumeIfNeeded`), so values flow again without operator action.
 */
import type { Logger } from "../types.js";
import { DeviceError } from "../types.js";
import { asLevel, asMuted, readCommands, subscribeCommand } from "./actions.js";
import { encodeCommand, type TtpCommand, type TtpValue } from "./codec.js";
import type { ChannelSpec } from "./options.js";
import type { TtpOk } from "./session.js";
import type { ChannelState } from "./state.js";

type What = "mute" | "level";

export interface ChannelError {
  channel: string;
  what: What;
  err: DeviceError;
}

export interface SyncHost {
  channels: Map<string, ChannelSpec>;
  subscribe: boolean;
  levelSubscribeMs: number;
  keepaliveCommand: string;
  send(line: string): Promise<TtpOk>;
  patch(name: string, p: Partial<ChannelState>): void;
  setFirmware(v: string | null): void;
  setSubscriptions(n: number): void;
  unknownToken(token: string): void;
  healthChanged(): void;
  log: Logger;
}

/** The publish token of a channel's control: `rg_<channel>_<what>` (channel ids never hold `_`). */
export function publishToken(channel: string, what: What): string {
  return `rg_${channel.replace(/-/g, "_")}_${what}`;
}

export class ChannelSync {
  private readonly tokens = new Map<string, { channel: string; what: What }>();
  private readonly errs = new Map<string, ChannelError>();
  private current: Promise<void> | null = null;
  private again = false;
  private needed = false;

  constructor(private readonly h: SyncHost) {
    for (const c of h.channels.values()) {
      if (c.mute) this.tokens.set(publishToken(c.name, "mute"), { channel: c.name, what: "mute" });
      if (c.level) this.tokens.set(publishToken(c.name, "level"), { channel: c.name, what: "level" });
    }
  }

  /** Starts a run (or queues one more after the current). Never rejects. */
  linkUp(reason: string): void {
    this.h.log.debug({ reason }, "syncing channels");
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.loop().finally(() => {
      this.current = null;
    });
  }

  /** The run in progress (resolved when none). */
  running(): Promise<void> {
    return this.current ?? Promise.resolve();
  }

  linkDown(): void {
    this.needed = true;
  }

  /** After a good answer: finish a run that a timeout cut short. */
  resumeIfNeeded(): void {
    if (this.needed && !this.current) this.linkUp("resume after timeout");
  }

  errors(): ChannelError[] {
    return [...this.errs.values()];
  }

  push(token: string, value: TtpValue | undefined): void {
    const t = this.tokens.get(token);
    if (!t) {
      this.h.unknownToken(token);
      return;
    }
    this.h.patch(t.channel, t.what === "mute" ? { muted: asMuted(value) } : { levelDb: asLevel(value) });
  }

  /** Reads every configured value (poll). Device refusals land in errors(); timeouts reject. */
  async readAll(readFirmware: boolean): Promise<void> {
    if (readFirmware) await this.readFirmware();
    for (const c of this.h.channels.values()) {
      for (const { what, cmd } of readCommands(c)) {
        try {
          const ok = await this.h.send(line(cmd));
          this.h.patch(c.name, what === "mute" ? { muted: asMuted(ok.value) } : { levelDb: asLevel(ok.value) });
          this.errs.delete(key(c.name, what));
        } catch (e) {
          if (!isDeviceRefusal(e)) throw e;
          this.errs.set(key(c.name, what), { channel: c.name, what, err: e });
          this.h.patch(c.name, what === "mute" ? { muted: null } : { levelDb: null });
        }
      }
    }
    this.h.healthChanged();
  }

  // ---- internals ----

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.once();
        this.needed = false;
      } catch (e) {
        this.needed = true;
        this.h.log.warn({ err: (e as Error).message, code: (e as DeviceError).code }, "channel sync cut short; retried after the next answer");
      }
    } while (this.again);
  }

  private async once(): Promise<void> {
    await this.readFirmware();
    if (this.h.subscribe) {
      let made = 0;
      this.h.setSubscriptions(0);
      for (const c of this.h.channels.values()) {
        for (const what of ["mute", "level"] as const) {
          const addr = c[what];
          if (!addr) continue;
          const cmd = subscribeCommand(addr, publishToken(c.name, what), what === "level" ? this.h.levelSubscribeMs : undefined);
          try {
            await this.h.send(line(cmd));
            made++;
            this.errs.delete(key(c.name, what));
          } catch (e) {
            if (!isDeviceRefusal(e)) throw e;
            if (e.details?.["code"] === "already_subscribed") {
              made++;
              continue;
            }
            this.errs.set(key(c.name, what), { channel: c.name, what, err: e });
          }
        }
      }
      this.h.setSubscriptions(made);
    }
    await this.readAll(false);
  }

  private async readFirmware(): Promise<void> {
    try {
      const ok = await this.h.send(this.h.keepaliveCommand);
      const v = ok.value;
      this.h.setFirmware(v === undefined || v === null || typeof v === "object" ? null : String(v));
    } catch (e) {
      if (!isDeviceRefusal(e)) throw e;
      this.h.setFirmware(null); // a DSP without `DEVICE get version`: identity unknown, not an error
    }
  }
}

const key = (channel: string, what: What) => `${channel}.${what}`;
const line = (cmd: TtpCommand) => encodeCommand(cmd).trimEnd();

function isDeviceRefusal(e: unknown): e is DeviceError {
  return e instanceof DeviceError && e.code === "device_error";
}
