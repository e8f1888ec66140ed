/**
 * A load-generating worker process of the fleet bench (forked by workers.ts): a slice of the agents,
 * or the observer (monitor and operators). It does what the main process asks over IPC and nothing
 * on its own; when the main process goes away (IPC channel closed) it exits at once, so an aborted
 * bench leaves no worker behind.
 */
import { AgentFleet } from "./agents.js";
import { Observer } from "./observer.js";
import type { Reply, Request, Window, WorkerInit } from "./protocol.js";

let part: AgentFleet | Observer | undefined;

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case "init": {
      const init = req.arg as WorkerInit;
      part = init.role === "agents" ? new AgentFleet(init) : new Observer(init);
      return null;
    }
    case "connect":
      return need().connect();
    case "start":
      need().start(req.arg as Window);
      return null;
    case "report":
      return need().report();
    case "stop":
      await part?.stop();
      return null;
  }
}

function need(): AgentFleet | Observer {
  if (!part) throw new Error("worker: not initialised");
  return part;
}

function send(reply: Reply): void {
  process.send?.(reply);
}

if (!process.send) {
  process.stderr.write("fleet worker: run by bench/fleet (needs an IPC channel)\n");
  process.exit(2);
}

process.on("message", (msg: Request) => {
  handle(msg).then(
    (value) => send({ id: msg.id, ok: true, value: value ?? null }),
    (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
