// Bundles the Lambda handler into one ESM file for runtime nodejs22.x:
// build/lambda/index.mjs (handler: index.handler), policy compiled in.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./handler.ts", import.meta.url).pathname],
  bundle: true,
  platform: "node",
  target: "node22",
  format: "esm",
  outfile: new URL("../../build/lambda/index.mjs", import.meta.url).pathname,
  // The AWS SDK is CommonJS inside; an ESM bundle needs `require` for Node built-ins.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  minify: true,
  // No source map: a 3.3 MiB map in the package, read at start under --enable-source-maps,
  // made the cold start about a third slower; the template does not set that flag.
  sourcemap: false,
  logLevel: "warning",
});
