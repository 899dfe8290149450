import type { Command } from 'commander';
import { ValidationError } from '../../lib/errors';
import { RunJournal, defaultRunListLimit } from '../../lib/runs';
import type { CliContext } from '../context';
import { formatRunDetail, formatRunList } from '../runsText';

interface RunsFlags {
  json?: boolean;
  limit?: string;
}

/**
 * `demand runs list [--limit N] [--json]` and `demand runs show <runId> [--json]`: past runs with
 * trigger, status, start, duration, per-stage counts and errors, from the local run journal.
 */
export function registerRunsCommand(program: Command, context: CliContext): void {
  const runs = program.command('runs').description('Past runs: trigger, status, start, duration, per-stage counts, errors');
  const journal = async () => RunJournal.fromEntities((await context.services(context.settings())).entities);

  runs
    .command('list')
    .description('List past runs, newest first')
    .option('--limit <n>', `how many runs (default ${defaultRunListLimit})`)
    .option('--json', 'print a JSON array')
    .action(async (flags: RunsFlags) => {
      const limit = flags.limit === undefined ? defaultRunListLimit : Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new ValidationError('limit', `--limit must be a positive whole number, got ${JSON.stringify(flags.limit)}`);
      const list = await (await journal()).list({ limit });
      context.stdout(flags.json ? JSON.stringify(list) : formatRunList(list));
    });

  runs
    .command('show <runId>')
    .description('Show one run: per-stage counts, quarantine reasons, errors')
    .option('--json', 'print one JSON object')
    .action(async (runId: string, flags: RunsFlags) => {
      const run = await (await journal()).get(runId);
      if (!run) throw new ValidationError('runId', `No run "${runId}" in the run journal: \`demand runs list\` shows the recorded ones`);
      context.stdout(flags.json ? JSON.stringify(run) : formatRunDetail(run));
    });
}
