import type { CliContext } from '../../src/cli/context';
import { loadSettings } from '../../src/lib/config/settings';
import { createServices } from '../../src/composition/services';

/** The real CLI with settings from the given environment only (not the process's) and captured output. */
export function captureCli(env: Record<string, string> = {}): {
  context: CliContext;
  out: string[];
  err: string[];
  exitCode: () => number;
} {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  return {
    out,
    err,
    exitCode: () => code,
    context: {
      settings: (overrides) => loadSettings(env, overrides),
      services: (settings) => createServices(settings),
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      setExitCode: (c) => void (code = c),
    },
  };
}
