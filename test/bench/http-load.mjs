// HTTP benchmark (loopback only, bounded in time): decisions per second and p99
// of the Node server with audit off / stdout / file, each as a ratio to a bare
// Hono hello-world measured in the same run with the same load generator.
import autocannon from "autocannon";
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DURATION = Number(process.env.BENCH_HTTP_SECONDS ?? 8);
const CONNECTIONS = 32;
const target = new URL("./http-target.mjs", import.meta.url).pathname;
const bodies = [
  { action: "file.read", path: "/app/src/index.js" },
  { action: "network.request", url: "http://0xa9fea9fe/latest/" },
  { action: "env.read", key: "FLY_API_TOKEN" },
  { action: "file.write", path: "/tmp/out.json" },
].map((b) => JSON.stringify(b));

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

async function measure(mode) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "safeclaw-bench-"));
  const child = fork(target, [mode, String(port), join(dir, "audit.log")], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  await new Promise((r) => child.once("message", r));
  const requests = bodies.map((body) => ({ method: "POST", path: "/v1/check", headers: { "content-type": "application/json" }, body }));
  await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: 1, requests }); // warm-up
  const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: DURATION, requests });
  child.send("rss");
  const mem = await new Promise((res) => child.once("message", res));
  child.kill("SIGKILL");
  return { mode, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, rssMiB: Math.round(mem.rss / 2 ** 20), queued: mem.queued };
}

const results = [];
for (const mode of ["hello", "off", "stdout", "file", "s3-down"]) results.push(await measure(mode));
const hello = results[0].rps;
const rows = results.map((r) => ({ ...r, ratio: +(r.rps / hello).toFixed(2) }));
console.log(`\nHTTP, ${CONNECTIONS} connections, ${DURATION}s each, loopback (autocannon):`);
console.log("| server | req/s | p50 (ms) | p99 (ms) | vs hello-world | non-2xx+errors | server RSS at end (MiB) | records queued at end |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.mode} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.ratio} | ${r.errors} | ${r.rssMiB} | ${r.queued} |`);
mkdirSync(new URL("../../build/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../../build/bench-http.json", import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), connections: CONNECTIONS, seconds: DURATION, rows }, null, 2),
);
