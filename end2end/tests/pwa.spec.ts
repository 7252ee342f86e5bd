// The installable app: Chromium finds nothing in the way of installing it,
// the service worker controls the page, and the app started offline shows
// its shell from the last copy of the page, marked as offline.
import { test, expect, chromium } from "@playwright/test";
import { signUp } from "./helpers";

test("installable, controlled by the service worker, and starts offline", async ({}, testInfo) => {
  const base = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3100";
  // Installability is judged in a persistent (non-incognito) profile.
  const ctx = await chromium.launchPersistentContext(testInfo.outputPath("profile"), {
    baseURL: base,
    // The config blocks workers for the other journeys; this one needs it.
    serviceWorkers: "allow",
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync", "--disable-quic"],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await signUp(page, "Pia Pwa", "Install");
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });

    const cdp = await ctx.newCDPSession(page);
    const manifest = await cdp.send("Page.getAppManifest");
    expect(manifest.errors).toEqual([]);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors).toEqual([]);

    // What the worker may never answer from a cache: the API, sockets, files.
    const sw = await page.evaluate(async () => (await fetch("/sw.js")).text());
    expect(sw).not.toContain("__BUILD_ID__");
    for (const never of ["/api/", "/ws", "/files/"]) expect(sw).toContain(`"${never}"`);

    // Opened once online under the worker, the home page is kept; offline,
    // a reload shows it (the workspace's welcome and the sidebar), and the
    // app says it is not connected.
    await page.reload();
    await expect(page.getByRole("heading", { name: /Welcome to Install/ })).toBeVisible();
    await ctx.setOffline(true);
    await page.reload();
    await expect(page.getByRole("heading", { name: /Welcome to Install/ })).toBeVisible();
    await expect(page.locator(".sidebar")).toBeVisible();
    await expect(page.locator(".conn-banner")).toBeVisible({ timeout: 20_000 });
    // A page never opened says the app is offline, not a browser error.
    await page.goto("/people");
    await expect(page.getByRole("heading", { name: "You are offline" })).toBeVisible();
    await ctx.setOffline(false);
  } finally {
    await ctx.close();
  }
});
