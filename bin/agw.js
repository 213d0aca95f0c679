#!/usr/bin/env node
// The published entry. It runs on whatever `node` is first on PATH, so it checks the version before loading
// TypeScript sources that need Node 24's type stripping.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `agw needs Node 24 or newer (this is Node ${process.versions.node}).\n` +
      "From a checkout, run it as `npm exec -- agw …` (or `npx agw …`), which puts the project's own Node 24 first on PATH.\n",
  );
  process.exit(1);
}
const { existsSync } = await import('node:fs');
const built = new URL('../dist/src/cli/main.js', import.meta.url);
const entry = await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await entry.runCli(process.argv.slice(2));
