// The first load: what a browser with an empty cache downloads for the
// sign-in page and for the app's home page, and how long until the page
// answers clicks (hydrated). Bytes are as transferred (after compression),
// counted by Chromium (CDP Network.loadingFinished). The figures are printed
// (docs/benchmarks.md has them); the test checks what must hold whatever
// the figures: the WASM, its JS and the CSS come compressed, and pages too.
import { test, expect, Page } from "@playwright/test";
import { signUp } from "./helpers";

type Load = { bytes: number; raw: number; ms: number; encodings: Record<string, string> };

async function measure(page: Page, path: string): Promise<Load> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const urls = new Map<string, string>();
  const encodings: Record<string, string> = {};
  let bytes = 0;
  cdp.on("Network.responseReceived", (e: any) => {
    urls.set(e.requestId, e.response.url);
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v as string]));
    encodings[new URL(e.response.url).pathname] = h["content-encoding"] ?? "identity";
  });
  cdp.on("Network.loadingFinished", (e: any) => {
    if (urls.has(e.requestId)) bytes += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(path);
  await page.waitForFunction(() => (window as any).__hydrated === true, null, { timeout: 30_000 });
  const ms = Date.now() - start;
  await page.waitForLoadState("networkidle");
  const raw = await page.evaluate(() =>
    performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation"))
      .reduce((n, r: any) => n + (r.decodedBodySize ?? 0), 0),
  );
  await cdp.detach();
  return { bytes, raw, ms, encodings };
}

test("the first load comes compressed, and its size and time are reported", async ({ browser, baseURL }) => {
  const opts = { baseURL, serviceWorkers: "block" as const };
  const signIn = await browser.newContext(opts);
  const login = await measure(await signIn.newPage(), "/login");
  await signIn.close();

  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  await signUp(page, "Flo First");
  const home = await measure(page, "/");
  await ctx.close();

  for (const [name, l] of [["/login", login], ["/ (signed in)", home]] as const) {
    console.log(
      `first load ${name}: ${(l.bytes / 1024).toFixed(0)} KB transferred (${(l.raw / 1024).toFixed(0)} KB uncompressed), interactive after ${l.ms} ms`,
    );
  }
  for (const asset of ["/pkg/threadspace.wasm", "/pkg/threadspace.js", "/pkg/threadspace.css", "/login"]) {
    expect(["br", "gzip"], `${asset}: ${JSON.stringify(login.encodings)}`).toContain(login.encodings[asset]);
  }
  expect(login.bytes).toBeLessThan(login.raw);
});
