// Profiles one server mode of the HTTP benchmark under load: the server
// (test/bench/http-target.mjs) runs with --cpu-prof on CPU 1, autocannon here;
// the .cpuprofile lands in <outdir> when the server exits (read it with test/bench/cpuprofile-top.mjs).
//   node test/bench/http-profile.mjs <hello|hello-json|off|stdout|file|s3-down> <seconds> <outdir>
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { requests } from "./http-requests.mjs";
const [mode, secs, out] = process.argv.slice(2);
const port = 19000 + Math.floor(Math.random() * 1000);
const target = new URL("./http-target.mjs", import.meta.url).pathname;
const child = spawn("taskset", ["-c", "1", process.execPath, "--cpu-prof", "--cpu-prof-dir", out, target, mode, String(port), out + "/audit.log"], {
  stdio: ["ignore", "ignore", "inherit", "ipc"],
});
await new Promise((r) => child.once("message", r));
const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, duration: Number(secs), requests });
console.log(mode, Math.round(r.requests.average), "req/s", r.non2xx, "non2xx");
child.kill("SIGINT");
await new Promise((r) => child.once("exit", r));
