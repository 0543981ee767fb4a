import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
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

/**
 * Ports: every server in the tests listens on port 0 and the port is read back
 * from the server itself, so no two tests (or other programs on a shared
 * machine) can race for a port picked in advance.
 */
export async function listenOnFreePort(server: Server, host = "127.0.0.1"): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * An endpoint where nothing answers: a port this process holds (so nothing
 * else can start listening there) that drops every connection at once, as
 * an S3 or decision server that is down looks to a client.
 */
export async function deadEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((socket) => socket.destroy());
  const port = await listenOnFreePort(server);
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The port a server child process prints once it listens (`pattern` captures
 * it from stdout or stderr); rejects with its output if it exits first. No
 * deadline of its own: the test's timeout bounds the wait.
 */
export function portFromOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (d: Buffer) => {
      output += d;
      const m = pattern.exec(output);
      if (m) {
        done();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new PortNotPrinted(`${what} exited (${code}) before listening: ${output.trim()}`, output));
    };
    const done = () => {
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

export class PortNotPrinted extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export class Moto {
  private proc: ChildProcess | undefined;
  /** 0 until the first start, which lets moto_server pick the port; restarts reuse it (clients hold the endpoint) */
  port = 0;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): Record<string, string> {
    return { AWS_ENDPOINT_URL: this.endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
  }

  async start(): Promise<void> {
    // A restart binds the port it had; if something took it in the meantime, retry for a while, then fail saying so.
    for (let attempt = 0; ; attempt++) {
      const started = await this.startOnce();
      if (started === "up") return;
      if (this.port === 0 || attempt >= 20) throw new Error(`moto_server could not listen on port ${this.port}: ${started}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async startOnce(): Promise<"up" | string> {
    const proc = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(this.port)], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    // Keep reading: moto logs every request, and a full pipe would block it.
    proc.stdout.resume();
    proc.stderr.resume();
    try {
      this.port = await portFromOutput(proc, /Running on http:\/\/127\.0\.0\.1:(\d+)/, "moto_server");
    } catch (e) {
      if (e instanceof PortNotPrinted) return e.output.trim().split("\n").pop() ?? "exited";
      throw e;
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(this.endpoint + "/moto-api/");
        if (r.status < 500) return "up";
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("moto_server did not answer within 30 s");
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
    moto = new Moto();
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
