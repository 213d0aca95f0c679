/**
 * Another process that runs `agw` commands on request, through the CLI's own entry (runCli), without paying
 * Node's start-up for every command: the parent sends `{ argv }` over the IPC channel, the worker answers
 * `{ code }` once the command has finished (its writes are on disk by then). Output of the commands goes to the
 * worker's stdout/stderr as it would for a user.
 */
import { runCli } from '../../src/cli/main.ts';

process.on('message', (message: { argv: string[] }) => {
  void runCli(message.argv).then((code) => {
    process.exitCode = 0;
    process.send?.({ code });
  });
});
process.send?.({ ready: true });
