/**
 * HTTP "transport" (ONVIF and other SOAP/HTTP devices): an endpoint, not a socket.
 *
 * HTTP devices are reached by requests, each on its own (kept-alive) connection that the HTTP
 * client manages, so there is no link to hold open or re-open. This transport carries the
 * endpoint (host, port, path, scheme) to the driver, keeps the lifecycle every transport has
 * (`open` / `close`, status events), and refuses byte writes. Whether the device answers is the
 * driver's business: it reports that through health, from the outcome of its requests.
 */
import { EventEmitter } from "node:events";
import { TransportError, type Transport, type TransportEvents, type TransportState } from "./types.js";

export interface HttpEndpointOptions {
  host: string;
  port: number;
  /** Request path of the entry service, e.g. `/onvif/device_service`. Default `/`. */
  path?: string;
  /** https instead of http. Default false. */
  tls?: boolean;
}

export class HttpEndpoint extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "http" as const;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly tls: boolean;
  private current: TransportState = "idle";

  /** Throws a TransportError `bad_config` for a host, port or path that can never work. */
  constructor(opts: HttpEndpointOptions) {
    super();
    if (typeof opts.host !== "string" || opts.host === "" || /[\s/]/.test(opts.host)) {
      throw new TransportError("bad_config", `http.host: expected a host name or IP address; got "${String(opts.host)}"`);
    }
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
      throw new TransportError("bad_config", `http.port: expected an integer 1..65535; got ${opts.port}`);
    }
    const path = opts.path ?? "/";
    if (!path.startsWith("/")) throw new TransportError("bad_config", `http.path: expected a path starting with /; got "${path}"`);
    this.host = opts.host;
    this.port = opts.port;
    this.path = path;
    this.tls = opts.tls ?? false;
  }

  /** `http://host:port/path` (no credentials ever appear here). */
  get url(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `${this.tls ? "https" : "http"}://${host}:${this.port}${this.path}`;
  }

  get description(): string {
    return this.url;
  }

  get state(): TransportState {
    return this.current;
  }

  async open(): Promise<void> {
    if (this.current === "closed") throw new TransportError("closed", `${this.url}: transport was closed`);
    if (this.current === "open") return;
    this.current = "open";
    this.emit("status", { state: "open", attempt: 0 });
  }

  async close(): Promise<void> {
    if (this.current === "closed") return;
    this.current = "closed";
    this.emit("status", { state: "closed", attempt: 0 });
  }

  write(_data: Buffer): Promise<void> {
    return Promise.reject(new TransportError("bad_config", `${this.url}: an HTTP endpoint carries requests, not raw bytes`));
  }
}
