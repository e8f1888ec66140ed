/**
 * `promise`, or a rejection naming `what` after `ms`: so a step that hangs fails with its name
 * instead of the test's bare "timed out in 20000ms". Real time (for waits on real I/O: ptys, sockets).
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
