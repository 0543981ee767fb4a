import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll } from "vitest";

/**
 * A real S3-compatible server for the tests: moto_server on a free loopback
 * port. Under CI=true a missing moto_server is a failure; elsewhere the S3
 * tests are skipped with a loud message.
 */
export const MOTO_AVAILABLE = spawnSync("sh", ["-c", "command -v moto_server"]).status === 0;
if (!MOTO_AVAILABLE) {
  if (process.env.CI === "true") throw new Error("moto_server is not installed, and CI=true: the S3 tests cannot be skipped");
  console.warn("\n*** moto_server not found: S3 tests are SKIPPED (install it with `pip install 'moto[server]'`) ***\n");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export class Moto {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): Record<string, string> {
    return { AWS_ENDPOINT_URL: this.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
  }

  async start(): Promise<void> {
    this.proc = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(this.port)], { stdio: "ignore" });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(this.endpoint + "/moto-api/");
        if (r.status < 500) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("moto_server did not start within 30 s");
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    });
  }

  async createBucket(name: string): Promise<void> {
    const r = await fetch(`${this.endpoint}/${name}`, { method: "PUT" });
    if (r.status >= 300) throw new Error(`create bucket: ${r.status}`);
  }
}

/**
 * Starts a moto_server (with these buckets) for the enclosing describe block and
 * stops it after; the handle returned reaches the running server.
 */
export function useMoto(buckets: readonly string[]): Pick<Moto, "endpoint" | "env" | "start" | "stop" | "createBucket"> {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = new Moto(await freePort());
    await moto.start();
    for (const b of buckets) await moto.createBucket(b);
  }, 60_000);
  afterAll(async () => moto?.stop());
  const live = () => {
    if (!moto) throw new Error("moto_server is not started");
    return moto;
  };
  return {
    get endpoint() {
      return live().endpoint;
    },
    env: () => live().env(),
    start: () => live().start(),
    stop: () => live().stop(),
    createBucket: (b: string) => live().createBucket(b),
  };
}
