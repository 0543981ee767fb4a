import { createConnection, createServer, type Server, type Socket } from "node:net";
import { listenOnFreePort } from "./moto.js";

/**
 * A TCP proxy in front of moto_server that injects the faults a real S3
 * endpoint shows, switchable while the test runs:
 * - `pass`: forward the request, return the answer;
 * - `drop-response`: forward the request, let S3 answer (so S3 has processed
 *   it: the object is stored), then destroy the client's connection without
 *   sending that answer: "S3 did it, the answer was lost";
 * - `reset`: reset the connection (RST) without forwarding anything;
 * - `black-hole`: accept and read, never answer, never forward;
 * - `slow`: forward, and hold S3's answer for `delayMs` before sending it (S3
 *   has processed the request by then: a slow answer past the client's
 *   deadline is a lost answer too).
 *
 * A rule can be limited to some methods (`methods: ["PUT"]`, so the read-back
 * GET passes) and to the next `times` matching requests, after which the next
 * rule given applies (`set(a, b)`: a for its `times`, then b), and after the
 * last one the proxy passes again. Without `methods`, `reset` and `black-hole` act the moment a
 * connection is accepted (before a byte is read); with `methods` they act once
 * the request line shows the method, and the request is never forwarded.
 *
 * HTTP/1.1 keep-alive would let one connection carry many requests, and a
 * fault must hit exactly one of them. So the proxy carries one request per
 * connection: it reads the request head and its Content-Length body, sends it
 * upstream on a fresh connection with `Connection: close`, and sends the
 * client the answer with `Connection: close` too, then ends the connection;
 * clients open a new connection for their next request. `Expect:
 * 100-continue` is answered by the proxy itself (and not forwarded), so S3's
 * answer is always the final one. A chunked request body is not parsed: the
 * proxy records an error (see `errors`) and drops the connection, so a test
 * fails visibly instead of the proxy guessing.
 */
export type FaultMode = "pass" | "drop-response" | "reset" | "black-hole" | "slow";

export interface FaultRule {
  mode: FaultMode;
  /** only requests with these methods (upper case); all when absent */
  methods?: string[];
  /** only the next N matching requests (connections, for a connect-time fault); then `pass` again */
  times?: number;
  /** `slow`: how long the answer is held */
  delayMs?: number;
}

export interface ProxiedRequest {
  /** `(connection)` for a connection faulted when accepted, before its request was read */
  method: string;
  /** the request target: `/bucket/key?query` */
  path: string;
  /** what the proxy did with it */
  fault: FaultMode;
  /** `slow`: how long the answer was held */
  delayMs?: number;
  /** the status S3 answered (also when the client never got it); undefined when it was not forwarded */
  status?: number;
}

const HEAD_END = "\r\n\r\n";
const MAX_HEAD = 64 * 1024;

export class FaultProxy {
  /** every request the proxy read, in order, with what it did */
  readonly requests: ProxiedRequest[] = [];
  /** what the proxy could not handle (a chunked body, an oversized head): a test asserts it stays empty */
  readonly errors: string[] = [];
  /** the rule in force first; the next applies once its `times` are used up */
  private rules: FaultRule[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstreamPort: number,
  ) {}

  static async start(upstreamPort: number): Promise<FaultProxy> {
    const accepted: { by?: FaultProxy } = {};
    const server = createServer((socket) => accepted.by!.accept(socket));
    accepted.by = new FaultProxy(server, await listenOnFreePort(server), upstreamPort);
    return accepted.by;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** From now on, apply these rules in turn (replacing the current ones). */
  set(...rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  pass(): void {
    this.rules = [];
  }

  private get rule(): FaultRule {
    return this.rules[0] ?? { mode: "pass" };
  }

  /** the requests of one method whose path contains `part` */
  requestsTo(method: string, part: string): ProxiedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.includes(part));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The rule's fault for this request (consuming one of its `times`), or pass. */
  private take(method: string | undefined): Pick<ProxiedRequest, "fault" | "delayMs"> {
    const r = this.rule;
    if (r.mode === "pass") return { fault: "pass" };
    if (r.methods && (method === undefined || !r.methods.includes(method))) return { fault: "pass" };
    if (r.times !== undefined) {
      if (r.times <= 0) return { fault: "pass" };
      r.times--;
      if (r.times === 0) this.rules.shift();
    }
    return r.mode === "slow" ? { fault: "slow", delayMs: r.delayMs ?? 0 } : { fault: r.mode };
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => undefined); // a client that gave up (its deadline) resets; nothing to report
    const atConnect = this.rule.mode === "reset" || this.rule.mode === "black-hole" ? !this.rule.methods : false;
    if (atConnect) {
      const mode = this.take(undefined).fault;
      if (mode !== "pass") this.requests.push({ method: "(connection)", path: "", fault: mode });
      if (mode === "reset") return void client.resetAndDestroy();
      if (mode === "black-hole") return void client.resume(); // read and discard, forever
    }
    let buffered = Buffer.alloc(0);
    let continued = false;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const headEnd = buffered.indexOf(HEAD_END);
      if (headEnd < 0) {
        if (buffered.length > MAX_HEAD) this.fail(client, `request head over ${MAX_HEAD} bytes`);
        return;
      }
      const head = buffered.subarray(0, headEnd).toString("latin1");
      const [requestLine, ...fields] = head.split("\r\n");
      const [method = "", path = ""] = requestLine!.split(" ");
      const headers = fields.map((f) => [f.slice(0, f.indexOf(":")).trim().toLowerCase(), f.slice(f.indexOf(":") + 1).trim()] as const);
      const field = (name: string) => headers.find(([n]) => n === name)?.[1];
      if (field("transfer-encoding")) return this.fail(client, `${method} ${path}: chunked request bodies are not supported by the fault proxy`);
      if (!continued && field("expect")?.toLowerCase() === "100-continue") {
        continued = true;
        client.write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      const length = Number(field("content-length") ?? 0);
      const bodyStart = headEnd + HEAD_END.length;
      if (buffered.length < bodyStart + length) return; // the rest of the body is still coming
      client.off("data", onData);
      const forwarded = [requestLine, ...fields.filter((f) => !/^(connection|keep-alive|expect|proxy-connection)\s*:/i.test(f)), "Connection: close"].join(
        "\r\n",
      );
      const request = Buffer.concat([Buffer.from(forwarded + HEAD_END, "latin1"), buffered.subarray(bodyStart, bodyStart + length)]);
      this.handle(client, { method, path, ...this.take(method) }, request);
    };
    client.on("data", onData);
  }

  private handle(client: Socket, entry: ProxiedRequest, request: Buffer): void {
    this.requests.push(entry);
    if (entry.fault === "reset") return void client.resetAndDestroy();
    if (entry.fault === "black-hole") return void client.resume();
    const upstream = createConnection({ host: "127.0.0.1", port: this.upstreamPort });
    this.sockets.add(upstream);
    const chunks: Buffer[] = [];
    upstream.on("data", (c: Buffer) => chunks.push(c));
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => {
      this.sockets.delete(upstream);
      const answer = Buffer.concat(chunks);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, 32).toString("latin1"));
      if (status) entry.status = Number(status[1]);
      if (entry.fault === "drop-response" || !status) return void client.destroy();
      const send = () => void (client.destroyed || client.end(withConnectionClose(answer)));
      if (entry.fault === "slow") setTimeout(send, entry.delayMs);
      else send();
    });
    upstream.on("connect", () => upstream.write(request));
  }

  private fail(client: Socket, error: string): void {
    this.errors.push(error);
    client.destroy();
  }
}

/** S3's answer with its connection headers replaced by `Connection: close` (the proxy carries one request per connection). */
function withConnectionClose(answer: Buffer): Buffer {
  const end = answer.indexOf(HEAD_END);
  if (end < 0) return answer;
  const [statusLine, ...fields] = answer.subarray(0, end).toString("latin1").split("\r\n");
  const head = [statusLine, ...fields.filter((f) => !/^(connection|keep-alive)\s*:/i.test(f)), "Connection: close"].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), answer.subarray(end)]);
}
