import type { PipelineSettings, SettingName } from '../lib/config/settings';
import type { PipelineServices } from '../lib/pipelineServices';

/**
 * What a CLI command gets: settings and services are created lazily (a command that only prints
 * help never touches storage), and output goes through stdout/stderr so tests can capture it.
 * Command modules export `register<Name>Command(program: Command, context: CliContext): void`.
 */
export interface CliContext {
  settings(overrides?: Partial<Record<SettingName, string>>): PipelineSettings;
  services(settings: PipelineSettings): Promise<PipelineServices>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Sets the process exit code (commands never call process.exit themselves). */
  setExitCode(code: number): void;
  /** The global --workspace folder, when given (settings() already applies it). */
  workspace?: () => string | undefined;
}
