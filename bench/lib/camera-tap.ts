/**
 * A tap on a simulated camera (in the bench process): sees every request the camera handles and
 * every reply frame it schedules, with hrtime stamps on the bench's clock. The latency bench uses
 * it to split a round trip at the camera, to count the agent's polls, and to wait until the line
 * is quiet before a command.
 */
import type { ViscaCamera } from "../../simulators/visca/index.js";
import type { ViscaRequest } from "../../drivers/visca/codec.js";

export interface TapEvent {
  at: bigint;
  kind: "request" | "reply";
  /** For requests: the decoded kind (command / inquiry / ...); for replies: the frame length. */
  request?: ViscaRequest;
  bytes?: number;
}

export class CameraTap {
  inquiries = 0;
  commands = 0;
  replyBytes = 0;
  lastActivity = process.hrtime.bigint();
  private listeners = new Set<(e: TapEvent) => void>();

  constructor(camera: ViscaCamera) {
    const handle = camera.handle.bind(camera);
    camera.handle = (request: ViscaRequest, origin?: unknown) => {
      this.emit({ at: process.hrtime.bigint(), kind: "request", request });
      if (request.kind === "inquiry") this.inquiries++;
      if (request.kind === "command") this.commands++;
      handle(request, origin);
    };
    const output = camera.output;
    camera.output = (frame, origin) => {
      this.replyBytes += frame.length;
      this.emit({ at: process.hrtime.bigint(), kind: "reply", bytes: frame.length });
      output(frame, origin);
    };
  }

  private emit(e: TapEvent): void {
    this.lastActivity = e.at;
    for (const l of [...this.listeners]) l(e);
  }

  on(listener: (e: TapEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once neither a request nor a reply has been seen for `quietMs` (each event re-arms the
   * wait). A reply is scheduled when the camera answers and leaves the line up to its wire time
   * later, so `quietMs` must exceed the longest reply's wire time plus the agent's turnaround.
   */
  quiet(quietMs: number, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(done, quietMs);
      };
      const off = this.on(arm);
      const deadline = setTimeout(() => {
        off();
        clearTimeout(timer);
        reject(new Error(`the camera line was not quiet for ${quietMs} ms within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        off();
        clearTimeout(deadline);
        resolve();
      };
      arm();
    });
  }
}
