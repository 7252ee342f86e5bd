// ThreadSpace's service worker. The server serves this file at /sw.js with
// BUILD's placeholder replaced by an id of the build's /pkg files, so every deploy is
// a new worker: it installs in the background, and the page offers a reload.
//
// - The app's assets (/pkg, icons, manifest) are cache-first, per build.
// - Pages are network-first; a copy of each page opened is kept, so that an
//   app started offline shows the last copy of that page (or, for a page never
//   opened, a page that says it is offline).
// - /api, /ws, /files, /exports, /avatars, /workspace-icons and every request
//   that is not a GET are never cached: they go to the network as if there
//   were no worker.
const BUILD = "__BUILD_ID__";
const ASSETS = `threadspace-assets-${BUILD}`;
const PAGES = "threadspace-pages";
const PRECACHE = [
  "/pkg/threadspace.js",
  "/pkg/threadspace.wasm",
  "/pkg/threadspace.css",
  "/manifest.webmanifest",
  "/icon.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];
const NEVER = ["/api/", "/ws", "/files/", "/exports/", "/avatars/", "/workspace-icons/", "/sw.js", "/readyz", "/healthz", "/metrics"];
const PAGE_COPIES = 30;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(ASSETS).then((c) => c.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("threadspace-assets-") && k !== ASSETS).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page asks the waiting worker to take over when the member clicks "Reload".
self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (NEVER.some((p) => url.pathname === p.replace(/\/$/, "") || url.pathname.startsWith(p))) return;
  if (url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/icons/") || url.pathname === "/icon.svg" || url.pathname === "/manifest.webmanifest") {
    event.respondWith(assetFirst(req));
  } else if (req.mode === "navigate") {
    event.respondWith(pageNetworkFirst(req));
  }
});

// Web Push (app/src/notify/push): the server pushes DMs, mentions and
// followed replies while no tab of the member is open, as JSON
// {title, body, url, tag}. A click focuses an open window on the message,
// or opens one.
self.addEventListener("push", (event) => {
  let p = {};
  try {
    p = event.data ? event.data.json() : {};
  } catch (e) {
    p = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(p.title || "ThreadSpace", {
      body: p.body || "You have a new message",
      tag: p.tag || "threadspace",
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: typeof p.url === "string" ? p.url : "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only a page of this app: a payload cannot send the member elsewhere.
  const target = new URL(event.notification.data?.url || "/", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil(
    (async () => {
      const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const win = wins.find((w) => new URL(w.url).origin === self.location.origin);
      if (win) {
        await win.focus();
        return win.navigate(url);
      }
      return self.clients.openWindow(url);
    })(),
  );
});

// The push service replaced the subscription: hand the new one to the server.
self.addEventListener("pushsubscriptionchange", (event) => {
  const options = event.oldSubscription?.options;
  if (!options) return;
  event.waitUntil(
    self.registration.pushManager.subscribe(options).then((sub) => {
      const { endpoint, keys } = sub.toJSON();
      return fetch("/api/push.subscribe", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ endpoint, keys }),
      });
    }),
  );
});

async function assetFirst(req) {
  const cache = await caches.open(ASSETS);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) cache.put(req, res.clone());
  return res;
}

async function pageNetworkFirst(req) {
  const cache = await caches.open(PAGES);
  try {
    const res = await fetch(req);
    // Only a page the member could open is kept (not a redirect to sign-in or a 404).
    if (res.ok && res.type === "basic") {
      await cache.put(req, res.clone());
      trim(cache);
    }
    return res;
  } catch (e) {
    // Only the copy of this very page: the app hydrates the page its
    // address names, so another page's copy would not fit.
    const copy = await cache.match(req, { ignoreSearch: true });
    if (copy) return copy;
    return new Response(OFFLINE_PAGE, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
  }
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const k of keys.slice(0, Math.max(0, keys.length - PAGE_COPIES))) await cache.delete(k);
}

const OFFLINE_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · ThreadSpace</title>
<link rel="stylesheet" href="/pkg/threadspace.css"></head><body><main class="auth-page"><div class="auth-card">
<h1>You are offline</h1><p class="muted">ThreadSpace will be back as soon as the network is.</p>
<a class="btn primary" href="/">Try again</a></div></main></body></html>`;
