// Registers the service worker (public/sw.js) and passes what the browser
// says to the app as window events, which the app's shell listens for:
//   threadspace:update-ready  a new version is installed and waiting
//   threadspace:installable   the browser offers to install the app
//   threadspace:installed     it was installed (the button goes away)
// and does what the app asks by events of its own:
//   threadspace:apply-update  switch to the new version (the page reloads)
//   threadspace:install       show the browser's install prompt
// Events sent before the app hydrated are not lost: window.threadspacePwa
// holds the state, and the shell reads it when it starts.
(() => {
  const state = { updateReady: false, installable: false };
  window.threadspacePwa = state;
  const tell = (name) => window.dispatchEvent(new Event(name));
  let installPrompt = null;
  window.addEventListener("beforeinstallprompt", (e) => {
    e.preventDefault();
    installPrompt = e;
    state.installable = true;
    tell("threadspace:installable");
  });
  const installed = () => {
    installPrompt = null;
    state.installable = false;
    tell("threadspace:installed");
  };
  window.addEventListener("appinstalled", installed);
  window.addEventListener("threadspace:install", async () => {
    if (!installPrompt) return;
    installPrompt.prompt();
    const choice = await installPrompt.userChoice;
    if (choice.outcome === "accepted") installed();
  });
  if (!("serviceWorker" in navigator)) return;
  let waiting = null;
  const ready = (w) => {
    waiting = w;
    state.updateReady = true;
    tell("threadspace:update-ready");
  };
  navigator.serviceWorker
    .register("/sw.js")
    .then((reg) => {
      // A first install is not an update: only a worker that arrives while
      // another controls the page is a new version.
      if (reg.waiting && navigator.serviceWorker.controller) ready(reg.waiting);
      reg.addEventListener("updatefound", () => {
        const w = reg.installing;
        w?.addEventListener("statechange", () => {
          if (w.state === "installed" && navigator.serviceWorker.controller) ready(w);
        });
      });
      // A tab left open for days still hears of new versions.
      setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
    })
    .catch((e) => console.warn("service worker not registered", e));
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (waiting && !reloading) {
      reloading = true;
      location.reload();
    }
  });
  window.addEventListener("threadspace:apply-update", () => waiting?.postMessage("skip-waiting"));
})();

// Saved copies of each conversation's newest messages (IndexedDB), for an
// app started offline (app/src/messages/ui/offline.rs):
//   threadspaceOffline.save(key, json)   keeps a copy (at most 20, the oldest go)
//   threadspaceOffline.load(key)         a Promise of the copy, or null
// Opening the sign-in page (as signing out does) wipes the copies and the
// service worker's page copies, so the next person on this device sees none.
// IndexedDB in promises, for the two stores below: a database of one object
// store, opened per call; a request's result.
const tsIdb = {
  open: (name, store) =>
    new Promise((ok, fail) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(store);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    }),
  done: (req) => new Promise((ok, fail) => { req.onsuccess = () => ok(req.result); req.onerror = () => fail(req.error); }),
};
(() => {
  const KEEP = 20;
  const open = () => tsIdb.open("threadspace-offline", "feeds");
  const done = tsIdb.done;
  window.threadspaceOffline = {
    async save(key, json) {
      try {
        const db = await open();
        const store = db.transaction("feeds", "readwrite").objectStore("feeds");
        await done(store.put({ json, at: Date.now() }, key));
        const keys = await done(store.getAllKeys());
        if (keys.length > KEEP) {
          const all = await done(store.getAll());
          const order = keys.map((k, i) => [all[i].at, k]).sort((a, b) => a[0] - b[0]);
          for (const [, k] of order.slice(0, keys.length - KEEP)) store.delete(k);
        }
        db.close(); // the transaction still completes
      } catch (e) {
        console.warn("offline copy not saved", e);
      }
    },
    async load(key) {
      try {
        const db = await open();
        const row = await done(db.transaction("feeds").objectStore("feeds").get(key));
        db.close();
        return row ? row.json : null;
      } catch (e) {
        return null;
      }
    },
  };
  if (location.pathname === "/login") {
    try { indexedDB.deleteDatabase("threadspace-offline"); } catch (e) {}
    try { indexedDB.deleteDatabase("threadspace-outbox"); } catch (e) {}
    if ("caches" in window) caches.delete("threadspace-pages").catch(() => {});
  }
})();

// The offline outbox (app/src/messages/ui/outbox.rs): channel messages sent
// but not yet acknowledged, kept across restarts until the server has them.
//   threadspaceOutbox.put(id, json)  keeps one under its client_msg_id
//   threadspaceOutbox.remove(id)     forgets it
//   threadspaceOutbox.all()          a Promise of a JSON array, oldest first
// At most 500 are kept (the oldest go). Signing out wipes it (above).
(() => {
  const KEEP = 500;
  const open = () => tsIdb.open("threadspace-outbox", "outbox");
  const done = tsIdb.done;
  const finished = (tx) => new Promise((ok, fail) => { tx.oncomplete = () => ok(); tx.onerror = () => fail(tx.error); tx.onabort = () => fail(tx.error); });
  window.threadspaceOutbox = {
    async put(id, json) {
      try {
        const db = await open();
        const tx = db.transaction("outbox", "readwrite");
        const store = tx.objectStore("outbox");
        const old = await done(store.get(id));
        store.put({ json, at: old ? old.at : Date.now() }, id);
        const keys = await done(store.getAllKeys());
        if (keys.length > KEEP) {
          const all = await done(store.getAll());
          const order = keys.map((k, i) => [all[i].at, k]).sort((a, b) => a[0] - b[0]);
          for (const [, k] of order.slice(0, keys.length - KEEP)) store.delete(k);
        }
        await finished(tx);
        db.close();
      } catch (e) {
        console.warn("outbox: not kept", e);
      }
    },
    async remove(id) {
      try {
        const db = await open();
        const tx = db.transaction("outbox", "readwrite");
        tx.objectStore("outbox").delete(id);
        await finished(tx);
        db.close();
      } catch (e) {
        console.warn("outbox: not removed", e);
      }
    },
    async all() {
      try {
        const db = await open();
        const rows = await done(db.transaction("outbox").objectStore("outbox").getAll());
        db.close();
        rows.sort((a, b) => a.at - b.at);
        return "[" + rows.map((r) => r.json).join(",") + "]";
      } catch (e) {
        return "[]";
      }
    },
  };
})();

// Web Push (app/src/notify/push): DMs, mentions and followed replies reach
// this device while no tab is open.
//   threadspacePush.enable(key)  called by the app with the server's VAPID
//     key: once notifications are allowed (now, or when the member allows
//     them), subscribes this browser and hands the subscription to
//     push.subscribe. The server forgets it when this session signs out.
(() => {
  const b64 = (s) => {
    const raw = atob((s + "=".repeat((4 - (s.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  let pending = null;
  const subscribe = async (key) => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || Notification.permission !== "granted") return false;
    try {
      const reg = await navigator.serviceWorker.ready;
      const options = { userVisibleOnly: true, applicationServerKey: b64(key) };
      let sub = await reg.pushManager.getSubscription();
      if (sub && sub.options.applicationServerKey) {
        const had = new Uint8Array(sub.options.applicationServerKey);
        if (had.join() !== options.applicationServerKey.join()) {
          await sub.unsubscribe(); // the server's key changed
          sub = null;
        }
      }
      if (!sub) sub = await reg.pushManager.subscribe(options);
      const { endpoint, keys } = sub.toJSON();
      const res = await fetch("/api/push.subscribe", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ endpoint, keys }),
      });
      return res.ok;
    } catch (e) {
      console.warn("push notifications are not available here", e);
      return false;
    }
  };
  window.threadspacePush = {
    async enable(key) {
      pending = key;
      if (typeof Notification === "undefined") return false;
      if (Notification.permission === "granted") return subscribe(key);
      try {
        const status = await navigator.permissions.query({ name: "notifications" });
        status.onchange = () => { if (status.state === "granted" && pending) subscribe(pending); };
      } catch (e) {}
      return false;
    },
  };
})();
