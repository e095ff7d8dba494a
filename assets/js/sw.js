// The tablet's service worker (DESIGN.md 4.8), bundled with Workbox by `npm run build` into app/static/dist/sw.js
// and served at /sw.js so its scope is the whole site.
//
// - The app shell (CSS, scripts, icons, manifest) is precached with a hash per file (self.__SHELL, from the build).
// - The site screens and visit pages of the reviewer's coming visits are kept in PAGES: the start page's script
//   asks for them ("Mina granskningsbesök"); each is refreshed whenever it is opened online (network first) and
//   answered from the cache when there is no network.
// - Any other page without a network: the /offline page, cached at install.
// - Logging out empties PAGES, so the next person on the tablet finds nothing of the one before.
import { clientsClaim } from "workbox-core";
import { precacheAndRoute, cleanupOutdatedCaches } from "workbox-precaching";
import { registerRoute, setCatchHandler } from "workbox-routing";
import { NetworkFirst, NetworkOnly } from "workbox-strategies";

const PAGES = "tillsyn-pages-v1";
const OFFLINE = "tillsyn-offline-v1";
const OFFLINE_URL = "/offline";
const KEPT_PAGE = /^\/visits\/[0-9a-f-]{36}(\/site)?$/;

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
precacheAndRoute(self.__SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(OFFLINE).then((cache) => cache.add(new Request(OFFLINE_URL, { credentials: "omit" }))));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method === "POST" && url.origin === self.location.origin && url.pathname === "/logout") {
    event.respondWith(caches.delete(PAGES).then(() => fetch(event.request)));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});

const pages = new NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 8,
  matchOptions: { ignoreVary: true },
  plugins: [{ cacheWillUpdate: async ({ response }) => (response && response.status === 200 && !response.redirected ? response : null) }],
});

registerRoute(({ request, url }) => request.mode === "navigate" && url.origin === self.location.origin && KEPT_PAGE.test(url.pathname), pages);
registerRoute(({ request }) => request.mode === "navigate", new NetworkOnly());

setCatchHandler(async ({ request }) => {
  if (request.destination === "document" || request.mode === "navigate") {
    const kept = await caches.match(request, { cacheName: PAGES, ignoreVary: true });
    if (kept) {
      return kept;
    }
    const offline = await caches.match(OFFLINE_URL, { cacheName: OFFLINE, ignoreVary: true });
    if (offline) {
      return offline;
    }
  }
  return Response.error();
});
