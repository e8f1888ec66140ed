/**
 * One line per message for `roomgate watch`. Alarms stand out: a technician watching a site must
 * not miss a raised alarm among state updates.
 */
import { parseTopic } from "../agent/topics.js";

export function formatWatchLine(topic: string, payload: Buffer, retained: boolean, now: Date): string {
  const flag = retained ? " (retained)" : "";
  const body = payload.length === 0 ? "<cleared>" : payload.toString("utf8");
  const line = `${now.toISOString()} ${topic}${flag} ${body}`;
  const parsed = parseTopic(topic);
  if (parsed?.kind !== "alarm") return line;
  if (payload.length === 0) return `${line}\n    ALARM CLEARED  ${parsed.alarm}`;
  try {
    const a = JSON.parse(body) as { severity?: string; code?: string; device?: string; message?: string; ack?: { user?: string } };
    const ack = a.ack?.user ? `  (acknowledged by ${a.ack.user})` : "";
    return `${line}\n    ALARM ${String(a.severity ?? "?").toUpperCase()}  ${parsed.alarm}  ${a.code ?? "?"}${a.device ? ` on ${a.device}` : ""}: ${a.message ?? ""}${ack}`;
  } catch {
    return line; // not JSON: shown as it came
  }
}
