/**
 * The page's one MQTT connection (MQTT 3.1.1 over the broker's WebSocket path, with the user's own
 * credentials). It reports a small status vocabulary to the page and re-subscribes by itself after
 * every (re)connect, telling the page first, so the page can drop what it knew and take the fresh
 * retained picture: an alarm that cleared while we were away has no retained message left to say so.
 */
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";

export type LinkStatus =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "lost"; reason: string }
  | { kind: "refused"; code: "bad_credentials" | "not_authorized" | "error"; message: string };

export interface LinkOptions {
  url: string;
  user: string;
  password: string;
  /** Filters to subscribe to after each connect (the first call may ask the broker who we are). */
  filters(): Promise<string[]>;
  onStatus(status: LinkStatus): void;
  /** Called on every connect before the subscriptions: whatever the page knew may be stale. */
  onFresh(): void;
  onMessage(topic: string, payload: string): void;
  /** Filters the broker refused (SUBACK 0x80), e.g. a site the user may not see. */
  onDenied(filters: string[]): void;
}

export class Link {
  private readonly client: MqttClient;
  private ended = false;

  constructor(private readonly opts: LinkOptions) {
    const bytes = new Uint8Array(4);
    globalThis.crypto.getRandomValues(bytes);
    // Status starts as connecting (the page knows); events report every change after this.
    this.client = mqtt.connect(opts.url, {
      protocolVersion: 4,
      clientId: `roomgate-console-${opts.user}-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
      username: opts.user,
      password: opts.password,
      clean: true,
      keepalive: 20,
      connectTimeout: 10_000,
      reconnectPeriod: 2_000,
      resubscribe: false,
      // Native timers: the default starts a Web Worker from a blob: URL, which our CSP forbids.
      timerVariant: "native",
    });
    this.client.on("connect", () => {
      opts.onStatus({ kind: "online" });
      opts.onFresh();
      opts.filters().then(
        (filters) =>
          this.client.subscribe(filters, { qos: 1 }, (err, granted) => {
            if (err) {
              opts.onStatus({ kind: "lost", reason: `subscribe failed: ${err.message}` });
              return;
            }
            const denied = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
            if (denied.length > 0) opts.onDenied(denied);
          }),
        (err: unknown) => opts.onStatus({ kind: "refused", code: "error", message: err instanceof Error ? err.message : String(err) }),
      );
    });
    this.client.on("message", (topic, payload) => opts.onMessage(topic, payload.toString()));
    this.client.on("offline", () => {
      if (!this.ended) opts.onStatus({ kind: "lost", reason: "the connection to the broker was lost; reconnecting" });
    });
    this.client.on("error", (err: Error & { code?: number | string }) => {
      // CONNACK 4/5: wrong name or password, or not allowed. Retrying would only repeat the refusal.
      if (err.code === 4 || err.code === 5) {
        this.close();
        opts.onStatus({
          kind: "refused",
          code: err.code === 4 ? "bad_credentials" : "not_authorized",
          message: "the broker refused the login: wrong user name or password",
        });
        return;
      }
      if (!this.ended) opts.onStatus({ kind: "lost", reason: err.message });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.publish(topic, payload, { qos: 1, retain: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.client.end(true);
  }
}
