// Bundles the action (dist/index.js, what GitHub runs) and the CLI (dist/cli.js): self-contained, byte-stable ESM files.
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require() for Node built-ins at run time.
  banner: { js: "import { createRequire as __registrarCreateRequire } from 'node:module'; const require = __registrarCreateRequire(import.meta.url);" },
});
