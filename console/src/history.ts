/**
 * The history pages' data: questions to the centre's history API (/console/api/..., basic auth with
 * the user's own name and password, which the page already holds in memory for MQTT), answers kept
 * per question so redrawing the page does not ask again. A new search asks afresh.
 */
export type Answer<T> = { state: "loading" } | { state: "ok"; data: T; at: number } | { state: "error"; message: string };

export class HistoryData {
  private readonly answers = new Map<string, Answer<unknown>>();

  constructor(
    private readonly auth: string,
    private readonly onChange: () => void,
  ) {}

  /** The answer to `path?query`, asking the centre the first time (or again after `refresh`). */
  get<T>(path: string, params: Record<string, string | undefined>): Answer<T> {
    const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
    const url = `api/${path}${q.size > 0 ? `?${q}` : ""}`;
    const known = this.answers.get(url);
    if (known !== undefined) return known as Answer<T>;
    this.answers.set(url, { state: "loading" });
    void this.ask(url);
    return { state: "loading" };
  }

  /** Forget every answer: the next draw asks again. */
  refresh(): void {
    this.answers.clear();
    this.onChange();
  }

  private async ask(url: string): Promise<void> {
    let answer: Answer<unknown>;
    try {
      const res = await fetch(url, { headers: { authorization: this.auth }, cache: "no-store", credentials: "omit" });
      const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      answer = res.ok ? { state: "ok", data: body, at: Date.now() } : { state: "error", message: body?.error?.message ?? `the centre answered HTTP ${res.status}` };
    } catch (err) {
      answer = { state: "error", message: `the centre did not answer: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.answers.set(url, answer);
    this.onChange();
  }
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
}
