/**
 * Telnet option negotiation for text protocols over TCP, shared by the drivers that meet it: the
 * Tesira's TTP server (PROTOCOLS.md, "Biamp Tesira TTP") opens by negotiating options and will not
 * start the session until every request is answered; a Poly codec's telnet port 23 may negotiate too.
 * We stay a "raw" client: every `IAC DO x` is refused with `IAC WONT x`, every `IAC WILL x` with
 * `IAC DONT x`. All IAC sequences are removed from the byte stream, including
 * ones split across chunks; `IAC IAC` is a data byte 0xFF; subnegotiations (`IAC SB ... IAC SE`)
 * are skipped whole. Pure: no I/O, the caller writes `reply`.
 */
export const IAC = 0xff;
export const DONT = 0xfe;
export const DO = 0xfd;
export const WONT = 0xfc;
export const WILL = 0xfb;
export const SB = 0xfa;
export const SE = 0xf0;

export type TelnetVerb = "DO" | "DONT" | "WILL" | "WONT";

export interface TelnetNegotiation {
  verb: TelnetVerb;
  option: number;
}

export interface TelnetResult {
  /** The bytes that are not telnet commands. */
  data: Buffer;
  /** What to write back (refusals), or null when nothing. */
  reply: Buffer | null;
  /** The option requests seen in this chunk, in order (for logs and tests). */
  negotiations: TelnetNegotiation[];
}

const VERBS: Record<number, TelnetVerb> = { [DO]: "DO", [DONT]: "DONT", [WILL]: "WILL", [WONT]: "WONT" };

type Mode = "data" | "iac" | "option" | "sb" | "sb-iac";

export class TelnetFilter {
  private mode: Mode = "data";
  private verb = 0;

  /** Filters one chunk; state carries over to the next (sequences split across chunks). */
  push(chunk: Buffer): TelnetResult {
    const data: number[] = [];
    const reply: number[] = [];
    const negotiations: TelnetNegotiation[] = [];
    for (const b of chunk) {
      switch (this.mode) {
        case "data":
          if (b === IAC) this.mode = "iac";
          else data.push(b);
          break;
        case "iac":
          if (b === IAC) {
            data.push(IAC); // escaped 0xFF
            this.mode = "data";
          } else if (b === DO || b === DONT || b === WILL || b === WONT) {
            this.verb = b;
            this.mode = "option";
          } else if (b === SB) {
            this.mode = "sb";
          } else {
            this.mode = "data"; // NOP, GA, AYT...: two-byte commands, nothing to answer
          }
          break;
        case "option": {
          negotiations.push({ verb: VERBS[this.verb]!, option: b });
          // Refuse everything asked of us or offered to us; DONT/WONT need no answer.
          if (this.verb === DO) reply.push(IAC, WONT, b);
          else if (this.verb === WILL) reply.push(IAC, DONT, b);
          this.mode = "data";
          break;
        }
        case "sb":
          if (b === IAC) this.mode = "sb-iac";
          break;
        case "sb-iac":
          // IAC SE ends the subnegotiation; IAC IAC inside it is an escaped byte.
          this.mode = b === SE ? "data" : "sb";
          break;
      }
    }
    return { data: Buffer.from(data), reply: reply.length > 0 ? Buffer.from(reply) : null, negotiations };
  }

  /** The link went away: a half sequence must not swallow the first bytes of the next session. */
  reset(): void {
    this.mode = "data";
    this.verb = 0;
  }
}
