/**
 * Preload for `agw serve` in a benchmark: the main thread's CPU time between two turns of a 1 ms timer, printed to
 * stderr at exit for every turn that took 10 ms or more. The largest is an upper bound on the longest synchronous
 * step; unlike wall-clock probes it does not grow when other processes take the CPU. Only `serve` processes
 * report (the fake and the CLI ignore it):
 *
 *   NODE_OPTIONS="--import ./bench/main-thread-steps.ts" npm run bench:large-body
 */
if (process.argv.includes('serve')) {
  const started = performance.now();
  const cpuMs = (): number => {
    const usage = process.threadCpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  let last = cpuMs();
  const long: string[] = [];
  const tick = (): void => {
    const now = cpuMs();
    if (now - last >= 10) long.push(`${((performance.now() - started) / 1000).toFixed(1)}s:${(now - last).toFixed(0)}`);
    last = now;
    setTimeout(tick, 1).unref();
  };
  setTimeout(tick, 1).unref();
  process.on('exit', () => {
    process.stderr.write(`main-thread steps of 10 ms CPU or more (seconds since start:ms): ${long.join(' ')}\n`);
  });
}
