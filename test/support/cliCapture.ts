import type { CliContext } from '../../src/cli/context';
import { createServices } from '../../src/composition/services';
import { loadSettings } from '../../src/lib/config/settings';

/** A CLI context over the real composition root whose output and exit code a test reads back. */
export function captureCli(): { context: CliContext; out: string[]; err: string[]; exitCode: () => number } {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const context: CliContext = {
    settings: (overrides) => loadSettings({}, overrides),
    services: (settings) => createServices(settings),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    setExitCode: (c) => void (code = c),
  };
  return { context, out, err, exitCode: () => code };
}
