/**
 * How the agent's Node process should be started on a gateway. The agent is idle nearly all the
 * time and runs for months: V8's lite mode (no optimising compiler) and a 1 MB young generation trade
 * a little CPU per command for memory (docs/performance.md has the figures). V8 reads these at start
 * only (Node 24 ignores them later, and --max-semi-space-size cannot change in a running process), so
 * they belong on the command line of the service that runs the agent:
 * `node --lite-mode --max-semi-space-size=1 --expose-gc dist/cli/main.js agent --config ...`.
 * `--expose-gc` lets the agent start a major collection every 2 minutes (agent/heap-trim.ts): V8 on
 * its own let the garbage of the polls grow RSS by 1.5 MB before collecting it.
 * The `roomgate` bin's shebang carries none of them: it also starts `roomgate broker` (`npx roomgate
 * broker` at the centre), which needs V8's default young generation (deploy/roomgate gives each
 * command its flags); on Node 20 the agent switches lite mode on itself (cli/main.ts).
 */
export const AGENT_NODE_FLAGS = ["--lite-mode", "--max-semi-space-size=1", "--expose-gc"] as const;

/**
 * The environment the broker runs with (the `roomgate` bin's shebang sets it for every command,
 * deploy/roomgate for `broker`). A CONNECT's scrypt check (N 2^14) allocates 16 MB in a libuv
 * thread; glibc then raises its mmap threshold to that size and later checks come from the threads'
 * malloc arenas, which keep the memory: after a connect storm of 2,000 agents the broker held
 * ~150 MB more than its heap and Buffers (200 checks alone: 107 MB RSS, 43 MB with a fixed
 * threshold). A fixed threshold (glibc's default value, 128 kB) gives every large block back to the
 * system when it is freed. glibc reads it only at start.
 */
export const BROKER_ENV = { MALLOC_MMAP_THRESHOLD_: "131072" } as const;

/**
 * True when a site file names an SSH transport (a Cisco codec, a Poly over SSH). ssh2 needs
 * WebAssembly, which lite mode turns off: on Node 24 with --lite-mode there is no `WebAssembly`, and
 * on Node 20 lite mode switched on at run time makes V8 abort when ssh2 loads. Such a site runs the
 * agent without lite mode (about 14 MB more, docs/performance.md). A textual test, read before
 * anything loads: a false positive costs only that memory. deploy/roomgate greps the same pattern.
 */
export function siteNeedsWebAssembly(siteText: string): boolean {
  return SSH_TRANSPORT.test(siteText);
}

const SSH_TRANSPORT = /(^|[\s{,])type:[ \t]*["']?ssh["']?[ \t]*($|[,}#\s])/m;
