/**
 * The `agw` command line. This is the only module that parses argv; each command lives in commands/.
 */

import { Command, CommanderError } from 'commander';
import { closeCommandStores } from '../store/open-store.ts';
import { registerAccountCommands } from './commands/accounts.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import type { GlobalOptions } from './commands/global-options.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerServiceCommands } from './commands/service.ts';
import { registerSetupCommand } from './commands/setup.ts';
import { registerWarmUpCommand } from './commands/warm-up.ts';
import { exitCodes, reportError } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('agw')
    .description('Antigravity Gateway: OpenAI, Anthropic and Gemini APIs from a pool of Google accounts')
    .option('--data-dir <dir>', 'data directory (default: $AGW_DATA_DIR, $ABV_DATA_DIR or ~/.antigravity_tools)')
    .showHelpAfterError('(run agw --help for usage)')
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerServeCommand(program, globals);
  registerDemoCommand(program);
  registerAccountCommands(program, globals);
  registerConfigCommands(program, globals);
  registerKeyCommands(program, globals);
  registerDoctorCommand(program, globals);
  registerSetupCommand(program, globals);
  registerServiceCommands(program, globals);
  registerWarmUpCommand(program, globals);
  return program;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // A command may report failure without throwing (doctor prints every check first).
    return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version output are successful exits; anything else commander throws is a usage error.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return exitCodes.ok;
      }
      return exitCodes.usage;
    }
    return reportError(error);
  } finally {
    // A shared store's connection would keep the process alive after the command.
    await closeCommandStores();
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2));
  // Long-running commands (serve, demo) never resolve runCli until they stop, so exiting here is safe.
  process.exitCode = code;
}
