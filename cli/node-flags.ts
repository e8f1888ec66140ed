/**
 * How the agent's Node process should be started on a gateway. The agent is idle nearly all the
 * time and runs for months: V8's lite mode (no optimising compiler) and a 1 MB young generation trade
 * a little CPU per command for memory (docs/performance.md has the figures). V8 reads these at start
 * only (Node 24 ignores them later, and --max-semi-space-size cannot change in a running process), so
 * they belong on the command line of the service that runs the agent:
 * `node --lite-mode --max-semi-space-size=1 --expose-gc dist/cli/main.js agent --config ...`.
 * `--expose-gc` lets the agent start a major collection every 2 minutes (agent/heap-trim.ts): V8 on
 * its own let the garbage of the polls grow RSS by 1.5 MB before collecting it.
 * The `roomgate` bin's shebang carries only the second (Node 20 prints a V8 warning for lite mode on
 * every command); on Node 20 the agent switches lite mode on itself (cli/main.ts).
 */
export const AGENT_NODE_FLAGS = ["--lite-mode", "--max-semi-space-size=1", "--expose-gc"] as const;
