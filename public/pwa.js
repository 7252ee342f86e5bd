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
