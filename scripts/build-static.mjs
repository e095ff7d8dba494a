// `npm run build`: bundles the tablet's offline scripts (assets/js, with Workbox and idb from node_modules) into
// app/static/dist. The output is committed, so `make run` needs no Node.js. The service worker is told the files of
// the app shell with a hash of each, so a changed file replaces its cached copy (Workbox precaching).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const SHELL = [
  "css/app.css",
  "js/app.js",
  "dist/offline.js",
  "favicon.svg",
  "manifest.webmanifest",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "icons/icon-180.png",
];

const common = { bundle: true, format: "iife", target: ["es2020", "safari15"], minify: true, legalComments: "none", logLevel: "warning" };

await build({ ...common, entryPoints: ["assets/js/offline.js"], outfile: "app/static/dist/offline.js" });

const shell = SHELL.map((path) => ({
  url: `/static/${path}`,
  revision: createHash("sha256").update(readFileSync(`app/static/${path}`)).digest("hex").slice(0, 16),
}));
await build({
  ...common,
  entryPoints: ["assets/js/sw.js"],
  outfile: "app/static/dist/sw.js",
  define: { "self.__SHELL": JSON.stringify(shell), "process.env.NODE_ENV": '"production"' },
});
