/**
 * A real Mosquitto broker for tests: the second broker the agent must work with unchanged.
 * Ready when Mosquitto says so on stderr (no polling, no sleeps); bounded wait.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].find((p) => existsSync(p));

export class Mosquitto {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(tmpdir(), "roomgate-mosq-"));
  constructor(readonly port: number) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!MOSQUITTO) throw new Error("mosquitto not found: install it (apt-get install mosquitto)");
    const conf = path.join(this.dir, "mosquitto.conf");
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n`);
    const child = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 5 s:\n${log}`)), 5000);
      child.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
        if (/mosquitto version \S+ running/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${code}:\n${log}`));
      });
    });
    // Keep draining stderr so the pipe never fills.
    child.stderr!.resume();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
