/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * A real browser for the console's e2e tests: playwright-core driving Debian's chromium (no browser
 * download: .ci/run installs the `chromium` package when it is missing; test/helpers/tools.ts finds
 * it on PATH or at $ROOMGATE_CHROMIUM, gate tests with describeWith("chromium")). Every request the page
 * makes and every console error it logs is recorded, so tests can assert that nothing leaves the
 * broker's origin and that no Content-Security-Policy violation happened. (The DOM lib above is for
 * the page.evaluate callbacks, which run in the browser.)
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { toolPath } from "./tools.js";

export const VIEWPORT = { width: 1366, height: 768 };

export function launch(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: toolPath("chromium"), args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly requests: string[];
  readonly errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: VIEWPORT, serviceWorkers: "block" });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("websocket", (ws) => requests.push(ws.url()));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  return { context, page, requests, errors };
}

export async function logIn(page: Page, user: string, password: string): Promise<void> {
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * Records every `data-status` a command line of the page shows, in order (a MutationObserver in
 * the page), so a test can assert "pending, then ok" without racing the DOM.
 */
export async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __statuses: Record<string, string[]> };
    w.__statuses = {};
    const note = (el: Element) => {
      const key = el.getAttribute("data-key");
      const status = el.getAttribute("data-status");
      if (key === null || status === null || status === "none") return;
      const list = (w.__statuses[key] ??= []);
      if (list[list.length - 1] !== status) list.push(status);
    };
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "attributes" && r.target instanceof Element) note(r.target);
        for (const n of r.addedNodes) if (n instanceof Element) n.querySelectorAll("[data-key]").forEach(note);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  });
}

export function statuses(page: Page, key: string): Promise<string[]> {
  return page.evaluate((k) => (window as unknown as { __statuses: Record<string, string[]> }).__statuses[k] ?? [], key);
}

/**
 * Clicks (or does whatever `act` does) and waits until the command line of `key` shows the answer
 * to a new command (not the one it showed before): returns its status.
 */
export async function answered(page: Page, key: string, act: () => Promise<void>, timeoutMs = 20_000): Promise<string> {
  const line = page.locator(`[data-key="${key}"]`).first();
  const before = (await line.count()) > 0 ? await line.getAttribute("data-cmd") : null;
  await act();
  const handle = await page.waitForFunction(
    ([k, b]) => {
      const el = document.querySelector(`[data-key="${k}"]`);
      const id = el?.getAttribute("data-cmd") ?? "";
      const status = el?.getAttribute("data-status") ?? "none";
      return id !== "" && id !== b && status !== "pending" && status !== "none" ? status : false;
    },
    [key, before ?? ""] as const,
    { timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as string;
}
