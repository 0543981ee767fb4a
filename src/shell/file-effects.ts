import type { Base } from "./effects.js";
import { type Field, fieldText, isConcreteField, unknownField, cwdField } from "./fields.js";
import { optSpec, parseArgs, type ParsedArgs } from "./getopt.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * The files well-known programs read, write and delete, with their options
 * parsed exactly as the programs parse them (getopt.ts), so a deny on
 * `**\/.env` stops `cat .env`, `grep -ie KEY .env`, `sort -o/app/secrets/x f`,
 * `cp -t/tmp .env` and `wc --files0-from=.env` exactly as it stops a file
 * read tool. Option values are tagged: `@w` a file written, `@r` a file read,
 * `@R` a file of file names (the names inside are only known at run time),
 * `@x` a program run (refused: the engine cannot see what it does),
 * `@d` a directory the operands are relative to, `@W` a directory written into.
 * An option the table does not know is refused rather than guessed.
 */
type Operands =
  /** every operand is a file the program reads (writes, deletes) */
  | "read"
  | "write"
  | "delete"
  /** names that are only looked at (`ls`, `stat`): read */
  | "stat"
  /** `cp`/`mv`: sources, then a destination (or `-t DIR`) */
  | "copy"
  | "move"
  /** `ln TARGET LINK`: the target becomes reachable through the link, so it counts as read */
  | "link"
  /** `uniq [IN [OUT]]`, `xxd [IN [OUT]]` */
  | "in-out"
  /** first operand is not a file (a pattern, a mode, an owner), the rest are read/written */
  | "pattern-read"
  | "mode-write"
  /** operands may be files or not (test, readlink): only deny rules apply */
  | "possible"
  /** operands are not files */
  | "none";

interface FileProgram {
  opts: string;
  operands: Operands;
  /** options that make the operands recursive (the file and everything under it) */
  recursive?: string;
  /** options that turn the read operands into writes too (`sed -i`) */
  inPlace?: string;
  /** options that mean the first operand is not a pattern (`grep -e`, `grep -f`) */
  patternGiven?: string;
  /** long options only match exactly (no GNU abbreviations) */
  exact?: boolean;
}

const COMMON = "--help --version";

const PROGRAMS: Record<string, FileProgram> = {
  cat: {
    opts: `-A -b -e -E -n -s -t -T -u -v --show-all/A --number-nonblank/b --show-ends/E --number/n --squeeze-blank/s --show-tabs/T --show-nonprinting/v ${COMMON}`,
    operands: "read",
  },
  tac: { opts: `-b -r -s: --before/b --regex/r --separator/s ${COMMON}`, operands: "read" },
  nl: {
    opts: `-b: -d: -f: -h: -i: -l: -n: -p -s: -v: -w: --body-numbering/b --section-delimiter/d --footer-numbering/f --header-numbering/h --line-increment/i --join-blank-lines/l --number-format/n --no-renumber/p --number-separator/s --starting-line-number/v --number-width/w ${COMMON}`,
    operands: "read",
  },
  head: { opts: `# -c: -n: -q -v -z --bytes/c --lines/n --quiet/q --silent/q --verbose/v --zero-terminated/z ${COMMON}`, operands: "read" },
  tail: {
    opts: `# -c: -f -F -n: -q -s: -v -z --bytes/c --follow:: --lines/n --max-unchanged-stats: --pid: --quiet/q --silent/q --retry --sleep-interval/s --verbose/v --zero-terminated/z ${COMMON}`,
    operands: "read",
  },
  less: {
    opts: "-c -e -E -F -g -G -i -I -J -m -M -n -N -q -Q -r -R -s -S -u -U -w -W -X -b: -h: -j: -k:@r -o:@w -O:@w -p: -P: -t: -T:@r -x: -y: -z: --quit-at-eof/e --QUIT-AT-EOF/E --quit-if-one-screen/F --ignore-case/i --IGNORE-CASE/I --LINE-NUMBERS/N --line-numbers/n --raw-control-chars/R --RAW-CONTROL-CHARS/R --chop-long-lines/S --no-init/X --squeeze-blank-lines/s --silent/q --quiet/q --pattern/p --tag/t --tag-file/T --log-file/o --LOG-FILE/O --lesskey-file/k --help --version",
    operands: "read",
    exact: true,
  },
  more: {
    opts: "-d -f -l -c -p -s -u -n: --silent/d --logical/f --no-pause/l --print-over/p --clean-print/c --squeeze/s --plain/u --lines/n --help --version #",
    operands: "read",
  },
  wc: { opts: `-c -m -l -L -w --bytes/c --chars/m --lines/l --max-line-length/L --words/w --files0-from:@R --total: ${COMMON}`, operands: "read" },
  sort: {
    opts: `-b -c -C -d -f -g -h -i -M -m -n -R -r -s -u -V -z -k: -o:@w -S: -t: -T:@W --ignore-leading-blanks/b --check:: --dictionary-order/d --ignore-case/f --general-numeric-sort/g --human-numeric-sort/h --ignore-nonprinting/i --month-sort/M --merge/m --numeric-sort/n --random-sort/R --random-source:@r --reverse/r --sort: --stable/s --unique/u --version-sort/V --zero-terminated/z --key/k --output/o --buffer-size/S --field-separator/t --temporary-directory/T --batch-size: --compress-program:@x --debug --files0-from:@R --parallel: ${COMMON}`,
    operands: "read",
  },
  uniq: {
    opts: `-c -d -D -i -u -z -f: -s: -w: --count/c --repeated/d --all-repeated:: --group:: --ignore-case/i --unique/u --zero-terminated/z --skip-fields/f --skip-chars/s --check-chars/w ${COMMON}`,
    operands: "in-out",
  },
  cut: {
    opts: `-b: -c: -d: -f: -n -s -z --bytes/b --characters/c --delimiter/d --fields/f --complement --only-delimited/s --output-delimiter: --zero-terminated/z ${COMMON}`,
    operands: "read",
  },
  paste: { opts: `-d: -s -z --delimiters/d --serial/s --zero-terminated/z ${COMMON}`, operands: "read" },
  join: {
    opts: `-a: -e: -i -j: -o: -t: -v: -1: -2: -z --ignore-case/i --check-order --nocheck-order --header --zero-terminated/z ${COMMON}`,
    operands: "read",
  },
  comm: { opts: `-1 -2 -3 -z --check-order --nocheck-order --output-delimiter: --total --zero-terminated/z ${COMMON}`, operands: "read" },
  fold: { opts: `-b -s -w: --bytes/b --spaces/s --width/w ${COMMON} #`, operands: "read" },
  fmt: {
    opts: `-c -p: -s -t -u -w: -g: --crown-margin/c --prefix/p --split-only/s --tagged-paragraph/t --uniform-spacing/u --width/w --goal/g ${COMMON} #`,
    operands: "read",
  },
  expand: { opts: `-i -t: --initial/i --tabs/t ${COMMON} #`, operands: "read" },
  unexpand: { opts: `-a -t: --all/a --first-only --tabs/t ${COMMON} #`, operands: "read" },
  tr: { opts: `-c -C -d -s -t --complement/c --delete/d --squeeze-repeats/s --truncate-set1/t ${COMMON}`, operands: "none" },
  rev: { opts: "-0 -V -h --zero/0 --version/V --help/h", operands: "read" },
  strings: {
    opts: "-a -d -f -w -e: -n: -t: -o -s: -T: -U: --all/a --data/d --print-file-name/f --bytes/n --radix/t --encoding/e --output-separator/s --target/T --include-all-whitespace/w --unicode/U --help --version #",
    operands: "read",
  },
  od: {
    opts: `-A: -j: -N: -S:: -t: -v -w:: -a -b -c -d -f -i -l -o -s -x --address-radix/A --skip-bytes/j --read-bytes/N --strings/S --format/t --output-duplicates/v --width/w --traditional --endian: ${COMMON}`,
    operands: "read",
  },
  xxd: {
    opts: "-a -b -C -e -E -i -p -r -u -d -c: -g: -l: -n: -o: -s: -R: -h -v -autoskip/a -bits/b -capitalize/C -EBCDIC/E -include/i -ps/p -postscript/p -plain/p -revert/r -cols/c -groupsize/g -len/l -name/n -seek/s -version/v",
    operands: "in-out",
    exact: true,
  },
  hexdump: {
    opts: "-b -c -C -d -o -x -e: -f:@r -L:: -n: -s: -v --one-byte-octal/b --one-byte-char/c --canonical/C --two-bytes-decimal/d --two-bytes-octal/o --two-bytes-hex/x --format/e --format-file/f --color:: --length/n --skip/s --no-squeezing/v --help --version",
    operands: "read",
  },
  base64: { opts: `-d -i -w: --decode/d --ignore-garbage/i --wrap/w ${COMMON}`, operands: "read" },
  base32: { opts: `-d -i -w: --decode/d --ignore-garbage/i --wrap/w ${COMMON}`, operands: "read" },
  ...Object.fromEntries(
    ["md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "cksum", "sum"].map((n) => [
      n,
      // `-c sums` reads the files listed in `sums`: names only known at run time
      {
        opts: `-b -c@R -t -z -l: -a: -r -s --binary/b --check/c --tag --text/t --zero/z --ignore-missing --quiet --status --strict --warn --length/l --algorithm/a --untagged --base64 --raw --debug ${COMMON}`,
        operands: "read",
      } satisfies FileProgram,
    ]),
  ),
  file: {
    opts: "-b -c -E -h -i -k -l -L -N -n -p -r -s -S -z -Z -0 -d -e: -F: -f:@R -m:@r -P: -C --brief/b --checking-printout/c --exclude/e --exclude-quiet: --extension --files-from/f --separator/F --mime/i --mime-type --mime-encoding --keep-going/k --list/l --dereference/L --no-dereference/h --magic-file/m --no-buffer/n --no-pad/N --print0/0 --preserve-date/p --parameter/P --raw/r --special-files/s --uncompress/z --uncompress-noreport/Z --compile/C --help --version",
    operands: "read",
  },
  diff: {
    opts: `-a -b -B -c -C: -d -D: -e -E -f -F: -H -i -I: -l -L: -n -N -p -P -q -r -s -S: -t -T -u -U: -v -w -W: -x: -X:@r -y -Z --normal --brief/q --report-identical-files/s --context:: --unified:: --ed/e --rcs/n --side-by-side/y --width/W --left-column --suppress-common-lines --show-c-function/p --show-function-line/F --label/L --expand-tabs/t --initial-tab/T --tabsize: --suppress-blank-empty --paginate/l --recursive/r --no-dereference --new-file/N --unidirectional-new-file --ignore-file-name-case --no-ignore-file-name-case --exclude/x --exclude-from/X --starting-file/S --from-file:@r --to-file:@r --ignore-case/i --ignore-tab-expansion/E --ignore-trailing-space/Z --ignore-space-change/b --ignore-all-space/w --ignore-blank-lines/B --ignore-matching-lines/I --text/a --strip-trailing-cr --ifdef/D --old-group-format: --new-group-format: --unchanged-group-format: --changed-group-format: --line-format: --old-line-format: --new-line-format: --unchanged-line-format: --minimal/d --horizon-lines: --speed-large-files --color:: --palette: ${COMMON} #`,
    operands: "read",
    recursive: "r",
  },
  cmp: { opts: `-b -i: -l -n: -s --print-bytes/b --ignore-initial/i --verbose/l --bytes/n --quiet/s --silent/s ${COMMON}`, operands: "read" },
  grep: {
    opts: `-E -F -G -P -e: -f:@r -i -y -w -x -z -s -v -V -m: -b -n -H -h -o -q -a -I -d: -D: -r -R -L -l -c -T -Z -U -A: -B: -C: --extended-regexp/E --fixed-strings/F --basic-regexp/G --perl-regexp/P --regexp/e --file/f --ignore-case/i --no-ignore-case --word-regexp/w --line-regexp/x --null-data/z --no-messages/s --invert-match/v --max-count/m --byte-offset/b --line-number/n --no-line-number --line-buffered --with-filename/H --no-filename/h --label: --only-matching/o --quiet/q --silent/q --binary-files: --text/a --directories/d --devices/D --recursive/r --dereference-recursive/R --include: --exclude: --exclude-from:@r --exclude-dir: --files-without-match/L --files-with-matches/l --count/c --initial-tab/T --null/Z --before-context/B --after-context/A --context/C --group-separator: --no-group-separator --color:: --colour:: --binary/U --help --version #`,
    operands: "pattern-read",
    recursive: "rR",
    patternGiven: "ef",
  },
  touch: { opts: `-a -c -d: -f -h -m -r:@r -t: --no-create/c --date/d --no-dereference/h --reference/r --time: ${COMMON}`, operands: "write" },
  truncate: { opts: `-c -o -r:@r -s: --no-create/c --io-blocks/o --reference/r --size/s ${COMMON}`, operands: "write" },
  mkdir: { opts: `-m: -p -v -Z --mode/m --parents/p --verbose/v --context:: ${COMMON}`, operands: "write" },
  mkfifo: { opts: `-m: -Z --mode/m --context:: ${COMMON}`, operands: "write" },
  tee: { opts: `-a -i -p --append/a --ignore-interrupts/i --output-error:: ${COMMON}`, operands: "write" },
  rm: {
    opts: `-f -i -I -r -R -d -v --force/f --interactive:: --one-file-system --no-preserve-root --preserve-root:: --recursive/r --dir/d --verbose/v ${COMMON}`,
    operands: "delete",
    recursive: "rR",
  },
  rmdir: { opts: `-p -v --ignore-fail-on-non-empty --parents/p --verbose/v ${COMMON}`, operands: "delete" },
  unlink: { opts: COMMON, operands: "delete" },
  shred: {
    opts: `-f -n: -s: -u -v -x -z --force/f --iterations/n --random-source:@r --size/s --remove:: --verbose/v --exact/x --zero/z ${COMMON}`,
    operands: "write",
  },
  cp: {
    opts: `-a -b -d -f -i -H -l -L -n -P -p -R -r -s -S: -t:@d -T -u -v -x -Z --archive/a --attributes-only --backup:: --copy-contents --force/f --interactive/i --link/l --dereference/L --no-clobber/n --no-dereference/P --preserve:: --no-preserve: --parents --recursive/r --reflink:: --remove-destination --sparse: --strip-trailing-slashes --symbolic-link/s --suffix/S --target-directory/t --no-target-directory/T --update:: --verbose/v --one-file-system/x --context:: --debug --keep-directory-symlink ${COMMON}`,
    operands: "copy",
    recursive: "aRr",
  },
  mv: {
    opts: `-b -f -i -n -S: -t:@d -T -u -v -Z --backup:: --force/f --interactive/i --no-clobber/n --no-copy --strip-trailing-slashes --suffix/S --target-directory/t --no-target-directory/T --update:: --verbose/v --context/Z --debug --exchange ${COMMON}`,
    operands: "move",
    recursive: "",
  },
  ln: {
    opts: `-b -d -F -f -i -L -n -P -r -s -S: -t:@d -T -v --backup:: --directory/d --force/f --interactive/i --logical/L --no-dereference/n --physical/P --relative/r --symbolic/s --suffix/S --target-directory/t --no-target-directory/T --verbose/v ${COMMON}`,
    operands: "link",
  },
  chmod: {
    opts: `-c -f -v -R --changes/c --silent/f --quiet/f --verbose/v --no-preserve-root --preserve-root --reference:@r --recursive/R ${COMMON}`,
    operands: "mode-write",
    recursive: "R",
  },
  chown: {
    opts: `-c -f -v -h -H -L -P -R --changes/c --silent/f --quiet/f --verbose/v --dereference --no-dereference/h --from: --no-preserve-root --preserve-root --reference:@r --recursive/R ${COMMON}`,
    operands: "mode-write",
    recursive: "R",
  },
  chgrp: {
    opts: `-c -f -v -h -H -L -P -R --changes/c --silent/f --quiet/f --verbose/v --dereference --no-dereference/h --no-preserve-root --preserve-root --reference:@r --recursive/R ${COMMON}`,
    operands: "mode-write",
    recursive: "R",
  },
  ls: {
    opts: `-a -A -b -B -c -C -d -D -f -F -g -G -h -H -i -k -l -L -m -n -N -o -p -q -Q -r -R -s -S -t -u -U -v -x -X -Z -1 -I: -T: -w: --all/a --almost-all/A --author --escape/b --block-size: --ignore-backups/B --color:: --directory/d --dired/D --classify:: --file-type --format: --full-time --group-directories-first --no-group/G --human-readable/h --si --dereference-command-line/H --dereference-command-line-symlink-to-dir --hide: --hyperlink:: --indicator-style: --inode/i --ignore/I --kibibytes/k --dereference/L --numeric-uid-gid/n --literal/N --hide-control-chars/q --show-control-chars --quote-name/Q --quoting-style: --reverse/r --recursive/R --size/s --sort: --time: --time-style: --tabsize/T --width/w --context/Z --zero ${COMMON}`,
    operands: "stat",
  },
  stat: { opts: `-L -f -t -c: --dereference/L --file-system/f --format/c --printf: --terse/t --cached: ${COMMON}`, operands: "stat" },
  du: {
    opts: `-0 -a -B: -b -c -D -d: -H -h -k -L -l -m -P -S -s -t: -X:@r -x --null/0 --all/a --apparent-size --block-size/B --bytes/b --total/c --dereference-args/D --max-depth/d --files0-from:@R --human-readable/h --inodes --dereference/L --count-links/l --no-dereference/P --separate-dirs/S --si --summarize/s --threshold/t --time:: --time-style: --exclude-from/X --exclude: --one-file-system/x ${COMMON}`,
    operands: "stat",
  },
  tree: {
    opts: "-a -d -l -f -x -L: -R -P: -I: -o:@w -i -q -N -Q -p -u -g -s -h -D -F -r -t -c -U -v -C -n -J -X -H: --noreport --dirsfirst --filelimit: --fromfile --gitignore --help --version",
    operands: "stat",
    exact: true,
  },
  realpath: {
    opts: `-e -m -L -P -q -s -z --canonicalize-existing/e --canonicalize-missing/m --logical/L --physical/P --quiet/q --relative-to: --relative-base: --strip/s --no-symlinks/s --zero/z ${COMMON}`,
    operands: "possible",
  },
  readlink: {
    opts: `-f -e -m -n -q -s -v -z --canonicalize/f --canonicalize-existing/e --canonicalize-missing/m --no-newline/n --quiet/q --silent/s --verbose/v --zero/z ${COMMON}`,
    operands: "possible",
  },
  test: { opts: "", operands: "possible" },
  "[": { opts: "", operands: "possible" },
  rg: {
    opts: "-a -b -c -F -H -h -i -I -l -L -n -N -o -p -q -s -S -u -U -v -V -w -x -z -0 -. -A: -B: -C: -d: -e: -f:@r -g: -j: -m: -M: -r: -t: -T: -E: --binary --block-buffered --byte-offset --case-sensitive --column --count --count-matches --crlf --debug --trace --files --files-with-matches --files-without-match --fixed-strings --follow --glob-case-insensitive --heading --hidden --ignore-case --invert-match --json --line-buffered --line-number --line-regexp --max-columns-preview --mmap --multiline --multiline-dotall --no-config --no-filename --no-heading --no-ignore --no-ignore-dot --no-ignore-exclude --no-ignore-files --no-ignore-global --no-ignore-messages --no-ignore-parent --no-ignore-vcs --no-line-number --no-messages --no-mmap --no-pcre2-unicode --no-require-git --no-unicode --null --null-data --one-file-system --only-matching --passthru --pcre2 --pcre2-version --pretty --quiet --search-zip --smart-case --stats --text --trim --type-list --unrestricted --vimgrep --with-filename --word-regexp --auto-hybrid-regex --no-auto-hybrid-regex --include-zero --no-include-zero --help --version --after-context/A --before-context/B --context/C --max-depth/d --regexp/e --file/f --glob/g --threads/j --max-count/m --max-columns/M --replace/r --type/t --type-not/T --encoding/E --iglob: --type-add: --type-clear: --context-separator: --field-context-separator: --field-match-separator: --path-separator: --sort: --sortr: --max-filesize: --pre:@x --pre-glob: --engine: --colors: --color: --dfa-size-limit: --regex-size-limit: --ignore-file:@r --hostname-bin:@x --hyperlink-format: --generate:",
    operands: "pattern-read",
    patternGiven: "ef",
    recursive: "",
    exact: true,
  },
  jq: {
    opts: "-c -n -r -j -a -s -S -C -M -e -f:@r -L: -h -V --compact-output/c --null-input/n --raw-output/r --join-output/j --ascii-output/a --slurp/s --sort-keys/S --color-output/C --monochrome-output/M --tab --indent: --unbuffered --stream --stream-errors --seq --exit-status/e -R --from-file/f --raw-input/R --raw-output0 --help/h --version/V --build-configuration --arg --argjson --slurpfile --rawfile --args --jsonargs",
    operands: "pattern-read",
    patternGiven: "f",
    exact: true,
  },
  dd: { opts: "", operands: "none" },
};

/** Models for every program in the table. */
export const FILE_PROGRAMS: Record<string, Model> = Object.fromEntries(
  Object.entries(PROGRAMS).map(([name, p]) => [name, (inv: Invocation) => fileProgram(inv, p)]),
);
FILE_PROGRAMS.dd = dd;
FILE_PROGRAMS.jq = jq;

function fileProgram(inv: Invocation, p: FileProgram): void {
  const run: Runner = inv.run;
  if (p.operands === "possible") {
    if (
      (inv.name === "test" || inv.name === "[") &&
      inv.args.some((f, k) => k > 0 && isConcreteField(inv.args[k - 1]!) && fieldText(inv.args[k - 1]!) === "-v" && /\[/.test(fieldText(f)))
    ) {
      run.uncertain("`test -v NAME[...]`: bash evaluates the subscript, which can run commands");
    }
    run.possibleFiles(inv.args, inv.bases);
    return;
  }
  if (inv.name === "less" && inv.args.some((f) => fieldText(f).startsWith("+") || !isConcreteField(f))) {
    run.uncertain("`less +COMMAND` (or a run-time argument) runs less commands, which can run programs; page the file without it");
  }
  const spec = optSpec(p.opts, { abbreviate: p.exact !== true });
  const parsed = parseArgs(inv.args, spec);
  if (parsed.error) run.uncertain(`\`${inv.name}\`: ${parsed.error} (the engine knows ${inv.name}'s options; write them as its manual does)`);
  for (const o of parsed.options) if (o.tag && o.value) applyTag(inv, o.tag, o.value, `${o.name.length === 1 ? "-" : "--"}${o.name}`);
  if (parsed.unknown) {
    // a run-time word may be any option: assume each tagged option, with a run-time value
    for (const d of spec.tagged)
      applyTag(
        inv,
        d.tag!,
        unknownField("a value known at run time"),
        `${d.name.length === 1 ? "-" : "--"}${d.name}, which a word only known at run time may be,`,
      );
  }
  const lists = parsed.options.some((o) => o.tag === "R" && o.value === undefined) || (parsed.unknown && spec.tagged.some((d) => d.tag === "R"));
  const bases = inv.bases;
  // `grep -d recurse` (`--directories=recurse`) is `grep -r`
  const recurseOpt =
    inv.name === "grep" &&
    parsed.options.some(
      (o) => (o.name === "d" || o.name === "directories") && (o.value === undefined || !isConcreteField(o.value) || fieldText(o.value) === "recurse"),
    );
  const tree =
    inv.name === "rg" ||
    recurseOpt ||
    (parsed.unknown ? p.recursive !== undefined : p.recursive !== undefined && parsed.options.some((o) => p.recursive!.includes(o.name)));
  let operands = parsed.operands;
  const fx = (op: "read" | "write" | "delete", f: Field) => run.file(op, f, bases, { tree });
  const runTime = () => unknownField("a file named at run time");
  switch (p.operands) {
    case "read":
    case "stat":
      for (const f of operands) fx("read", f);
      if (parsed.unknown) fx("read", runTime());
      // `ls`, `du`, `tree` with no operand list the current directory
      if (p.operands === "stat" && operands.length === 0 && inv.name !== "stat") fx("read", cwdField());
      break;
    case "write":
      for (const f of operands) fx("write", f);
      break;
    case "delete":
      for (const f of operands) fx("delete", f);
      break;
    case "pattern-read": {
      // rg --files lists files: no pattern
      const given =
        (p.patternGiven !== undefined && parsed.options.some((o) => p.patternGiven!.includes(o.name))) ||
        (inv.name === "rg" && parsed.options.some((o) => o.name === "files" || o.name === "type-list"));
      if (!given) operands = operands.slice(1);
      for (const f of operands) fx("read", f);
      if (parsed.unknown) fx("read", runTime());
      // `grep -r PATTERN` with no file searches the current directory
      if (tree && operands.length === 0) fx("read", cwdField());
      break;
    }
    case "mode-write": {
      const reference = parsed.options.some((o) => o.name === "reference");
      if (!reference) operands = operands.slice(1);
      for (const f of operands) fx("write", f);
      break;
    }
    case "in-out":
      if (operands[0]) fx("read", operands[0]);
      if (operands[1]) fx("write", operands[1]);
      for (const f of operands.slice(2)) fx("read", f);
      if (parsed.unknown) fx("write", runTime());
      break;
    case "copy":
    case "move":
    case "link":
      copyLike(inv, parsed, p.operands, bases, tree || p.operands === "move");
      break;
    case "none":
      break;
  }
  if (lists) run.file("read", unknownField("the files a list names"), bases);
}

export function applyTag(inv: Invocation, tag: string, value: Field, what: string): void {
  const run: Runner = inv.run;
  switch (tag) {
    case "w":
      run.file("write", value, inv.bases);
      break;
    case "r":
      run.file("read", value, inv.bases);
      break;
    case "W":
      // a directory the program writes files into (`sort -T DIR`)
      run.file("write", value, inv.bases, { tree: true });
      break;
    case "R":
      run.file("read", value, inv.bases);
      run.file("read", unknownField(`a file named in ${value.src}`), inv.bases);
      break;
    case "x":
      run.uncertain(`\`${inv.name} ${what}\` runs a program the engine cannot see (\`${value.src}\`)`);
  }
}

/** `cp SRC... DEST`, `cp -t DIR SRC...`, `mv`, `ln TARGET... LINK`. */
function copyLike(inv: Invocation, parsed: ParsedArgs, kind: "copy" | "move" | "link", bases: readonly Base[], tree: boolean): void {
  const run: Runner = inv.run;
  const targetOpt = parsed.options.find((o) => o.name === "t");
  const noTargetDir = parsed.options.some((o) => o.name === "T");
  const operands = parsed.operands;
  let sources: readonly Field[];
  let dest: Field | undefined;
  if (targetOpt?.value) {
    sources = operands;
    dest = targetOpt.value;
  } else if (kind === "link" && operands.length === 1) {
    sources = operands;
    dest = cwdField(); // `ln -s TARGET`: a link in the current directory
  } else {
    sources = operands.slice(0, -1);
    dest = operands[operands.length - 1];
  }
  // A hard link (`ln` without -s, `cp -l`) is the source file under a second name, and a
  // write to the link writes the source: making one is a write of the source.
  const has = (n: string) => parsed.options.some((o) => o.name === n);
  const hardLink = (kind === "link" && !has("s")) || (kind === "copy" && has("l") && !has("s"));
  // a symbolic link to a directory makes everything under it reachable under another name
  // (`ln -s /app /tmp/a; cat /tmp/a/secrets/key`); a target named like a file (`../config.json`) is taken as one
  const symbolic = kind === "link" && parsed.options.some((o) => o.name === "s");
  const mayBeDir = (f: Field) => !isConcreteField(f) || !/^[^.][^/]*\.[A-Za-z0-9]+$/.test(fieldText(f).split("/").pop() ?? "");
  for (const s of sources) {
    run.file("read", s, bases, { tree: (symbolic && mayBeDir(s)) || (tree && kind !== "link") });
    if (kind === "move") run.file("delete", s, bases, { tree: true });
    if (hardLink) run.file("write", s, bases, { tree: tree && kind === "copy" });
  }
  if (parsed.unknown) {
    run.file("read", unknownField("a file named at run time"), bases, { tree: true });
    run.file("write", unknownField("a file named at run time"), bases, { tree: true });
  }
  if (!dest) return;
  // DEST is a directory (the sources land inside it) or, with one source, possibly the new name
  const intoDir = targetOpt !== undefined || sources.length > 1 || !noTargetDir;
  if ((sources.length <= 1 && !targetOpt) || noTargetDir) run.file("write", dest, bases, { tree: tree || kind === "move" });
  if (intoDir && !noTargetDir) {
    for (const s of sources) {
      // `cp --parents a/b/c DIR` writes DIR/a/b/c
      const inside = parsed.options.some((o) => o.name === "parents") ? withinDir(dest, s, true) : withinDir(dest, s);
      run.file("write", inside, bases, { tree: tree || kind === "move" });
    }
  }
}

/** `DIR/basename(SRC)`: where `cp SRC DIR` puts the copy (`DIR/SRC` with `--parents`). */
function withinDir(dir: Field, src: Field, parents = false): Field {
  if (isConcreteField(src)) {
    const name = parents ? fieldText(src).replace(/\/+$/, "").replace(/^\/+/, "") : (fieldText(src).replace(/\/+$/, "").split("/").pop() ?? "");
    const d = dir.path;
    const t = [...d, d.length > 0 && typeof d[d.length - 1] === "string" && (d[d.length - 1] as string).endsWith("/") ? name : "/" + name];
    return { t, path: t, split: dir.split, vanish: false, src: `${dir.src}/${name}` };
  }
  const t = [...dir.path, "/", { hole: "any" as const, source: src.src }];
  return { t, path: t, split: true, vanish: false, src: `${dir.src}/${src.src}` };
}

/** `dd if=FILE of=FILE`: operands are `key=value`. */
function dd(inv: Invocation): void {
  const run: Runner = inv.run;
  for (const f of inv.args) {
    const head = typeof f.t[0] === "string" ? f.t[0] : "";
    if (head.startsWith("if=")) run.file("read", sliceHead(f, 3), inv.bases);
    else if (head.startsWith("of=")) run.file("write", sliceHead(f, 3), inv.bases);
    else if (head === "" && !isConcreteField(f)) {
      run.file("read", unknownField(f.src), inv.bases);
      run.file("write", unknownField(f.src), inv.bases);
    } else if (!/^[a-z]+=/.test(head) && !/^--(help|version)$/.test(head)) run.uncertain(`\`dd\` operand \`${f.src}\` is not \`key=value\``);
  }
}

function sliceHead(f: Field, n: number): Field {
  const first = f.t[0] as string;
  const t = [first.slice(n), ...f.t.slice(1)].filter((p) => p !== "");
  const path = [(f.path[0] as string).slice(n), ...f.path.slice(1)].filter((p) => p !== "");
  return { t, path, split: f.split, vanish: false, src: f.src.slice(n) };
}

/**
 * `jq FILTER [FILES]`: `--arg NAME VALUE` and `--argjson NAME JSON` take two
 * words, `--slurpfile NAME FILE` and `--rawfile NAME FILE` read a file,
 * `--args`/`--jsonargs` make the remaining operands values, not files.
 */
function jq(inv: Invocation): void {
  const run: Runner = inv.run;
  const rest: Field[] = [];
  const args = inv.args;
  let valuesOnly = false;
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    const text = isConcreteField(f) ? fieldText(f) : undefined;
    if (text === "--arg" || text === "--argjson") {
      i += 2;
      continue;
    }
    if (text === "--slurpfile" || text === "--rawfile") {
      const file = args[i + 2];
      if (file) run.file("read", file, inv.bases);
      i += 2;
      continue;
    }
    if (text === "--args" || text === "--jsonargs") {
      valuesOnly = true;
      continue;
    }
    if (valuesOnly && !(text ?? "-").startsWith("-")) continue;
    // a program from a file, or modules from a search path, may read anything the filter could (`env`, `include`)
    if (text !== undefined && /^(-[a-zA-Z]*[fL]|--from-file|-L.*)/.test(text))
      run.uncertain(`\`jq ${text}\` reads its program or modules from files the engine does not read; write the filter on the line`);
    // `env` and `$ENV` in a filter are the whole environment; `import`/`include` read module files
    if (text === undefined || /\$ENV\b|\benv\b/.test(text)) run.env(null);
    if (text !== undefined && /\b(import|include|modulemeta)\b/.test(text))
      run.uncertain("a jq filter with `import`/`include` reads module files the engine does not read; inline the definitions");
    rest.push(f);
  }
  fileProgram({ ...inv, args: rest }, PROGRAMS.jq!);
}
