import { parseStrictJson } from "../request/strict-json.js";

/**
 * Reads a JSON request body with the checks an API owes its callers: the
 * content type (415), a size limit enforced while reading, not after (413),
 * JSON that parses (400 bad_json), and JSON with one reading only (400
 * invalid_request naming the place: a duplicate key, a number out of range,
 * a lone surrogate; see request/strict-json.ts), and a body that stops
 * arriving (408 body_incomplete: the client left, or timed out).
 */
export type BodyResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      code: "unsupported_media_type" | "body_too_large" | "bad_encoding" | "bad_json" | "invalid_request" | "body_incomplete";
      message: string;
      field?: string;
    };

export async function readJsonBody(req: Request, maxBytes: number): Promise<BodyResult> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return { ok: false, code: "unsupported_media_type", message: `content-type must be application/json, got \`${type || "none"}\`` };
  }
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const tooLarge: BodyResult = { ok: false, code: "body_too_large", message: `body is larger than ${maxBytes} bytes` };
  if (declared > maxBytes) return tooLarge;
  let bytes: Uint8Array;
  try {
    if (Number.isFinite(declared)) {
      // Length known and within the limit: read it in one go (much cheaper than a stream reader on Node).
      bytes = new Uint8Array(await req.arrayBuffer());
      if (bytes.byteLength > maxBytes) return tooLarge;
    } else {
      const streamed = await readLimited(req, maxBytes);
      if (!streamed) return tooLarge;
      bytes = streamed;
    }
  } catch (e) {
    // Not a bug of ours: the client went away mid-body, or dribbled it past the server's request timeout.
    return {
      ok: false,
      code: "body_incomplete",
      message: `the body did not arrive whole (${(e as Error)?.message ?? e}): the connection closed or the request timed out`,
    };
  }
  return parseJson(bytes);
}

/** A body of unknown length, read chunk by chunk and abandoned as soon as it passes the limit. */
async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return bytes;
}

// One decoder for every body: a whole-buffer decode (no `stream`) keeps no state between calls, and building one per request costs more than the decode.
const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(bytes: Uint8Array): BodyResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: "bad_encoding", message: "body is not valid UTF-8" };
  }
  if (text.trim() === "") return { ok: false, code: "bad_json", message: "body is empty" };
  const r = parseStrictJson(text);
  if (r.ok) return r;
  if (r.problem === "syntax") return { ok: false, code: "bad_json", message: `body is ${r.message}` };
  return { ok: false, code: "invalid_request", message: r.message, ...(r.at !== "" ? { field: r.at } : {}) };
}
