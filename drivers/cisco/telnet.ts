/**
 * Telnet on TC / old CE codecs (part B, C4): the codec opens with `FF FD 18 FF FD 20 FF FD 23 FF FD 27`
 * (DO TERMINAL-TYPE, TERMINAL-SPEED, X-DISPLAY, NEW-ENVIRON). We refuse every option (WONT to a DO,
 * DONT to a WILL), skip subnegotiations, and pass the data bytes on. Pure and incremental: a
 * sequence split across chunks is kept until it is whole.
 */
const IAC = 0xff;
const [SE, SB, WILL, WONT, DO, DONT] = [0xf0, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe];

export class TelnetFilter {
  private state: "data" | "iac" | "opt" | "sb" | "sb-iac" = "data";
  private verb = 0;

  /** Data bytes, and the refusals to send back (empty when none). */
  push(chunk: Buffer): { data: Buffer; reply: Buffer } {
    const data: number[] = [];
    const reply: number[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case "data":
          if (b === IAC) this.state = "iac";
          else data.push(b);
          break;
        case "iac":
          if (b === IAC) {
            data.push(IAC);
            this.state = "data";
          } else if (b === DO || b === DONT || b === WILL || b === WONT) {
            this.verb = b;
            this.state = "opt";
          } else if (b === SB) this.state = "sb";
          else this.state = "data"; // NOP, GA and the like carry no option
          break;
        case "opt":
          if (this.verb === DO) reply.push(IAC, WONT, b);
          else if (this.verb === WILL) reply.push(IAC, DONT, b);
          this.state = "data";
          break;
        case "sb":
          if (b === IAC) this.state = "sb-iac";
          break;
        case "sb-iac":
          this.state = b === SE ? "data" : "sb";
          break;
      }
    }
    return { data: Buffer.from(data), reply: Buffer.from(reply) };
  }

  reset(): void {
    this.state = "data";
  }
}
