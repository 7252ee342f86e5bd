// The installable app: Chromium finds nothing in the way of installing it,
// the service worker controls the page, and the app started offline shows
// its shell from the last copy of the page, marked as offline; a message
// written offline survives a browser restart and is sent once back online.
import { test, expect, chromium } from "@playwright/test";
import { api, signUp } from "./helpers";

test("installable, controlled by the service worker, and starts offline", async ({}, testInfo) => {
  const base = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3100";
  // Installability is judged in a persistent (non-incognito) profile.
  const launch = () =>
    chromium.launchPersistentContext(testInfo.outputPath("profile"), {
      baseURL: base,
      // The config blocks workers for the other journeys; this one needs it.
      serviceWorkers: "allow",
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync", "--disable-quic"],
    });
  let ctx = await launch();
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

    // A conversation opened online is kept on this device (its newest
    // messages, in IndexedDB): offline, it shows them, marked as saved.
    const convs = await api(page.request, base, "users.conversations", {});
    const general = convs.channels.find((c: any) => c.is_general).id;
    await api(page.request, base, "chat.postMessage", { channel: general, text: "Notes for the train" });
    await page.goto(`/c/${general}`);
    const log = page.getByRole("log", { name: "Messages" });
    await expect(log.getByText("Notes for the train")).toBeVisible();
    const savedKeys = () =>
      page.evaluate(
        () =>
          new Promise<string[]>((ok) => {
            const r = indexedDB.open("threadspace-offline", 1);
            r.onupgradeneeded = () => r.result.createObjectStore("feeds");
            r.onsuccess = () => {
              const q = r.result.transaction("feeds").objectStore("feeds").getAllKeys();
              q.onsuccess = () => {
                ok(q.result as string[]);
                r.result.close();
              };
            };
          }),
      );
    await expect.poll(async () => (await savedKeys()).some((k) => k.endsWith(`:${general}`))).toBe(true);
    await ctx.setOffline(true);
    await page.reload();
    await expect(log.getByText("Notes for the train")).toBeVisible();
    await expect(page.getByText("You are offline: these are the messages saved on this device.")).toBeVisible();

    // Written offline, then the app is closed: the message waits on the
    // device, shows again when the app is started (still offline), and is
    // sent exactly once when the network is back.
    await page.getByLabel("Message #general").fill("Written on the train");
    await page.getByLabel("Message #general").press("Enter");
    const waiting = log.locator(".msg.pending").filter({ hasText: "Written on the train" });
    await expect(waiting).toContainText("waiting for the connection");
    const outboxCount = (p: typeof page) =>
      p.evaluate(async () => JSON.parse(await (window as any).threadspaceOutbox.all()).length);
    await expect.poll(() => outboxCount(page)).toBe(1);
    // The browser is closed and started again, offline.
    await ctx.close();
    ctx = await launch();
    await ctx.setOffline(true);
    const again = ctx.pages()[0] ?? (await ctx.newPage());
    await again.goto(`/c/${general}`);
    const log2 = again.getByRole("log", { name: "Messages" });
    await expect(log2.locator(".msg.pending").filter({ hasText: "Written on the train" })).toContainText(
      "waiting for the connection",
    );
    await ctx.setOffline(false);
    await expect(log2.locator(".msg:not(.pending)").filter({ hasText: "Written on the train" })).toHaveCount(1, {
      timeout: 20_000,
    });
    await expect(log2.locator(".msg.pending")).toHaveCount(0);
    await expect.poll(() => outboxCount(again)).toBe(0);
    const hist = await api(again.request, base, "conversations.history", { channel: general, limit: 50 });
    expect(hist.messages.filter((m: any) => m.text === "Written on the train")).toHaveLength(1);

    // Signing out wipes the saved copies and page copies from this device.
    await again.getByRole("button", { name: "Sign out" }).click();
    await expect(again).toHaveURL(/\/login/);
    const dbs = () => again.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    await expect.poll(dbs).not.toContain("threadspace-offline");
    await expect.poll(dbs).not.toContain("threadspace-outbox");
    expect(await again.evaluate(() => caches.has("threadspace-pages"))).toBe(false);
  } finally {
    await ctx.close();
  }
});

// Web Push reaches the service worker (the server side, with encryption and
// a push service stand-in, is server/tests/web_push.rs): a push delivered
// over CDP shows a notification with the message, which opens it on click.
test("a push shows a notification for the message", async ({}, testInfo) => {
  const base = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3100";
  const ctx = await chromium.launchPersistentContext(testInfo.outputPath("push-profile"), {
    baseURL: base,
    serviceWorkers: "allow",
    permissions: ["notifications"],
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync", "--disable-quic"],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await signUp(page, "Pat Push", "Pushes");
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    expect(await page.evaluate(() => typeof (window as any).threadspacePush?.enable)).toBe("function");
    const convs = await api(page.request, base, "users.conversations", {});
    const general = convs.channels.find((c: any) => c.is_general).id;
    const sent = await api(page.request, base, "chat.postMessage", { channel: general, text: "Pushed hello" });
    const url = `/c/${general}/${sent.message.seq}`;

    const cdp = await ctx.newCDPSession(page);
    const regs: any[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e: any) => regs.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    const scope = `${base}/`;
    await expect.poll(() => regs.some((r) => r.scopeURL === scope && !r.isDeleted)).toBe(true);
    const registrationId = regs.find((r) => r.scopeURL === scope && !r.isDeleted).registrationId;
    const payload = { title: "Pat in #general", body: "Pushed hello", url, tag: `${general}:${sent.message.seq}` };
    const shown = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          url: n.data?.url,
        })),
      );
    // Delivered again while none shows: right after another browser's run, the
    // first delivery over CDP can arrive before the worker handles pushes (the
    // same tag replaces a notification, so a late first one adds nothing).
    const want = [{ title: payload.title, body: payload.body, tag: payload.tag, url }];
    await expect(async () => {
      if ((await shown()).length === 0) {
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: base, registrationId, data: JSON.stringify(payload) });
      }
      expect(await shown()).toEqual(want);
    }).toPass({ timeout: 20_000 });
    // A payload that is not JSON still shows something, never nothing.
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: base, registrationId, data: "plain text" });
    await expect.poll(async () => (await shown()).map((n) => n.title)).toContain("ThreadSpace");
  } finally {
    await ctx.close();
  }
});
