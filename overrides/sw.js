/* The service worker: the course readable with the network off.
 *
 * `make site` (publish/offline.py) copies this file to the site's root and fills in PRECACHE: every page, asset,
 * the search index and the manifest, each with the SHA-256 of its bytes. On install it keeps each of them in a cache
 * named for this version (reusing an unchanged file from the previous version, checking each download against its
 * hash); pages are then served from that cache, with or without the network, through Material's instant navigation
 * too. Anything else in the site's folder (the PDFs) is fetched from the network and kept when first opened, to be
 * served when the network is off. A new deploy changes this file, so the browser installs the new version beside
 * the old one; it waits until the reader accepts "reload" (assets/offline.js), then replaces the old caches.
 *
 * Only GET requests inside the site's own folder are handled; a cached address never holds a query string, and
 * nothing a participant writes is ever sent in a request (the journal stays in localStorage), so none is cached.
 * Under `make serve` this file is served as it is, unfilled: it then removes any worker and cache that a built
 * site left on the same address, so the preview always shows the pages being edited.
 */
"use strict";

const PRECACHE = null;

const SCOPE = new URL("./", self.location).href;
// Cache names are shared by every site on an origin: each name starts with this site's folder.
const PREFIX = "cw-offline " + SCOPE + " ";
const OPENED = PREFIX + "opened";

async function ownCaches() {
  return (await caches.keys()).filter((name) => name.startsWith(PREFIX));
}

if (PRECACHE === null) {
  self.addEventListener("install", () => self.skipWaiting());
  self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
      await Promise.all((await ownCaches()).map((name) => caches.delete(name)));
      await self.registration.unregister();
      for (const client of await self.clients.matchAll({ type: "window" })) client.navigate(client.url);
    })());
  });
} else {
  const PAGES = PREFIX + "pages " + PRECACHE.version;
  // Address without query or fragment -> expected SHA-256.
  const FILES = new Map(PRECACHE.files.map(([path, hash]) => [new URL(path, SCOPE).href, hash]));

  const hex = (buffer) => Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");

  // A file for the new version: the previous version's copy when its hash matches, else a fresh download checked
  // against the hash (a deploy still in progress fails the install, which the browser retries on a later visit).
  async function keep(cache, older, url, hash) {
    if (await cache.match(url)) return;
    for (const name of older) {
      const copy = await (await caches.open(name)).match(url);
      if (copy && copy.headers.get("x-cw-sha256") === hash) return cache.put(url, copy);
    }
    const response = await fetch(url, { cache: "no-cache", credentials: "same-origin", redirect: "follow" });
    if (!response.ok) throw new Error(url + " answered " + response.status);
    const body = await response.arrayBuffer();
    if (hex(await crypto.subtle.digest("SHA-256", body)) !== hash) throw new Error(url + " is not the file this version lists");
    const headers = new Headers(response.headers);
    // The body is kept decoded: the server's compression and length no longer describe it.
    headers.delete("content-encoding");
    headers.delete("content-length");
    headers.set("x-cw-sha256", hash);
    await cache.put(url, new Response(body, { status: 200, statusText: "OK", headers }));
  }

  self.addEventListener("install", (event) => {
    event.waitUntil((async () => {
      const cache = await caches.open(PAGES);
      const older = (await ownCaches()).filter((name) => name !== PAGES && name !== OPENED);
      await Promise.all(Array.from(FILES, ([url, hash]) => keep(cache, older, url, hash)));
    })());
  });

  self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
      const old = (await ownCaches()).filter((name) => name !== PAGES && name !== OPENED);
      await Promise.all(old.map((name) => caches.delete(name)));
      await self.clients.claim();
    })());
  });

  // assets/offline.js sends this when the reader chooses to reload into the new version.
  self.addEventListener("message", (event) => {
    if (event.data === "cw-use-new-version") self.skipWaiting();
  });

  // caches.match, unlike caches.open, never creates a cache that a newer worker has just deleted.
  async function fromPages(request, url) {
    const kept = await caches.match(url, { cacheName: PAGES });
    return kept || fetch(request);
  }

  // Network first, so an opened PDF is always the deployed one; its copy is kept for when the network is off.
  async function fromNetwork(event, url, keepable) {
    try {
      const response = await fetch(event.request);
      if (keepable && response.status === 200 && response.type === "basic") {
        const copy = response.clone();
        event.waitUntil(caches.open(OPENED).then((cache) => cache.put(url, copy)));
      }
      return response;
    } catch (error) {
      const kept = keepable && (await caches.match(url, { cacheName: OPENED }));
      if (kept) return kept;
      throw error;
    }
  }

  self.addEventListener("fetch", (event) => {
    const request = event.request;
    if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return;
    const address = new URL(request.url);
    const url = address.origin + address.pathname.replace(/\/index\.html$/, "/");
    if (FILES.has(url)) {
      // Search results link to pages with ?h=<the words searched>: the page is served without storing the query.
      event.respondWith(fromPages(request, url));
    } else {
      const keepable = !address.search && !request.headers.has("range");
      event.respondWith(fromNetwork(event, url, keepable));
    }
  });
}
