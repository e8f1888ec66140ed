/**
 * How the agent's Node process should be started on a gateway. The agent is idle nearly all the
 * time and runs for months: V8's lite mode (no optimising compiler) and a 1 MB young generation trade
 * a little CPU per command for memory (docs/performance.md has the figures). V8 reads these at start
 * only (Node 24 ignores them later, and --max-semi-space-size cannot change in a running process), so
 * they belong on the command line of the service that runs the agent:
 * `node --lite-mode --max-semi-space-size=1 dist/cli/main.js agent --config ...`.
 * The `roomgate` bin's shebang carries neither: it also starts `roomgate broker` (`npx roomgate
 * broker` at the centre), which needs V8's default young generation (deploy/roomgate gives each
 * command its flags); on Node 20 the agent switches lite mode on itself (cli/main.ts).
 */
export const AGENT_NODE_FLAGS = ["--lite-mode", "--max-semi-space-size=1"] as const;
