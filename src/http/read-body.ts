/**
 * Reads a JSON request body with the checks an API owes its callers: the
 * content type (415), a size limit enforced while reading, not after (413),
 * and JSON that parses (400).
 */
export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; code: string; message: string };

export async function readJsonBody(req: Request, maxBytes: number): Promise<BodyResult> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return { ok: false, status: 415, code: "unsupported_media_type", message: `content-type must be application/json, got \`${type || "none"}\`` };
  }
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const tooLarge: BodyResult = { ok: false, status: 413, code: "body_too_large", message: `body is larger than ${maxBytes} bytes` };
  if (declared > maxBytes) return tooLarge;
  if (!req.body) return { ok: false, status: 400, code: "bad_json", message: "body is empty" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, code: "bad_encoding", message: "body is not valid UTF-8" };
  }
  if (text.trim() === "") return { ok: false, status: 400, code: "bad_json", message: "body is empty" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, status: 400, code: "bad_json", message: `body is not valid JSON: ${(e as Error).message}` };
  }
}
