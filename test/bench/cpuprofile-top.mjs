// Where a .cpuprofile's time went (from `node test/bench/http-profile.mjs` or
// `node --cpu-prof`): self time by package or layer, then by function, in µs
// per request when the request count is given (else in % of the profile).
//   node test/bench/cpuprofile-top.mjs <file.cpuprofile> [requests] [top N, default 30]
import { readFileSync } from "node:fs";

const [file, requests, top = "30"] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, "utf8"));
const self = new Map();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const show = (us) => (requests ? `${(us / Number(requests)).toFixed(2)} µs/req` : `${((100 * us) / total).toFixed(1)}%`).padStart(13);

function layer({ url, functionName }) {
  if (!url) return functionName.startsWith("(") ? functionName : `native ${functionName}`;
  if (url.includes("@hono/node-server")) return "@hono/node-server";
  if (url.includes("/hono/")) return "hono";
  if (url.includes("/@noble/")) return "@noble";
  if (url.startsWith("node:")) return "node internals";
  const m = /\/dist\/([a-z-]+)\//.exec(url);
  return m ? `safeclaw ${m[1]}` : url.split("/").slice(-2).join("/");
}
const byLayer = new Map();
const byFunction = new Map();
for (const n of p.nodes) {
  const t = self.get(n.id) ?? 0;
  if (!t) continue;
  const l = layer(n.callFrame);
  byLayer.set(l, (byLayer.get(l) ?? 0) + t);
  const f = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*node_modules\//, "").replace(/^.*\/dist\//, "dist/")}:${n.callFrame.lineNumber + 1}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + t);
}
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled${requests ? `, ${requests} requests` : ""}\n-- self time by layer`);
for (const [k, t] of [...byLayer].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(show(t), k);
console.log("-- self time by function");
for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(show(t), k);
