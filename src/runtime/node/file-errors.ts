import { open } from "node:fs/promises";

/**
 * A file system error as a cause in a sentence: `ENOSPC: no space left on
 * device` (Node's message without the trailing `, write` / `, open '<path>'`,
 * which the sentence around it says better).
 */
export function errorCause(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  const message = typeof err?.message === "string" ? err.message : String(e);
  if (typeof err?.code === "string" && message.startsWith(err.code + ":")) return message.replace(/, \w+(?: '[^']*')?(?: -> '[^']*')?$/, "");
  return message;
}

/** fsync of a directory: makes a created, renamed or removed name durable (Linux; elsewhere it may be refused). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
