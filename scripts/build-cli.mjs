// Build step after tsc (`npm run build`):
// 1. bundle the CLI into dist/bundle/ — one file per lazily loaded command instead of ~500 modules,
//    which takes ~80 ms off every start (ESM loading is per file); ssh2 stays outside (native add-ons);
// 2. precompile the report templates (see src/report/precompiled.ts).
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { writePrecompiled } from '../dist/report/precompiled.js';
import { buildInputsHash, STAMP } from './build-inputs.mjs';

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;

// zod re-exports all of its ~60 translations as `z.locales`, which firebreak never reads; being a
// namespace export of the `z` object it cannot be tree-shaken, so it is replaced by an empty module
// (English, the default, is imported by zod's schemas directly and stays).
const noZodLocales = {
  name: 'no-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]node_modules[/\\]zod[/\\]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['ssh2', 'tsx'],
  // Bundled CommonJS packages (handlebars) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __firebreakRequire } from 'node:module'; const require = __firebreakRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [noZodLocales],
});
writePrecompiled();
// Last: a build that failed above leaves no stamp, so the next `npm test` builds again.
writeFileSync(STAMP, `${buildInputsHash()}\n`);
