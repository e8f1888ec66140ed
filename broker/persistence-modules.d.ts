/** The two aedes persistences ship no types; what broker/persistence.ts uses of them. */
declare module "aedes-persistence-level" {
  /** Takes an open abstract-level database (classic-level). */
  function levelPersistence(db: unknown): unknown;
  export default levelPersistence;
}
declare module "aedes-persistence-redis" {
  /** ioredis options, or `conn`: an ioredis connection to use. */
  function redisPersistence(opts: { conn?: unknown; [option: string]: unknown }): unknown;
  export default redisPersistence;
}
