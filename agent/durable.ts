/**
 * The drivers' durable record (drivers/types.ts DurableStore): one JSON file per device under the
 * agent's state directory, `{stateDir}/{site}.durable/{device}.json`, replaced atomically (temp file,
 * fsync, rename, fsync of the folder) so that a power cut leaves the old record or the new one, never
 * half of one. Without a state directory the record lives in memory, per device, for the agent's life.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { DurableStore, Logger } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";

export function memoryDurable(): DurableStore {
  let value: unknown;
  return {
    load: async () => (value === undefined ? undefined : structuredClone(value)),
    save: async (v) => {
      value = structuredClone(v);
    },
  };
}

export function durableFile(stateDir: string, site: string, device: string): string {
  return path.join(stateDir, `${site}.durable`, `${device}.json`);
}

export function fileDurable(file: string, logger: Logger): DurableStore {
  return {
    async load() {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        logger.error({ file, err: (err as Error).message }, "cannot read the device's durable record; starting without it");
        return undefined;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        logger.error({ file, err: (err as Error).message }, "the device's durable record is not JSON; starting without it");
        return undefined;
      }
    },
    async save(value) {
      const dir = path.dirname(file);
      const tmp = `${file}.tmp`;
      try {
        mkdirSync(dir, { recursive: true });
        const fd = openSync(tmp, "w");
        try {
          writeSync(fd, JSON.stringify(value));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, file);
        // The rename itself is durable only once the folder is synced.
        const dfd = openSync(dir, "r");
        try {
          fsyncSync(dfd);
        } finally {
          closeSync(dfd);
        }
      } catch (err) {
        throw new DeviceError("internal", `cannot write the durable record ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    },
  };
}
