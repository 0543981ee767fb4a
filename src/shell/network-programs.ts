import type { NetEffect } from "./effects.js";
import { type Field, fieldHead, fieldText, isConcreteField, literalField, sliceField, unknownField, cwdField } from "./fields.js";
import { optSpec, parseArgs, type ParsedArgs } from "./getopt.js";
import type { Invocation, Model, Runner } from "./invocation.js";

/**
 * Programs that connect to the network: each destination given on the line
 * becomes a `network.request` (normalized like any other network request),
 * and the files they read and write are file actions (`curl -d @.env` reads
 * `.env`). Options that send the connection somewhere other than the named
 * host (`curl --resolve`, `ssh -o ProxyCommand`, tunnels) or run programs
 * are refused.
 */

const CURL =
  "-a -E: -K:@x -C: -b: -c:@w -d: -D:@w -f -F: -q -G -g -I -H: -h -0 -i -k -4 -6 -j -l -L -M -n -N -o:@w -Z -P: -x: -p -U: -Q: -r: -e: -J -O -R -X: -S -s -Y: -y: -2 -3 -t: -z: -1 -T: -B -u: -A: -v -V -w: " +
  "--abstract-unix-socket:@x --alt-svc:@w --anyauth --append/a --aws-sigv4: --basic --cacert:@r --capath: --cert/E --cert-status --cert-type: --ciphers: --compressed --compressed-ssh --config/K --connect-timeout: --connect-to:@x --continue-at/C --cookie/b --cookie-jar/c --create-dirs --create-file-mode: --crlf --crlfile:@r --curves: --data/d --data-ascii: --data-binary: --data-raw: --data-urlencode: --delegation: --digest --disable/q --disable-eprt --disable-epsv --disallow-username-in-url --dns-interface: --dns-ipv4-addr: --dns-ipv6-addr: --dns-servers:@x --doh-cert-status --doh-insecure --doh-url:@x --dump-header/D --egd-file: --engine: --etag-compare:@r --etag-save:@w --expect100-timeout: --fail/f --fail-early --fail-with-body --false-start --form/F --form-escape --form-string: --ftp-account: --ftp-alternative-to-user: --ftp-create-dirs --ftp-method: --ftp-pasv --ftp-port/P --ftp-pret --ftp-skip-pasv-ip --ftp-ssl-ccc --ftp-ssl-ccc-mode: --ftp-ssl-control --get/G --globoff/g --happy-eyeballs-timeout-ms: --haproxy-protocol --head/I --header/H --help/h --hostpubmd5: --hostpubsha256: --hsts:@w --http0.9 --http1.0/0 --http1.1 --http2 --http2-prior-knowledge --http3 --http3-only --ignore-content-length --include/i --insecure/k --interface: --ipv4/4 --ipv6/6 --json: --junk-session-cookies/j --keepalive-time: --key:@r --key-type: --krb: --libcurl:@w --limit-rate: --list-only/l --local-port: --location/L --location-trusted --login-options: --mail-auth: --mail-from: --mail-rcpt: --mail-rcpt-allowfails --manual/M --max-filesize: --max-redirs: --max-time/m -m: --metalink --negotiate --netrc/n --netrc-file:@r --netrc-optional --next --no-alpn --no-buffer/N --no-clobber --no-keepalive --no-npn --no-progress-meter --no-sessionid --noproxy: --ntlm --ntlm-wb --oauth2-bearer: --output/o --output-dir: --parallel/Z --parallel-immediate --parallel-max: --pass: --path-as-is --pinnedpubkey: --post301 --post302 --post303 --preproxy: --progress-bar --proto: --proto-default: --proto-redir: --proxy/x --proxy-anyauth --proxy-basic --proxy-cacert:@r --proxy-capath: --proxy-cert: --proxy-cert-type: --proxy-ciphers: --proxy-crlfile:@r --proxy-digest --proxy-header: --proxy-insecure --proxy-key:@r --proxy-key-type: --proxy-negotiate --proxy-ntlm --proxy-pass: --proxy-pinnedpubkey: --proxy-service-name: --proxy-ssl-allow-beast --proxy-ssl-auto-client-cert --proxy-tls13-ciphers: --proxy-tlsauthtype: --proxy-tlspassword: --proxy-tlsuser: --proxy-tlsv1 --proxy-user/U --proxy1.0: --proxytunnel/p --pubkey:@r --quote/Q --random-file: --range/r --rate: --raw --referer/e --remote-header-name/J --remote-name/O --remote-name-all --remote-time/R --remove-on-error --request/X --request-target: --resolve:@x --retry: --retry-all-errors --retry-connrefused --retry-delay: --retry-max-time: --sasl-authzid: --sasl-ir --service-name: --show-error/S --silent/s --socks4: --socks4a: --socks5: --socks5-basic --socks5-gssapi --socks5-gssapi-nec --socks5-gssapi-service: --socks5-hostname: --speed-limit/Y --speed-time/y --ssl --ssl-allow-beast --ssl-auto-client-cert --ssl-no-revoke --ssl-reqd --ssl-revoke-best-effort --sslv2/2 --sslv3/3 --stderr:@w --styled-output --suppress-connect-headers --tcp-fastopen --tcp-nodelay --telnet-option/t --tftp-blksize: --tftp-no-options --time-cond/z --tls-max: --tls13-ciphers: --tlsauthtype: --tlspassword: --tlsuser: --tlsv1/1 --tlsv1.0 --tlsv1.1 --tlsv1.2 --tlsv1.3 --tr-encoding --trace:@w --trace-ascii:@w --trace-time --unix-socket:@x --upload-file/T --url: --use-ascii/B --user/u --user-agent/A --verbose/v --version/V --write-out/w --xattr";

/** curl options whose value may be `@FILE` (the file is read). */
const CURL_AT_FILE = new Set(["d", "data-ascii", "data-binary", "data-urlencode", "json", "H", "proxy-header", "w"]);
const CURL_PROXY = new Set(["x", "preproxy", "proxy1.0", "socks4", "socks4a", "socks5", "socks5-hostname"]);

function curl(inv: Invocation): void {
  const run: Runner = inv.run;
  const args = inv.args.filter(
    (f) =>
      !(isConcreteField(f) && /^--no-[a-z]/.test(fieldText(f)) && !/^--no-(alpn|buffer|clobber|keepalive|npn|progress-meter|sessionid)$/.test(fieldText(f))),
  );
  const parsed = parseArgs(args, optSpec(CURL));
  if (parsed.error) run.uncertain(`\`curl\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`curl` with a word only known at run time where an option could be (an output file, a config file)");
  const globoff = parsed.options.some((o) => o.name === "g");
  const urls: Field[] = [...parsed.operands];
  for (const o of parsed.options) {
    const v = o.value;
    if (o.tag === "x") run.uncertain(`\`curl ${dashes(o.name)}\` sends the connection or reads options the engine cannot check`);
    if (!v) {
      if (o.name === "O" || o.name === "remote-name-all") run.file("write", unknownField("the file name curl takes from the URL"), inv.bases);
      continue;
    }
    if (o.tag === "w") run.file("write", v, inv.bases);
    else if (o.tag === "r") run.file("read", v, inv.bases);
    else if (o.name === "url") urls.push(v);
    else if (o.name === "output-dir") run.file("write", v, inv.bases, { tree: true });
    else if (CURL_PROXY.has(o.name)) hostPort(inv, v, "proxy");
    else if (CURL_AT_FILE.has(o.name) && fieldHead(v).startsWith("@")) run.file("read", sliceField(v, 1), inv.bases);
    else if (o.name === "data-urlencode" && /@/.test(fieldHead(v))) run.file("read", sliceField(v, fieldHead(v).indexOf("@") + 1), inv.bases);
    else if (o.name === "F") form(inv, v);
    else if (o.name === "T") {
      // curl expands `{a,b}` and `[1-9]` in upload names into several files
      if (/[{[]/.test(fieldText(v))) run.uncertain("`curl -T` expands `{...}` and `[...]` into several files; name each file");
      if (!(isConcreteField(v) && (fieldText(v) === "." || fieldText(v) === "-"))) run.file("read", v, inv.bases);
    } else if (o.name === "b") {
      if (!fieldHead(v).includes("=")) run.file("read", v, inv.bases); // a cookie file, not a cookie
    }
  }
  for (const u of urls) url(inv, u, { globoff, defaultScheme: "http" });
}

/**
 * `-F name=@FILE;type=T;filename=N;headers=@HFILE`: the file is read up to
 * the first `;` (the rest are parameters), and `headers=@F`/`headers=<F`
 * reads a header file; quoted names (`@"a;b"`) are curl's own syntax.
 */
function form(inv: Invocation, v: Field): void {
  const run: Runner = inv.run;
  if (!isConcreteField(v)) {
    run.file("read", unknownField(v.src), inv.bases);
    return;
  }
  const t = fieldText(v);
  if (t.includes('"')) run.uncertain("`curl -F` with a quoted file name or value (curl's own quoting); name the file without quotes");
  const eq = t.indexOf("=");
  const [value, ...params] = (eq < 0 ? "" : t.slice(eq + 1)).split(";");
  if (/^[@<]/.test(value!)) run.file("read", literalField(value!.slice(1)), inv.bases);
  for (const p of params) {
    const h = /^\s*headers=([@<])(.*)$/i.exec(p);
    if (h) run.file("read", literalField(h[2]!), inv.bases);
  }
}

function dashes(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** A URL given to a program; without a scheme, `defaultScheme` (curl guesses http). */
function url(inv: Invocation, f: Field, opts: { globoff?: boolean; defaultScheme?: string } = {}): void {
  const run: Runner = inv.run;
  if (!isConcreteField(f)) run.uncertain(`\`${inv.name}\` connects to \`${f.src}\`, a URL only known at run time`);
  let u = fieldText(f);
  if (!opts.globoff && /[{[]/.test(u)) run.uncertain(`\`${inv.name}\` expands \`{...}\` and \`[...]\` in URLs into several URLs; pass -g or write each URL`);
  if (/^file:/i.test(u)) {
    run.file("read", literalField(u.replace(/^file:(\/\/[^/]*)?/i, "")), inv.bases);
    return;
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(u)) u = `${/^ftp\./i.test(u) ? "ftp" : (opts.defaultScheme ?? "http")}://${u}`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(u)![1]!.toLowerCase();
  if (["http", "https", "ws", "wss", "ftp"].includes(scheme)) run.net({ url: u });
  else {
    const m = /^[^:]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?/.exec(u);
    if (!m) run.uncertain(`\`${inv.name}\`: cannot tell the host of \`${u}\``);
    const port = m[2] ? Number(m[2]) : DEFAULT_PORTS[scheme];
    if (port === undefined) run.uncertain(`\`${inv.name}\`: the port of a \`${scheme}://\` URL is not known; write it`);
    run.net({ host: m[1]!.replace(/^\[|\]$/g, ""), port, scheme });
  }
}

const DEFAULT_PORTS: Record<string, number> = {
  ssh: 22,
  git: 9418,
  sftp: 22,
  scp: 22,
  rsync: 873,
  telnet: 23,
  smtp: 25,
  imap: 143,
  pop3: 110,
  ldap: 389,
  dict: 2628,
  gopher: 70,
  tftp: 69,
  mqtt: 1883,
  rtsp: 554,
  smb: 445,
};

/** `host`, `host:port`, `[v6]:port`, `user@host`. */
function hostPort(inv: Invocation, f: Field, what: string, scheme = "tcp", defaultPort?: number): void {
  const run: Runner = inv.run;
  if (!isConcreteField(f)) run.uncertain(`\`${inv.name}\` connects to a ${what} only known at run time`);
  let t = fieldText(f).replace(/^[a-z0-9+]+:\/\//i, "");
  t = t.replace(/^[^@]*@/, "");
  const m = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(t);
  if (!m) run.uncertain(`\`${inv.name}\`: cannot tell the host of \`${fieldText(f)}\``);
  const port = m[2] ? Number(m[2]) : defaultPort;
  const n: NetEffect = { host: m[1]!.replace(/^\[|\]$/g, ""), scheme };
  if (port !== undefined) n.port = port;
  else run.uncertain(`\`${inv.name}\` connects to \`${fieldText(f)}\` on a port the engine does not know; write it`);
  run.net(n);
}

const WGET =
  "-V -h -b -e: -o:@w -a:@w -d -q -v -i:@x -F -B: --config:@x --no-config --rejected-log:@w -t: --retry-connrefused --retry-on-http-error: -O: --no-netrc -c --start-pos: --progress: --show-progress -N --no-if-modified-since --no-use-server-timestamps -S --spider -T: --dns-timeout: --connect-timeout: --read-timeout: -w: --waitretry: --random-wait --no-proxy -Q: --bind-address: --limit-rate: --no-dns-cache --restrict-file-names: --ignore-case -4 -6 --prefer-family: --user: --password: --ask-password --use-askpass:@x --no-iri --local-encoding: --remote-encoding: --unlink --xattr -x --protocol-directories -P: --cut-dirs: --http-user: --http-password: --no-cache --default-page: -E --ignore-length --header: --compression: --max-redirect: --proxy-user: --proxy-password: --referer: --save-headers -U: --no-http-keep-alive --no-cookies --load-cookies:@r --save-cookies:@w --keep-session-cookies --post-data: --post-file:@r --method: --body-data: --body-file:@r --content-disposition --content-on-error --auth-no-challenge --secure-protocol: --https-only --no-check-certificate --certificate:@r --certificate-type: --private-key:@r --private-key-type: --ca-certificate:@r --ca-directory: --crl-file:@r --pinnedpubkey: --ciphers: --no-hsts --hsts-file:@w --ftp-user: --ftp-password: --no-remove-listing --no-glob --no-passive-ftp --preserve-permissions --retr-symlinks --ftps-implicit --ftps-resume-ssl --ftps-clear-data-connection --ftps-fallback-to-ftp --warc-file:@w --warc-header: --warc-max-size: --warc-cdx --warc-dedup:@r --no-warc-compression --no-warc-digests --no-warc-keep-log --warc-tempdir: -r -l: --delete-after -k --convert-file-only --backups: -K -m -p --strict-comments -A: -R: --accept-regex: --reject-regex: --regex-type: -D: --exclude-domains: --follow-ftp --follow-tags: --ignore-tags: -H -L -I: -X: -n: " +
  "--version/V --help/h --background/b --execute/e --output-file/o --append-output/a --debug/d --quiet/q --verbose/v --input-file/i --force-html/F --base/B --tries/t --output-document/O --continue/c --timestamping/N --server-response/S --timeout/T --wait/w --quota/Q --inet4-only/4 --inet6-only/6 --force-directories/x --directory-prefix/P --adjust-extension/E --user-agent/U --recursive/r --level/l --convert-links/k --backup-converted/K --mirror/m --page-requisites/p --accept/A --reject/R --domains/D --span-hosts/H --relative/L --include-directories/I --exclude-directories/X --no-verbose --no-clobber --no-directories --no-host-directories --no-parent --trust-server-names";

function wget(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec(WGET));
  if (parsed.error) run.uncertain(`\`wget\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`wget` with a word only known at run time where an option could be");
  for (const o of parsed.options) {
    if (o.tag === "x") run.uncertain(`\`wget ${dashes(o.name)}\` reads URLs or settings the engine cannot see`);
    if (o.name === "e" && !(o.value && isConcreteField(o.value) && /^robots\s*=\s*(on|off)$/i.test(fieldText(o.value))))
      run.uncertain("`wget -e COMMAND` runs a wgetrc command that can change where it writes; only `-e robots=off` is modelled");
    // unchanged files are hard-linked from the --link-dest tree: its files get second names
    if (o.name === "link-dest" && o.value) run.file("write", o.value, inv.bases, { tree: true });
    if (o.tag === "w" && o.value) run.file("write", o.value, inv.bases);
    if (o.tag === "r" && o.value) run.file("read", o.value, inv.bases);
  }
  const has = (n: string) => parsed.options.some((o) => o.name === n);
  const doc = parsed.options.find((o) => o.name === "O");
  const prefix = parsed.options.find((o) => o.name === "P")?.value;
  const dir = prefix ?? cwdField();
  const tree = has("r") || has("m") || has("p") || has("content-disposition") || has("x") || has("trust-server-names");
  for (const u of parsed.operands) url(inv, u, { defaultScheme: "http" });
  if (doc?.value) run.file("write", doc.value, inv.bases);
  else if (tree || !parsed.operands.every(isConcreteField)) run.file("write", dir, inv.bases, { tree: true });
  else {
    for (const u of parsed.operands) {
      const name =
        fieldText(u)
          .replace(/[?#].*$/, "")
          .replace(/^[a-z]+:\/\/[^/]*/i, "")
          .split("/")
          .pop() || "index.html";
      run.file("write", joinPath(dir, name), inv.bases);
    }
  }
}

function joinPath(dir: Field, name: string): Field {
  return isConcreteField(dir) ? literalField(`${fieldText(dir).replace(/\/+$/, "")}/${name}`) : unknownField(`${dir.src}/${name}`);
}

const NC =
  "-4 -6 -b -C -d -D -F -h -k -l@l -n -N -r -S -t -u -U@x -v -z -Z -c:@x -e:@x -g: -G: -i: -I: -m: -M: -O: -o:@w -p: -P: -q: -s: -T: -V: -w: -x: -X: --exec/e --sh-exec/c --lua-exec:@x --listen/l --udp/u --ssl --proxy/x --proxy-type: --source/s --source-port/p --wait/w --idle-timeout/i --keep-open/k --verbose/v --output/o --hex-dump:@w --recv-only --send-only --nodns/n --crlf/C --help/h --version";

function netcat(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec(NC, { abbreviate: false }));
  if (parsed.error) run.uncertain(`\`${inv.name}\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain(`\`${inv.name}\` with a word only known at run time`);
  for (const o of parsed.options) {
    if (o.tag === "x") run.uncertain(`\`${inv.name} ${dashes(o.name)}\` runs a program or uses a socket the engine cannot check`);
    if (o.tag === "l") run.uncertain(`\`${inv.name} -l\` listens for connections from anywhere`);
    // unchanged files are hard-linked from the --link-dest tree: its files get second names
    if (o.name === "link-dest" && o.value) run.file("write", o.value, inv.bases, { tree: true });
    if (o.tag === "w" && o.value) run.file("write", o.value, inv.bases);
    if (o.name === "x" && o.value) hostPort(inv, o.value, "proxy", "tcp", 1080);
  }
  const [host, port, ...more] = parsed.operands;
  if (!host) return;
  if (more.length > 0 || (port && !(isConcreteField(port) && /^\d+$/.test(fieldText(port)))))
    run.uncertain(`\`${inv.name}\` with several ports or a port range; name one port`);
  if (!port) run.uncertain(`\`${inv.name}\` without a port`);
  const scheme = parsed.options.some((o) => o.name === "u") ? "udp" : "tcp";
  if (!isConcreteField(host)) run.uncertain(`\`${inv.name}\` connects to a host only known at run time`);
  run.net({ host: fieldText(host).replace(/^\[|\]$/g, ""), port: Number(fieldText(port)), scheme });
}

/** `socat ADDRESS ADDRESS`: each address is a connection, a file, stdio, or something refused. */
function socat(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec("-V -h -d -D -v -x -b: -s -t: -T: -u -U -g -L:@w -W:@w -4 -6 -l:", { abbreviate: false }));
  if (parsed.error) run.uncertain(`\`socat\`: ${parsed.error} (log options like -lf are not modelled)`);
  if (parsed.unknown || parsed.operands.length !== 2) run.uncertain("`socat` takes exactly two addresses known before it runs");
  for (const a of parsed.operands) {
    if (!isConcreteField(a)) run.uncertain("`socat` address only known at run time");
    const text = fieldText(a).replace(/,.*$/, "");
    const m = /^([A-Za-z0-9-]+):(.*)$/.exec(text);
    const kind = (m ? m[1]! : text).toUpperCase();
    const rest = m ? m[2]! : "";
    if (kind === "-" || kind === "STDIO" || kind === "STDIN" || kind === "STDOUT" || kind === "STDERR") continue;
    if (/^(TCP|TCP4|TCP6|TCP-CONNECT|OPENSSL|SSL|OPENSSL-CONNECT|UDP|UDP4|UDP6|UDP-CONNECT|UDP-SENDTO)$/.test(kind)) {
      const hp = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(rest);
      if (!hp) run.uncertain(`\`socat ${text}\`: name a host and a numeric port`);
      run.net({ host: hp[1]!.replace(/^\[|\]$/g, ""), port: Number(hp[2]), scheme: kind.startsWith("UDP") ? "udp" : "tcp" });
    } else if (/^(OPEN|FILE|GOPEN|CREATE|CREAT|PIPE)$/.test(kind)) {
      run.file("read", literalField(rest), inv.bases);
      run.file("write", literalField(rest), inv.bases);
    } else run.uncertain(`\`socat ${kind}:\` addresses (listening sockets, programs, devices) are not modelled`);
  }
}

const SSH_SAFE_OPTIONS =
  /^(stricthostkeychecking|userknownhostsfile|connecttimeout|batchmode|serveraliveinterval|serveralivecountmax|loglevel|port|user|identitiesonly|identityfile|passwordauthentication|pubkeyauthentication|kbdinteractiveauthentication|compression|forwardagent|requesttty|connectionattempts|tcpkeepalive|hashknownhosts|addkeystoagent|updatehostkeys|checkhostip|visualhostkey|exitonforwardfailure|preferredauthentications|ciphers|macs|kexalgorithms|hostkeyalgorithms|pubkeyacceptedkeytypes|pubkeyacceptedalgorithms|setenv|sendenv|escapechar|controlmaster|controlpersist|controlpath|globalknownhostsfile|rekeylimit|ipqos|addressfamily|nohostauthenticationforlocalhost|gssapiauthentication)$/;

const SSH =
  "-4 -6 -A -a -C -f -G -g -K -k -M -N -n -q -s -T -t -V -v -X -x -Y -y -B: -b: -c: -D:@t -E:@w -e: -F:@x -I:@x -i:@r -J: -L:@t -l: -m: -O: -o: -p: -Q: -R:@t -S: -W:@t -w:@t";

function sshOptions(inv: Invocation, parsed: ParsedArgs): { port?: number; user?: string } {
  const run: Runner = inv.run;
  let port: number | undefined;
  for (const o of parsed.options) {
    if (o.tag === "x") run.uncertain(`\`${inv.name} -${o.name}\` reads a configuration or library that can run programs`);
    if (o.tag === "t") run.uncertain(`\`${inv.name} -${o.name}\` opens a tunnel to hosts the engine does not check`);
    // unchanged files are hard-linked from the --link-dest tree: its files get second names
    if (o.name === "link-dest" && o.value) run.file("write", o.value, inv.bases, { tree: true });
    if (o.tag === "w" && o.value) run.file("write", o.value, inv.bases);
    if (o.tag === "r" && o.value) run.file("read", o.value, inv.bases);
    if ((o.name === "p" || o.name === "P") && o.value && isConcreteField(o.value)) port = Number(fieldText(o.value));
    if (o.name === "J" && o.value) {
      if (!isConcreteField(o.value)) run.uncertain(`\`${inv.name} -J\` with a host only known at run time`);
      for (const hop of fieldText(o.value).split(",")) hostPort(inv, literalField(hop), "jump host", "ssh", 22);
    }
    if (o.name === "o" && o.value) {
      if (!isConcreteField(o.value)) run.uncertain(`\`${inv.name} -o\` with a setting only known at run time`);
      const key = fieldText(o.value).split(/[\s=]/)[0]!.toLowerCase();
      if (!SSH_SAFE_OPTIONS.test(key))
        run.uncertain(`\`${inv.name} -o ${key}\` can run programs or send the connection elsewhere (ProxyCommand, LocalCommand, HostName, ...)`);
      const v = fieldText(o.value).split(/[\s=]+/)[1];
      if (key === "port" && v) port = Number(v);
    }
  }
  return port === undefined ? {} : { port };
}

function ssh(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(inv.args, optSpec(`+ ${SSH}`, { abbreviate: false }));
  if (parsed.error) run.uncertain(`\`ssh\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`ssh` with a word only known at run time before the destination");
  const { port } = sshOptions(inv, parsed);
  const dest = inv.args[parsed.rest ?? inv.args.length];
  if (!dest) return;
  hostPort(inv, dest, "host", "ssh", port ?? 22);
}

/** `scp SRC... DEST`, `sftp HOST`, `rsync SRC... DEST`: `[user@]host:path` operands are remote. */
function scp(inv: Invocation): void {
  const run: Runner = inv.run;
  const parsed = parseArgs(
    inv.args,
    optSpec("-3 -4 -6 -A -B -C -O -p -q -R -r -s -T -v -c: -D:@x -F:@x -i:@r -J: -l: -o: -P: -S:@x -X:", { abbreviate: false }),
  );
  if (parsed.error) run.uncertain(`\`scp\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`scp` with a word only known at run time");
  const { port } = sshOptions(inv, parsed);
  const tree = parsed.options.some((o) => o.name === "r");
  remoteCopy(inv, parsed.operands, { port: port ?? 22, tree, scheme: "ssh" });
}

function remoteCopy(inv: Invocation, operands: readonly Field[], o: { port: number; tree: boolean; scheme: string; deletes?: "dest" | "sources" }): void {
  const run: Runner = inv.run;
  operands.forEach((f, k) => {
    const isDest = k === operands.length - 1 && operands.length > 1;
    if (!isConcreteField(f)) {
      if (fieldHead(f).includes(":")) run.uncertain(`\`${inv.name}\`: remote host only known at run time`);
      run.file(isDest ? "write" : "read", f, inv.bases, { tree: o.tree || isDest });
      return;
    }
    const t = fieldText(f);
    const remote = /^([a-z+]+):\/\//i.test(t) || /^[^/]*?:/.test(t);
    if (remote) {
      if (/^rsync:\/\//i.test(t) || /^[^/:]+::/.test(t)) hostPort(inv, literalField(t.replace(/::.*$/, "").replace(/^rsync:\/\//i, "")), "host", "rsync", 873);
      else hostPort(inv, literalField(t.replace(/^(scp|sftp|ssh):\/\//i, "").replace(/:.*$/, "")), "host", o.scheme, o.port);
      return;
    }
    // A local DEST that is a directory receives DEST/basename(SRC) (and with `-r`, `SRC/` the
    // contents): every file below DEST may be written, whatever the sources are.
    run.file(isDest ? "write" : "read", f, inv.bases, { tree: o.tree || isDest });
    if (isDest && o.deletes === "dest") run.file("delete", f, inv.bases, { tree: true });
    if (!isDest && o.deletes === "sources") run.file("delete", f, inv.bases, { tree: true });
  });
}

const RSYNC_FLAGS =
  "v q c a r R b u l L k K H p E A X o g D t O J U N S n W x C y 0 s z h i P m 4 6 8 F e: f: B: T: M: --verbose/v --quiet/q --checksum/c --archive/a --recursive/r --relative/R --backup/b --update/u --links/l --copy-links/L --copy-dirlinks/k --keep-dirlinks/K --hard-links/H --perms/p --executability/E --acls/A --xattrs/X --owner/o --group/g --devices --specials --times/t --omit-dir-times/O --omit-link-times/J --atimes/U --crtimes/N --sparse/S --dry-run/n --whole-file/W --one-file-system/x --cvs-exclude/C --fuzzy/y --from0/0 --secluded-args/s --protect-args --compress/z --human-readable/h --itemize-changes/i --partial --progress --prune-empty-dirs/m --ipv4/4 --ipv6/6 --8-bit-output/8 --rsh/e --filter/f --block-size/B --temp-dir/T --remote-option/M --delete --delete-before --delete-during --delete-delay --delete-after --delete-excluded --remove-source-files --exclude: --include: --exclude-from:@r --include-from:@r --files-from:@R --password-file:@r --log-file:@w --write-batch:@w --only-write-batch:@w --read-batch:@r --rsync-path: --backup-dir: --suffix: --compare-dest: --copy-dest: --link-dest: --chmod: --chown: --usermap: --groupmap: --timeout: --contimeout: --bwlimit: --max-size: --min-size: --max-delete: --modify-window: --port: --info: --debug: --stats --list-only --mkpath --inplace --append --append-verify --ignore-existing --ignore-times --size-only --existing --force --numeric-ids --no-motd --out-format: --log-file-format: --iconv: --partial-dir: --delay-updates --safe-links --munge-links --copy-unsafe-links --no-implied-dirs --super --fake-super --blocking-io --outbuf: --help --version";

function rsync(inv: Invocation): void {
  const run: Runner = inv.run;
  const spec = optSpec(
    RSYNC_FLAGS.split(" ")
      .map((t) => (/^[A-Za-z0-9](:)?$/.test(t) ? `-${t}` : t))
      .join(" "),
  );
  const parsed = parseArgs(inv.args, spec);
  if (parsed.error) run.uncertain(`\`rsync\`: ${parsed.error}`);
  if (parsed.unknown) run.uncertain("`rsync` with a word only known at run time where an option could be");
  let port = 22;
  for (const o of parsed.options) {
    if (o.name === "e" && o.value) {
      if (
        !isConcreteField(o.value) ||
        !/^ssh(\s+(-[46ACTqvx]+|-p\s*\d+|-i\s*\S+|-o\s*(StrictHostKeyChecking|UserKnownHostsFile|BatchMode|ConnectTimeout)=\S+))*$/.test(fieldText(o.value))
      ) {
        run.uncertain("`rsync -e` runs a remote shell command the engine does not model; use plain `ssh` with -p/-i");
      }
      const m = /-p\s*(\d+)/.exec(fieldText(o.value));
      if (m) port = Number(m[1]);
    }
    // unchanged files are hard-linked from the --link-dest tree: its files get second names
    if (o.name === "link-dest" && o.value) run.file("write", o.value, inv.bases, { tree: true });
    if (o.tag === "w" && o.value) run.file("write", o.value, inv.bases);
    if (o.tag === "r" && o.value) run.file("read", o.value, inv.bases);
    if (o.tag === "R" && o.value) {
      run.file("read", o.value, inv.bases);
      run.file("read", unknownField(`the files ${o.value.src} names`), inv.bases, { tree: true });
    }
  }
  const has = (n: string) => parsed.options.some((o) => o.name === n || o.name.startsWith(n));
  const tree = has("r") || has("a");
  remoteCopy(inv, parsed.operands, {
    port,
    tree,
    scheme: "ssh",
    ...(has("delete") ? { deletes: "dest" as const } : has("remove-source-files") ? { deletes: "sources" as const } : {}),
  });
}

function telnet(inv: Invocation): void {
  const ops = inv.args.filter((f) => !fieldHead(f).startsWith("-"));
  if (!ops[0]) inv.run.uncertain("`telnet` without a host reads commands from stdin");
  const port = ops[1] && isConcreteField(ops[1]) && /^\d+$/.test(fieldText(ops[1])) ? Number(fieldText(ops[1])) : ops[1] ? undefined : 23;
  if (port === undefined) inv.run.uncertain("`telnet` with a port the engine does not know; write a number");
  hostPort(inv, ops[0], "host", "telnet", port);
}

function interactive(inv: Invocation): void {
  inv.run.uncertain(`\`${inv.name}\` reads commands from stdin (including \`!\` local commands); the engine cannot see them`);
}

export const NETWORK_PROGRAMS: Record<string, Model> = {
  curl,
  wget,
  nc: netcat,
  ncat: netcat,
  netcat,
  "nc.openbsd": netcat,
  "nc.traditional": netcat,
  socat,
  ssh,
  scp,
  sftp: interactive,
  ftp: interactive,
  rsync,
  telnet,
};

/** For git: a remote given as a URL or `user@host:path` on the line. */
export function remoteUrl(inv: Invocation, f: Field): void {
  if (!isConcreteField(f)) inv.run.uncertain(`\`${inv.name}\` with a remote only known at run time`);
  const t = fieldText(f);
  if (/^(ext|fd)::/.test(t) || /^[a-z]+::/.test(t)) inv.run.uncertain(`\`${t.split("::")[0]}::\` remotes run programs`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(t)) {
    if (/^file:/i.test(t)) return;
    url(inv, f);
  } else if (/^[^/]*?:/.test(t) && !/^[A-Za-z]:[\\/]/.test(t)) {
    hostPort(inv, literalField(t.replace(/:.*$/, "")), "host", "ssh", 22);
  }
}

/** Words of an unmodelled program that are URLs: possible destinations. */
export function urlLike(f: Field): string | undefined {
  if (!isConcreteField(f)) return undefined;
  const t = fieldText(f);
  return /^(https?|wss?|ftp):\/\/[^\s]+$/i.test(t) ? t : undefined;
}

/**
 * Destinations inside a word of an unmodelled program: URLs within inline
 * code (`python3 -c "urlopen('http://169.254.169.254/')"`), and a word that is
 * an IP address in any form ping or a resolver accepts (`169.254.169.254`,
 * `2852039166`, `0xa9fea9fe`, `[fd00::1]`, with a `:port`) or a `.internal`
 * name; each as a URL on that host.
 */
export function destinationsIn(f: Field): string[] {
  if (!isConcreteField(f)) return [];
  const t = fieldText(f);
  const out: string[] = [];
  for (const m of t.matchAll(/(?:https?|wss?|ftp):\/\/[^\s'"`<>()\\,;]+/gi)) if (m[0] !== t) out.push(m[0]);
  const host = /^(?:[^@\s]*@)?((?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}|\[[0-9a-f:.]+\]|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.internal\.?)(?::\d+)?$/i.exec(t);
  // a bare number is an address only when it is too large to be a count or a port (`ping -c 3`)
  if (host && !(/^\d+$/.test(host[1]!) && Number(host[1]) < 16_777_216)) out.push(`http://${host[1]}/`);
  return out;
}
