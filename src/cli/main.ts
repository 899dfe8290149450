import { Command, CommanderError } from 'commander';
import { loadSettings } from '../lib/config/settings';
import { DemandError, errorText } from '../lib/errors';
import { createServices } from '../composition/services';
import { registerBacktestCommand } from './commands/backtest';
import { registerDashboardCommand } from './commands/dashboard';
import { registerExportCommand } from './commands/export';
import { registerModelsCommand } from './commands/models';
import { registerRunCommand } from './commands/run';
import { registerRunsCommand } from './commands/runs';
import { registerSampleCommand } from './commands/sample';
import { registerServeCommand } from './commands/serve';
import { registerWatermarksCommand } from './commands/watermarks';
import { registerSourcesCommand } from './commands/sources';
import type { CliContext } from './context';
import { sampleWorkspace, workspaceOverrides } from './workspace';

/**
 * A reader that stops early (`demand export … | head`) closes the pipe: the rest of the output has
 * no one to go to, so the process ends quietly, as Unix tools do, instead of crashing on EPIPE.
 */
export function exitQuietlyOnClosedPipe(
  stream: NodeJS.WriteStream = process.stdout,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    else throw err;
  });
}

/** The process-level CLI context: settings from the environment, output to the real streams. */
export function processContext(): CliContext {
  exitQuietlyOnClosedPipe();
  return {
    settings: (overrides) => loadSettings(process.env, overrides),
    services: (settings) => createServices(settings),
    stdout: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}

export function buildProgram(outer: CliContext): Command {
  let workspace: string | undefined;
  // --workspace applies to every command: settings() layers it under the command's own overrides.
  const context: CliContext = {
    ...outer,
    settings: (overrides) => outer.settings({ ...(workspace ? workspaceOverrides(workspace) : {}), ...overrides }),
    workspace: () => workspace,
  };
  const program = new Command('demand')
    .description(
      'E-commerce demand forecasting pipeline: Bronze → Silver → Gold on Delta Lake, per-SKU forecasts, Durable Functions orchestration',
    )
    .option('--workspace <dir>', `local folder holding the lake, state and dashboard (after npm start: ${sampleWorkspace})`)
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (command) => {
      workspace = command.optsWithGlobals<{ workspace?: string }>().workspace;
    });
  registerRunCommand(program, context);
  registerServeCommand(program, context);
  registerExportCommand(program, context);
  registerBacktestCommand(program, context);
  registerModelsCommand(program, context);
  registerDashboardCommand(program, context);
  registerSampleCommand(program, context);
  registerWatermarksCommand(program, context);
  registerSourcesCommand(program, context);
  registerRunsCommand(program, context);
  return program;
}

/** Runs the CLI; errors end as one clear line and a non-zero exit code, never a stack dump. */
export async function main(argv: string[], context: CliContext = processContext()): Promise<void> {
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode !== 0) context.setExitCode(err.exitCode);
      return;
    }
    context.stderr(`demand: ${err instanceof DemandError ? err.message : errorText(err)}`);
    context.setExitCode(1);
  }
}
