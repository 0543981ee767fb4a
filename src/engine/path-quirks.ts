// The code points HFS+ skips when comparing names (zero-width, direction marks and overrides, BOM).
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/;

/**
 * Names a case-insensitive (Windows, macOS) file system reads as another name:
 * a trailing dot or space (Win32 drops it: `.env.` is `.env`), a `:` (an NTFS
 * stream: `.env::$DATA` is `.env`), 8.3 short names (`ENV~1`), a `\` (a
 * directory separator to Windows: `/Users/a\.env` is `/Users/a/.env`), and the
 * code points HFS+ ignores when it compares names (`.g\u200cit` is `.git`; the
 * list git checks for since CVE-2014-9390).
 */
export function windowsQuirk(path: string): string | undefined {
  for (const seg of path.split("/")) {
    if (seg === "") continue;
    const why = /[. ]$/.test(seg)
      ? "ends with a dot or a space, which Windows drops"
      : seg.includes(":")
        ? "contains `:`, which names an NTFS stream of another file"
        : /~\d+(\.[^.]*)?$/.test(seg)
          ? "looks like an 8.3 short name, which Windows resolves to a long name"
          : seg.includes("\\")
            ? "contains `\\`, which Windows reads as a directory separator (send the path with `/`)"
            : HFS_IGNORED.test(seg)
              ? "contains an invisible code point that HFS+ ignores when it compares names"
              : undefined;
    if (why) return `uncertain: in a case-insensitive policy the path segment \`${seg}\` ${why}; send the file's full, plain name`;
  }
  return undefined;
}
