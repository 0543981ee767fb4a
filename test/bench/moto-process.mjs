// A moto_server on a free loopback port for the plain-node benchmarks (the tests use test/moto.ts).
import { spawn } from "node:child_process";

/** Starts moto_server on port 0 and resolves with the process and its endpoint once it listens. */
export function startMoto() {
  const proc = spawn("moto_server", ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        proc.stdout.resume();
        proc.stderr.resume();
        proc.stdout.off("data", onData);
        proc.stderr.off("data", onData);
        resolve({ proc, endpoint: `http://127.0.0.1:${m[1]}` });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`moto_server exited (${code}): ${out}`)));
  });
}
