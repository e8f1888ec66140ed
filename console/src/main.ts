/**
 * The operator console's page: login, then one MQTT connection with the user's own credentials and
 * four live views (#/ fleet, #/site/{id}, #/alarms, #/readiness); when the centre serves the page,
 * also the history pages (#/history/{audit|alarms|health}, #/report) asked of its history API with
 * the same credentials. The password lives only in this page's memory for reconnects and those
 * questions (never in storage, a URL or a log) and is dropped at logout.
 */
import { html, nothing, render, type TemplateResult } from "lit-html";
import { Commands, type CommandRecord } from "./commands.js";
import { Fleet } from "./fleet.js";
import { Link, type LinkStatus } from "./link.js";
import { parseTopic, subscriptions } from "./topics.js";
import type { SceneInfo, ViewCtx } from "./views/common.js";
import { alarmsView, fleetView, readinessView, siteView } from "./views/pages.js";
import { basicAuth, HistoryData } from "./history.js";
import { HISTORY_KINDS, historyView, reportView, type HistoryCtx, type HistoryKind } from "./views/history.js";

interface Whoami {
  user: string;
  role: "agent" | "operator" | "monitor" | "admin" | "anonymous";
  sites: string[] | "*";
  /** The centre serves the history pages; the broker's console has none. */
  history?: boolean;
}

interface Session {
  readonly user: string;
  readonly link: Link;
  readonly fleet: Fleet;
  readonly commands: Commands;
  who: Whoami | undefined;
  status: LinkStatus;
  denied: string[];
  readonly scenes: Map<string, SceneInfo | { error: string }>;
  readonly history: HistoryData;
}

const root = document.getElementById("app")!;
// A path on this origin (the broker serves the page) or the broker's ws(s):// URL (the centre serves it).
const mqttAddress = document.querySelector('meta[name="roomgate-mqtt-url"]')?.getAttribute("content") ?? "/mqtt";
let session: Session | undefined;
let loginError: string | undefined;
let lastRoute = "";

let scheduled = false;
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    draw();
  }, 0);
}

const browserClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

async function whoami(user: string, password: string): Promise<Whoami> {
  const res = await fetch("whoami", { headers: { authorization: basicAuth(user, password) }, cache: "no-store", credentials: "omit" });
  if (res.status === 401) throw new Error("the broker refused the login: wrong user name or password");
  if (res.status === 503) throw new Error("the broker did not answer the login check: try again when it is back");
  if (!res.ok) throw new Error(`the broker could not say who you are (HTTP ${res.status})`);
  return (await res.json()) as Whoami;
}

function filtersFor(who: Whoami): string[] {
  const reads = who.role !== "monitor" && who.role !== "agent" ? who.user : undefined;
  const levels = who.sites === "*" ? ["+"] : who.sites;
  return levels.flatMap((l) => subscriptions(l, reads));
}

function login(user: string, password: string): void {
  loginError = undefined;
  const fleet = new Fleet();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let s: Session;
  const commands = new Commands({ user, publish: (t, p) => s.link.publish(t, p), clock: browserClock, onChange: schedule });
  const link = new Link({
    url: /^wss?:\/\//.test(mqttAddress) ? mqttAddress : `${scheme}//${location.host}${mqttAddress}`,
    user,
    password,
    filters: async () => {
      if (s.who === undefined) {
        s.who = await whoami(user, password);
        schedule(); // the history pages appear once the server says it serves them
      }
      return filtersFor(s.who);
    },
    onStatus: (status) => {
      s.status = status;
      if (status.kind === "refused") {
        loginError = status.message;
        logout();
      }
      schedule();
    },
    onFresh: () => {
      // Take the retained picture afresh: what cleared while we were away has nothing retained left.
      fleet.sites.clear();
      schedule();
    },
    onMessage: (topic, payload) => {
      const t = parseTopic(topic);
      if (t?.kind === "res") commands.answer(t.site, payload);
      else if (fleet.apply(topic, payload)) schedule();
    },
    onDenied: (filters) => {
      s.denied = filters;
      schedule();
    },
  });
  s = { user, link, fleet, commands, who: undefined, status: { kind: "connecting" }, denied: [], scenes: new Map(), history: new HistoryData(basicAuth(user, password), schedule) };
  session = s;
  schedule();
}

function logout(): void {
  session?.link.close();
  session?.commands.stop();
  session = undefined;
  schedule();
}

function ctxOf(s: Session): ViewCtx {
  const canControl = s.who !== undefined && s.who.role !== "monitor" && s.who.role !== "agent";
  return {
    fleet: s.fleet,
    commands: s.commands,
    user: s.user,
    canControl,
    send: (key, site, device, action, args = {}, then?: (rec: CommandRecord) => void) => {
      if (canControl) s.commands.send(key, site, device, action, args, then);
    },
    scenes: (site) => {
      const known = s.scenes.get(site);
      if (known !== undefined || !canControl || s.fleet.sites.get(site)?.agent?.state !== "online" || s.commands.isPending(`${site}/scenes`)) return known;
      s.commands.send(`${site}/scenes`, site, undefined, "scene.list", {}, (rec) => {
        s.scenes.set(site, rec.status === "ok" ? (rec.data as SceneInfo) : { error: `not available from this agent (${rec.error?.code ?? rec.status})` });
        schedule();
      });
      return undefined;
    },
  };
}

function loginView(): TemplateResult {
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const user = (form.elements.namedItem("user") as HTMLInputElement).value.trim();
    const pass = form.elements.namedItem("password") as HTMLInputElement;
    const password = pass.value;
    pass.value = ""; // the form keeps nothing once it is sent
    if (user !== "") login(user, password);
  };
  return html`<main id="main" class="login">
    <h1 tabindex="-1">roomgate operator console</h1>
    <form @submit=${submit} autocomplete="on">
      <label for="user">User name</label>
      <input id="user" name="user" autocomplete="username" required autofocus />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" />
      <button type="submit">Log in</button>
      <p class="error" role="alert" data-login-error>${loginError ?? nothing}</p>
    </form>
    <p class="sub">You log in to the broker itself: what you may see and do is what its access rules give your user.</p>
  </main>`;
}

function statusBanner(s: Session): TemplateResult {
  switch (s.status.kind) {
    case "online":
      return html`<span class="conn conn-online" role="status" data-conn="online">connected</span>`;
    case "connecting":
      return html`<span class="conn conn-connecting" role="status" data-conn="connecting">connecting…</span>`;
    case "lost":
      return html`<span class="conn conn-lost" role="status" data-conn="lost">connection lost — reconnecting</span>`;
    case "refused":
      return html`<span class="conn conn-lost" role="status" data-conn="refused">refused</span>`;
  }
}

function nav(s: Session, route: string): TemplateResult {
  const alarms = s.fleet.alarms().length;
  const link = (href: string, label: string, active: boolean) => html`<a href=${href} aria-current=${active ? "page" : nothing}>${label}</a>`;
  return html`<header class="top">
    <span class="brand">roomgate</span>
    <nav aria-label="Views">
      ${link("#/", "Fleet", route === "" || route.startsWith("site/"))}
      ${link("#/alarms", `Alarms (${alarms})`, route === "alarms")}
      ${link("#/readiness", "Readiness", route === "readiness")}
      ${s.who?.history ? link("#/history/audit", "History", route.startsWith("history/") || route === "report") : nothing}
    </nav>
    ${statusBanner(s)}
    <span class="who" data-role=${s.who?.role ?? ""}>${s.user}${s.who ? ` · ${s.who.role}` : ""}${s.who?.role === "monitor" ? " (read-only)" : ""}</span>
    <button type="button" @click=${logout}>Log out</button>
  </header>`;
}

function draw(): void {
  const route = location.hash.replace(/^#\/?/, "");
  if (session === undefined) {
    render(loginView(), root);
    return;
  }
  const s = session;
  const ctx = ctxOf(s);
  const [path = "", query = ""] = route.split("?");
  const site = /^site\/([a-z0-9-]+)$/.exec(path)?.[1];
  const kind = /^history\/([a-z]+)$/.exec(path)?.[1] as HistoryKind | undefined;
  const hctx: HistoryCtx = {
    data: s.history,
    sites: [...s.fleet.sites.keys()].sort(),
    go: (to, params) => {
      const q = new URLSearchParams(params).toString();
      location.hash = `#/${to}${q ? `?${q}` : ""}`;
    },
  };
  const history = s.who?.history === true;
  const view =
    site !== undefined ? siteView(ctx, site)
    : history && kind !== undefined && (HISTORY_KINDS as readonly string[]).includes(kind) ? historyView(hctx, kind, new URLSearchParams(query))
    : history && path === "report" ? reportView(hctx, new URLSearchParams(query))
    : route === "alarms" ? alarmsView(ctx) : route === "readiness" ? readinessView(ctx) : fleetView(ctx);
  render(
    html`${nav(s, path)}
      ${s.status.kind === "lost" ? html`<p class="banner" role="alert">Connection to the broker lost: ${s.status.reason}. What you see may be out of date; it is refreshed when the connection is back.</p>` : nothing}
      ${s.denied.length > 0 ? html`<p class="banner" role="alert">The broker refused ${s.denied.length} subscription(s) for your user: ${s.denied.join(", ")}</p>` : nothing}
      <main id="main">${view}</main>
      <footer class="sub">${s.fleet.sites.size} sites${s.fleet.malformed > 0 ? ` · ${s.fleet.malformed} unreadable messages ignored` : ""}</footer>`,
    root,
  );
  if (path !== lastRoute) {
    lastRoute = path;
    (root.querySelector("main h1") as HTMLElement | null)?.focus();
  }
}

window.addEventListener("hashchange", schedule);
draw();
