/**
 * The published package: `npm pack` (whose prepack builds the console and the JavaScript into dist/) holds the
 * built console, bin/agw.js and the build, and no tests or sources; installed from the tarball into a clean
 * directory, `npx antigravity-gateway serve` starts the gateway on the user's Node 24 and serves /healthz and the
 * console. Installing pulls the dependencies from the npm registry, so this takes a while; every step is bounded.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
// The project's own Node 24 first: `npm run`/`npm exec` put it there, and a user of the package has Node 24.
const pathWithNode24 = `${dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;

/** The checkout's files (tracked and new, not ignored) copied to a temp dir, so packing rebuilds no one's dist/. */
async function copyOfCheckout(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'agw-pack-src-'));
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter((name) => name !== '')) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await cp(join(root, file), join(copy, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // a file deleted but not yet committed
    });
  }
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

test('npm pack ships the console, bin/agw.js and the JS build without tests; npx antigravity-gateway serve runs it', {
  timeout: 600_000,
}, async () => {
  const checkout = await copyOfCheckout();
  const out = await mkdtemp(join(tmpdir(), 'agw-pack-out-'));
  const environment = { ...process.env, PATH: pathWithNode24, npm_config_update_notifier: 'false' };
  const packed = await run('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: checkout,
    env: environment,
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  // prepack's build output comes first on stdout (Vite prints `[…]` tags of its own); npm's JSON is the last block,
  // starting with a line that is just `[`.
  const json = packed.stdout.slice(packed.stdout.startsWith('[\n') ? 0 : packed.stdout.lastIndexOf('\n[\n') + 1);
  const [manifest] = JSON.parse(json) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  assert.ok(manifest);
  const files = manifest.files.map((file) => file.path);
  for (const required of ['bin/agw.js', 'package.json', 'README.md', 'dist/web/index.html', 'dist/cli/main.js']) {
    assert.ok(files.includes(required), `${required} is in the package`);
  }
  assert.ok(
    files.some((file) => /^dist\/web\/assets\/.+\.js$/.test(file)),
    'the built console scripts',
  );
  const unwanted = files.filter((file) => /^(test|src|bench|web|\.ci)\//.test(file) || /\.test\.[jt]s$/.test(file));
  assert.deepEqual(unwanted, [], 'no tests, sources or CI files');

  const clean = await mkdtemp(join(tmpdir(), 'agw-pack-install-'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', join(out, manifest.filename)], {
    cwd: clean,
    env: environment,
    timeout: 300_000,
  });
  assert.deepEqual((await readdir(join(clean, 'node_modules', 'antigravity-gateway'))).sort(), [
    'README.md',
    'bin',
    'dist',
    'docs',
    'package.json',
  ]);

  const home = await mkdtemp(join(tmpdir(), 'agw-pack-home-'));
  const dataDir = join(home, 'data');
  const server = spawn('npx', ['antigravity-gateway', '--data-dir', dataDir, 'serve', '--port', '0'], {
    cwd: clean,
    env: { PATH: pathWithNode24, HOME: home, npm_config_update_notifier: 'false', AGW_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: npx runs agw as a child, and stopping only npx would leave agw serving.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no "serving on" line within 60 s: ${output}`)), 60_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /agw is serving on (http:\/\/\S+)/.exec(output)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      server.stdout.on('data', read);
      server.stderr.on('data', read);
      server.on('exit', (code) => reject(new Error(`agw exited with ${code}: ${output}`)));
    });
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    const console = await fetch(`${url}/`);
    assert.equal(console.status, 200);
    assert.match(await console.text(), /<title>agw console<\/title>/);
  } finally {
    process.kill(-server.pid!, 'SIGTERM');
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise((resolve) => setTimeout(resolve, 10_000, false)),
    ]);
    if (!stopped) process.kill(-server.pid!, 'SIGKILL');
  }
});
