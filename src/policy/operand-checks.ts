import { normalizeHost } from "../net/host-name.js";
import { isFreeFormField, isPathOperand } from "../match/path-shaped.js";
import type { PolicyErrorCode } from "./errors.js";
import type { Scalar } from "./ir.js";

/**
 * Operands no request value can ever equal, start or end with. Requests are
 * normalized before rules see them (hosts canonical, ports numbers, paths
 * resolved, URLs without fragments), so an operand written in another form
 * makes its condition false for every request, and a deny that can never
 * match is an allow. Each is refused at validation with what to write instead.
 */
export interface OperandProblem {
  code: PolicyErrorCode;
  message: string;
  help?: string;
}

// Built-in fields whose request values are text (`port` is a number; context.* and arguments.* are any JSON).
const TEXT_FIELDS: ReadonlySet<string> = new Set(["path", "url", "host", "scheme", "method", "command", "key", "server", "tool", "agent"]);
// A set, a wildcard or a CIDR block; a bracketed IPv6 literal (`[::1]`) is an address, not a class.
const HOST_PATTERN = /^@|[*?{}]|\/\d{1,3}$|\[(?![0-9A-Fa-f:.]+(?:%[\w.~-]+)?\]$)|^[^[]*\]/;

/** A value of `eq`, `neq`, `in` or `notIn`. */
export function exactOperandProblem(field: string, op: string, v: Scalar, cwd: string | undefined): OperandProblem | undefined {
  if (field === "port") {
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      return {
        code: "bad_value",
        message: `\`${op}\` on \`port\` compares port numbers (1-65535); \`${String(v)}\` is none, so the condition never holds`,
        help: "write the port number, e.g. `port: 80`",
      };
    return undefined;
  }
  if (!TEXT_FIELDS.has(field)) return undefined;
  if (typeof v === "boolean" || v === null)
    return {
      code: "bad_type",
      message: `\`${field}\` holds text; \`${op}: ${String(v)}\` never equals it, so the condition never holds`,
      help: `quote it if you mean the text: \`"${String(v)}"\``,
    };
  if (typeof v !== "string") return undefined;
  switch (field) {
    case "host": {
      if (HOST_PATTERN.test(v)) {
        return {
          code: "bad_value",
          message: `\`${op}\` compares one host exactly, and \`${v}\` is a host pattern (a set, a CIDR block or a wildcard), which no request host equals`,
          help: `write it as a pattern: \`host: ["${v}"]\` (or \`not: { host: ["${v}"] }\`)`,
        };
      }
      const h = normalizeHost(v);
      if (!h.ok)
        return {
          code: "bad_value",
          message: `\`${op}\` on \`host\`: \`${v}\` is not a host name or address (${h.reason}), so no request host equals it`,
          help: "write the bare host, e.g. `169.254.169.254` or `api.example.com`; ports go in `port`",
        };
      return undefined;
    }
    case "url":
      return urlProblem(op, v, false);
    case "path":
      if (!v.startsWith("/") && cwd === undefined) {
        return {
          code: "bad_value",
          message: `\`${op}\` on \`path\`: \`${v}\` is relative and the policy has no \`cwd\`; request paths are absolute, so it never matches`,
          help: "write the absolute path, or set `cwd:` at the top of the policy",
        };
      }
      return undefined;
  }
  return undefined;
}

/** The string of `startsWith`, `endsWith` or `contains`. */
export function affixOperandProblem(field: string, op: "startsWith" | "endsWith" | "contains", v: string): OperandProblem | undefined {
  if (field === "port")
    return {
      code: "bad_type",
      message: `\`${op}\` compares text, and \`port\` is a number: the condition never holds`,
      help: "list the ports (`port: [8000, 8080]`) or use `matches` on the port's digits",
    };
  if (field === "url") return urlProblem(op, v, true);
  // Request hosts are canonical: lower case, punycode. Non-ASCII text in a fragment can never be part of one.
  if (field === "host" && /[^\x00-\x7f]/.test(v))
    return {
      code: "bad_value",
      message: `\`${op}\` on \`host\`: \`${v}\` has non-ASCII text, and request hosts are compared in punycode, so it never matches`,
      help: "write the name in punycode (`xn--bcher-kva.example` for `bücher.example`), or use a host glob (`*.bücher.example`), which is converted",
    };
  // A free-form value tested with an absolute operand is read as a path (match/path-shaped.ts), resolved like a request path.
  if (field !== "path" && !(isFreeFormField(field) && isPathOperand(v))) return undefined;
  // Request paths are resolved: no empty, `.` or `..` segment, no trailing slash.
  const inner = /\/\/|\/\.\.?\//.test(v);
  const atEnd = op === "endsWith" && (/\/\.\.?$/.test(v) || (v.endsWith("/") && v !== "/"));
  if (inner || atEnd) {
    return {
      code: "bad_value",
      message: `\`${op}\` on \`${field}\`: \`${v}\` has a \`.\`, \`..\` or empty segment${atEnd ? " or a trailing `/`" : ""}, which resolved request paths never have, so it never matches`,
      help: "write the path as it reads once resolved, e.g. `/etc` for `/app/../etc`",
    };
  }
  return undefined;
}

/** A glob pattern on `url`. */
export function urlGlobProblem(pattern: string): OperandProblem | undefined {
  return fragment("url pattern", pattern);
}

function urlProblem(op: string, v: string, partial: boolean): OperandProblem | undefined {
  const f = fragment(`\`${op}\` on \`url\``, v);
  if (f) return f;
  if (partial) return undefined;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/.test(v)) {
    return {
      code: "bad_value",
      message: `\`${op}\` on \`url\` compares whole URLs, and \`${v}\` is none (no scheme://host), so it never matches`,
      help: "write the URL, e.g. `http://169.254.169.254/`, or use `host:` for a host",
    };
  }
  return undefined;
}

function fragment(what: string, v: string): OperandProblem | undefined {
  if (!v.includes("#")) return undefined;
  return {
    code: "bad_value",
    message: `${what} \`${v}\` has a \`#\` fragment, which never reaches the server and is not part of a request's URL, so it never matches`,
    help: "drop the fragment; the server sees only the path and query",
  };
}
