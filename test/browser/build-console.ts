import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const consoleOutput = path.join(repositoryRoot, 'dist', 'web');
const webRoot = path.join(repositoryRoot, 'web');

async function newestSource(directory: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    const time = entry.isDirectory() ? await newestSource(full) : (await stat(full)).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

/** Builds dist/web with the console's Vite config when it is missing or older than a file under web/. */
export async function ensureConsoleBuilt(): Promise<string> {
  const built = await stat(path.join(consoleOutput, 'index.html')).catch(() => null);
  if (!built || built.mtimeMs < (await newestSource(webRoot))) {
    await build({ configFile: path.join(webRoot, 'vite.config.ts'), logLevel: 'warn' });
  }
  return consoleOutput;
}
