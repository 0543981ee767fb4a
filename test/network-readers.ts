import { spawn, spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";

/**
 * Other readers of a URL, to check the engine against: curl (the real binary,
 * through a local proxy so that nothing leaves the machine and we see the host
 * it would connect to), Python's urllib.parse (the real interpreter), and Go's
 * net/url, which is not on this machine: its rules (src/net/url/url.go, Parse,
 * parseAuthority, parseHost, unescape in host mode) are written down below as
 * data and code, so that part is a reading of Go's source, not a run of it.
 *
 * Every host is then brought to "what the C library would connect to" by one
 * Python function (ipaddress for IPv6, inet_aton for IPv4 spellings, the idna
 * codec Python's socket module uses for names), so that `0xa9fea9fe` and
 * `169.254.169.254` compare equal when a resolver treats them the same.
 */
const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };

export interface Reading {
  /** the host as the reader would connect to it, normalized; undefined when the reader refuses the URL */
  host?: string | undefined;
  port?: number | undefined;
  error?: string | undefined;
}

const PYTHON = `
import ipaddress, json, socket, sys
from urllib.parse import urlsplit

def connect_form(h):
    if h is None or h == "":
        return None
    h = h.lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if ":" in h:
        try:
            a = ipaddress.IPv6Address(h.split("%")[0])
        except ValueError:
            return "!bad-ipv6:" + h
        return str(a.ipv4_mapped) if a.ipv4_mapped else a.compressed
    try:
        return socket.inet_ntoa(socket.inet_aton(h))
    except OSError:
        pass
    if h.endswith("."):
        h = h[:-1]
    try:
        return h.encode("idna").decode("ascii")
    except UnicodeError:
        return "!bad-idna:" + h

req = json.load(sys.stdin)
out = {"python": [], "normalized": [connect_form(h) for h in req["hosts"]]}
for u in req["urls"]:
    try:
        s = urlsplit(u)
        out["python"].append({"host": connect_form(s.hostname), "port": s.port})
    except Exception as e:
        out["python"].append({"error": type(e).__name__ + ": " + str(e)})
print(json.dumps(out))
`;

/** Python's reading of each URL, and the connect form of each extra raw host (curl's, Go's). */
export function pythonReadings(urls: string[], hosts: string[]): { python: Reading[]; normalized: Array<string | null> } {
  const r = spawnSync("python3", ["-c", PYTHON], { input: JSON.stringify({ urls, hosts }), encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 failed (the differential tests need python3): ${r.error ?? r.stderr}`);
  return JSON.parse(r.stdout) as { python: Reading[]; normalized: Array<string | null> };
}

/** The raw host (and port) curl would connect to for each URL, or its error. */
export async function curlHosts(urls: string[]): Promise<Array<{ host?: string; port?: number; error?: string }>> {
  const seen = new Map<number, { host: string; port: number }>();
  // A raw TCP proxy: curl sends bytes (non-ASCII paths, odd hosts) that an HTTP
  // server library would reject before we could see where curl meant to go.
  const server = createServer((socket) => {
    let head = "";
    socket.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [requestLine, ...headers] = head.slice(0, end).split("\r\n");
      const [method, target = ""] = requestLine!.split(" ");
      const n = Number(headers.find((h) => /^x-case:/i.test(h))?.split(":")[1]);
      let hostPort: string;
      if (method === "CONNECT") hostPort = target;
      else {
        const rest = target.slice(target.indexOf("://") + 3);
        hostPort = rest.slice(0, rest.search(/[/?#]|$/));
        hostPort = hostPort.slice(hostPort.lastIndexOf("@") + 1);
      }
      const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
      if (m && Number.isInteger(n))
        seen.set(n, {
          host: Buffer.from(m[1]!, "latin1").toString("utf8"),
          port: m[2] ? Number(m[2]) : (DEFAULT_PORT[target.slice(0, target.indexOf(":")).toLowerCase()] ?? 80),
        });
      socket.end(
        method === "CONNECT" ? "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
      );
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // Some errors (an IDN conversion failure) end curl's whole run, so it is
    // restarted after the last URL it reported on.
    const exit = new Map<number, string>();
    let next = 0;
    while (next < urls.length) {
      const args: string[] = [];
      const batch: number[] = [];
      for (let i = next; i < urls.length; i++) {
        if (urls[i]!.includes("\u0000")) continue; // argv cannot carry NUL; such a URL never reaches curl
        if (args.length > 0) args.push("--next");
        // -g: no curl globbing of [] and {} (a command-line feature, not URL syntax)
        args.push("-g", "-s", "-o", "/dev/null", "--max-time", "5", "-x", proxy, "--proxy-header", `X-Case: ${i}`, "-w", `${i} %{exitcode}\\n`, urls[i]!);
        batch.push(i);
      }
      if (batch.length === 0) break;
      const r = await run("curl", args);
      if (r.status === null) throw new Error(`curl did not run (the differential tests need curl): ${r.stderr}`);
      for (const line of r.stdout.split("\n")) {
        const [i, code] = line.split(" ");
        if (i !== undefined && code !== undefined) exit.set(Number(i), code);
      }
      const stopped = batch.find((i) => !exit.has(i));
      if (stopped === undefined) break;
      exit.set(stopped, `aborted run (${r.status})`);
      next = stopped + 1;
    }
    return urls.map((_, i) => {
      const s = seen.get(i);
      if (s) return s;
      return { error: `curl exit ${exit.get(i) ?? "?"}` };
    });
  } finally {
    server.close();
  }
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C.UTF-8" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d));
    p.stderr.on("data", (d: Buffer) => (stderr += d));
    p.on("error", (e: Error) => resolve({ status: null, stdout, stderr: String(e) }));
    p.on("close", (status: number | null) => resolve({ status, stdout, stderr }));
  });
}

// --- Go's net/url, as written in its source ---------------------------------

const GO_HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/; // shouldEscape(c, encodeHost) is false
const GO_USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/; // validUserinfo

/** The host Go's url.Parse would return (url.Hostname(): no port, no brackets), or why it refuses. */
export function goHost(raw: string): { host?: string; error?: string } {
  if (/[\x00-\x1f\x7f]/.test(raw)) return { error: "invalid control character in URL" };
  let rest = raw.split("#")[0]!;
  const sm = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (!sm) return { error: "missing protocol scheme" };
  rest = rest.slice(sm[0].length);
  rest = rest.split("?")[0]!;
  if (!rest.startsWith("//")) return { error: "no authority (opaque or path-only URL)" };
  let authority = rest.slice(2);
  const slash = authority.indexOf("/");
  if (slash >= 0) authority = authority.slice(0, slash);
  const at = authority.lastIndexOf("@");
  if (at >= 0 && !GO_USERINFO_OK.test(authority.slice(0, at))) return { error: "invalid userinfo" };
  let host = authority.slice(at + 1);
  let zoneStart = -1;
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return { error: "missing ']' in host" };
    if (!/^(?::\d*)?$/.test(host.slice(close + 1))) return { error: "invalid port after host" };
    zoneStart = host.slice(0, close).indexOf("%25");
    host = host.slice(0, close + 1);
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0) {
      if (!/^:\d*$/.test(host.slice(colon))) return { error: "invalid port after host" };
      host = host.slice(0, colon);
    }
  }
  // unescape(host, encodeHost): %XX must be hex, and only non-ASCII bytes (or %25) may be escaped
  let out = "";
  for (let i = 0; i < host.length; i++) {
    const c = host[i]!;
    if (c === "%") {
      const hex = host.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: "invalid URL escape" };
      if (zoneStart < 0 || i < zoneStart) {
        if (parseInt(hex[0]!, 16) < 8 && hex !== "25") return { error: "invalid URL escape in host" };
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
      continue;
    }
    if (c.charCodeAt(0) < 0x80 && !GO_HOST_OK.test(c) && !(zoneStart >= 0 && i >= zoneStart)) return { error: "invalid character in host name" };
    out += c;
  }
  if (out.startsWith("[")) out = out.slice(1, out.indexOf("]"));
  if (out === "") return { error: "empty host" };
  return { host: out };
}
