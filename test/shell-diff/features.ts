/**
 * The shell constructs a line uses, so that divergences group into classes
 * (`rm` run through a here-document in `$(`, through `env -S`, ...) rather
 * than by the payload's name alone.
 */
const FEATURES: Array<[string, RegExp]> = [
  ["heredoc", /<<-?\s*[^<\s]/],
  ["herestring", /<<</],
  ["cmdsub", /\$\(/],
  ["backtick", /`/],
  ["dquote", /"/],
  ["squote", /(^|[^$])'/],
  ["ansi-c", /\$'/],
  ["locale", /\$"/],
  ["param-op", /\$\{[^}]*[:#%/^,-]/],
  ["for-no-in", /\bfor\s+\w+\s*(;|\n)?\s*do\b/],
  ["for", /\bfor\b/],
  ["while", /\b(while|until)\b/],
  ["case", /\bcase\b/],
  ["function", /\(\)\s*\{|\bfunction\s/],
  ["dbracket", /\[\[/],
  ["dparen", /\(\(/],
  ["brace", /\{[^}\s]*(,|\.\.)[^}]*\}/],
  ["alias", /\balias\b/],
  ["trap", /\btrap\b/],
  ["eval", /\beval\b/],
  ["source", /(^|[\s;&|(])(\.|source)\s/],
  ["shell-c", /\b(ba|z|da)?sh\s+(-\S+\s+)*-\w*c/],
  ["double-dash", /\s--(\s|$)/],
  ["env-S", /\benv\b.*(-S|--split-string)/],
  ["flock", /\bflock\b/],
  ["su", /\bsu\b/],
  ["sudo", /\bsudo\b/],
  ["xargs", /\bxargs\b/],
  ["find-exec", /\bfind\b.*-exec/],
  ["watch", /\bwatch\b/],
  ["timeout", /\btimeout\b/],
  ["nice", /\bnice\b/],
  ["comment", /(^|\s)#/],
  ["continuation", /\\\n/],
  ["procsub", /[<>]\(/],
  ["fd-redirect", /\d+[<>]|[<>]&|\{\w+\}[<>]/],
  ["amp-redirect", /&>/],
  ["pipe-amp", /\|&/],
  ["tilde", /(^|\s|=)~/],
  ["glob", /[*?]/],
  ["array", /\w=\(/],
  ["exec", /\bexec\b/],
  ["command-builtin", /\b(command|builtin)\b/],
  ["background", /[^&>]&(\s|$)/],
  ["newline", /\n/],
];

export function features(line: string): string[] {
  return FEATURES.filter(([, re]) => re.test(line)).map(([n]) => n);
}
