/**
 * The container files, checked without a Docker engine: the Dockerfile passes the dockerfile-utils linter (the one
 * behind VS Code's Docker support) and has the promised shape (multi-stage, non-root, data volume, health check,
 * auth forced on); its entry command, run here as a process with the image's environment, serves /healthz openly
 * and everything else only with the key; its HEALTHCHECK command passes against it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { ValidationSeverity, validate } from 'dockerfile-utils';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const dockerfileText = await readFile(join(root, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(dockerfileText);

const strict = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** The instructions of the last stage (the image that runs). */
function finalStage(): Instruction[] {
  const instructions = dockerfile.getInstructions();
  const lastFrom = instructions.findLastIndex((instruction) => instruction.getKeyword() === 'FROM');
  return instructions.slice(lastFrom);
}

function jsonArguments(instruction: Instruction | undefined): string[] {
  assert.ok(instruction, 'instruction present');
  return JSON.parse(instruction.getArgumentsContent() ?? '') as string[];
}

function imageEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const env of dockerfile.getENVs()) {
    if (!finalStage().includes(env)) continue;
    for (const property of env.getProperties()) environment[property.getName()] = property.getValue() ?? '';
  }
  return environment;
}

test('the Dockerfile passes the linter with every rule an error; the linter does catch a broken one', () => {
  assert.deepEqual(
    validate(dockerfileText, strict).map((problem) => `${problem.range.start.line + 1}: ${problem.message}`),
    [],
  );
  const broken = validate("from node:24\nEXPOSE port\nCMD ['agw']\nWORKDIR relative\n", strict);
  assert.ok(
    broken.length >= 3,
    `casing, EXPOSE, single-quoted JSON and relative WORKDIR are reported: ${broken.length}`,
  );
});

test('multi-stage, non-root, data dir as a volume, health check on /healthz, auth forced on, agw serve --host 0.0.0.0', () => {
  const froms = dockerfile.getFROMs();
  assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
  assert.equal(froms[0]?.getBuildStage(), 'build');
  assert.match(froms.at(-1)?.getImageName() ?? '', /^node$/);
  assert.match(froms.at(-1)?.getImageTag() ?? '', /^24/);
  const stage = finalStage();
  const keyword = (name: string) => stage.filter((instruction) => instruction.getKeyword() === name);
  const user = keyword('USER').at(-1)?.getArgumentsContent();
  assert.ok(typeof user === 'string' && !['root', '0'].includes(user), `runs as a non-root user, not ${user}`);
  const environment = imageEnvironment();
  assert.equal(environment['AGW_AUTH_MODE'], 'all_except_health');
  assert.equal(environment['AGW_HOST'], '0.0.0.0');
  assert.deepEqual(jsonArguments(keyword('VOLUME')[0]), [environment['AGW_DATA_DIR']]);
  assert.equal(keyword('EXPOSE')[0]?.getArgumentsContent(), environment['AGW_PORT']);
  const healthcheck = keyword('HEALTHCHECK')[0]?.getArgumentsContent() ?? '';
  assert.match(healthcheck, /\/healthz/);
  assert.deepEqual(
    [...jsonArguments(keyword('ENTRYPOINT')[0]), ...jsonArguments(keyword('CMD')[0])],
    ['agw', 'serve', '--host', '0.0.0.0'],
  );
  // The runtime stage installs the packed package, not the checkout (tests and sources stay out of the image).
  assert.match(
    keyword('RUN')
      .map((instruction) => instruction.getArgumentsContent())
      .join('\n'),
    /npm install --global --omit=dev .*agw\.tgz/,
  );
});

test('compose.yaml builds the image, keeps the data in a volume and refuses to start without an API key', async () => {
  const compose = await readFile(join(root, 'compose.yaml'), 'utf8');
  assert.match(compose, /^\s+build: \.$/m);
  assert.match(compose, /^\s+- agw-data:\/data$/m);
  assert.match(compose, /AGW_API_KEY: \$\{AGW_API_KEY:\?/);
  assert.match(compose, /^\s+- "8045:8045"$/m);
  const ignored = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n');
  for (const entry of ['node_modules', '.git', 'dist', 'test']) assert.ok(ignored.includes(entry), `${entry} ignored`);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("the image's entry command, run as a process with the image's environment: health open, the rest needs the key", {
  timeout: 120_000,
}, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'agw-docker-data-'));
  const port = await freePort();
  const environment = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dataDir,
    ...imageEnvironment(),
    AGW_DATA_DIR: dataDir,
    AGW_PORT: String(port),
  };
  const command = [
    ...jsonArguments(finalStage().find((i) => i.getKeyword() === 'ENTRYPOINT')),
    ...jsonArguments(finalStage().find((i) => i.getKeyword() === 'CMD')),
  ];
  assert.equal(command[0], 'agw');
  // `agw` in the image is the package's bin/agw.js.
  const server = spawn(process.execPath, [join(root, 'bin', 'agw.js'), ...command.slice(1)], {
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  server.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  try {
    const url = `http://127.0.0.1:${port}`;
    let healthy = false;
    for (let attempt = 0; attempt < 300 && !healthy; attempt += 1) {
      healthy = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(healthy, `/healthz answered: ${output}`);
    // A wildcard bind is announced as what it is, with the loopback URL local clients use.
    assert.match(
      output,
      new RegExp(
        `agw is serving on http://0\\.0\\.0\\.0:${port} \\(every IPv4 interface\\) \\(local URL: http://127\\.0\\.0\\.1:${port};`,
      ),
    );

    const anonymous = await fetch(`${url}/v1/models`);
    assert.equal(anonymous.status, 401, 'auth is on for the API');
    assert.equal((await fetch(`${url}/api/status`)).status, 401, 'and for the admin API');
    const config = JSON.parse(await readFile(join(dataDir, 'gui_config.json'), 'utf8')) as {
      proxy: { api_key: string };
    };
    const keyed = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${config.proxy.api_key}` } });
    assert.equal(keyed.status, 200, 'the key generated on first start opens it');

    // The HEALTHCHECK command itself, with the image's environment.
    const healthcheck =
      finalStage()
        .find((i) => i.getKeyword() === 'HEALTHCHECK')
        ?.getArgumentsContent() ?? '';
    const check = JSON.parse(healthcheck.replace(/^[\s\S]*?\bCMD\s+/, '')) as string[];
    assert.equal(check[0], 'node');
    await run(process.execPath, check.slice(1), { env: environment, timeout: 30_000 });
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
});
