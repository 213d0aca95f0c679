#!/usr/bin/env node
// The published entry. It runs on whatever `node` is first on PATH, so it checks the version first.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `agw needs Node 24 or newer (this is Node ${process.versions.node}).\n` +
      "From a checkout, run it as `npm exec -- agw …` (or `npx agw …`), which puts the project's own Node 24 first on PATH.\n",
  );
  process.exit(1);
}
const { existsSync } = await import('node:fs');
// A checkout runs its TypeScript sources (Node strips the types), so an old build in dist/ can never shadow an edit.
// The published package has no sources: Node refuses to strip types under node_modules, so it ships the JavaScript
// build (`npm run build:js`, run by `npm pack`) in dist/.
const sources = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = await import(existsSync(sources) ? sources.href : built.href);
process.exitCode = await entry.runCli(process.argv.slice(2));
