/**
 * The comparison form of a name on a case-insensitive file system (macOS
 * APFS/HFS+, Windows NTFS), for `paths: { caseInsensitive: true }`.
 *
 * The rule it must keep: two names the file system treats as one file fold to
 * the same text, so `/proj/.ENV` cannot escape a `**\/.env` deny. Folding more
 * names together than a file system does only makes a deny catch more, so
 * where file systems differ this takes the coarser reading:
 *
 * - Unicode canonical equivalence (NFC): `é` as one code point or as `e` plus a
 *   combining accent is one name (APFS and HFS+ compare them as equal; NTFS
 *   does not, which only makes the fold coarser there), and so are the Kelvin
 *   sign `K` (U+212A) and `K`, the Ohm sign and `Ω`, the Ångström sign and `Å`.
 * - Case, by full case folding approximated as lower, upper, then lower case
 *   (lower first so that capital `ẞ` becomes `ß` before `ß` becomes `SS`): `ß`,
 *   `ẞ` and `ss`, long `ſ` and `s` (NTFS upper-cases `ſ` to `S`), dotless `ı` and `i`
 *   (NTFS upper-cases `ı` to `I`) all fold together. Turkish `İ` folds to `i`
 *   plus a combining dot, as in Unicode's full folding, so it stays apart from
 *   `i` (no file system joins them either).
 * - Final sigma `ς` is `σ`, so the fold of a name never depends on what
 *   follows it (JavaScript lower-cases `Σ` by context).
 *
 * The steps are NFD, lower, upper and lower case, `ς` → `σ`, NFC; the property
 * tests check that folding is idempotent and joins these pairs. One known
 * limit: the Greek iota subscript (U+0345, inside `ᾳ`, `ᾀ`, ...) changes its
 * canonical order when case-mapped, so such a name followed by another
 * combining mark can fold apart from its upper-case spelling (Unicode's own
 * canonical caseless match has the same gap).
 */
const ASCII = /^[\x00-\x7f]*$/;

export function foldCase(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  return s.normalize("NFD").toLowerCase().toUpperCase().toLowerCase().replace(/ς/g, "σ").normalize("NFC");
}

/**
 * Characters whose fold, or whose NFC composition with a neighbour, can depend
 * on the text next to them: anything outside ASCII, ASCII letters (`e` plus a
 * combining accent composes to `é`) and `<`, `=`, `>` (they compose with a
 * combining long solidus into `≮`, `≠`, `≯`). The rest of ASCII (`/`, `.`,
 * digits, punctuation) is inert: its fold is itself whatever surrounds it.
 */
export function foldInert(cp: number): boolean {
  return cp < 0x80 && !((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x3c && cp <= 0x3e));
}
