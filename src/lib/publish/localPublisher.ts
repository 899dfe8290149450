import { writeDashboard } from '../dashboard/writeDashboard';
import { ValidationError } from '../errors';
import type { PipelinePorts } from '../pipelineServices';
import type { LakeTableName } from '../lakeTables';
import { countRunRows } from './lakeRows';
import type { PublishOptions, PublishResult, Publisher } from './publisher';

const goldTables: LakeTableName[] = ['forecasts', 'forecast_metrics', 'inventory_actions', 'drift_events'];

/**
 * Local publishing: the Gold tables are already in the lake, so publishing means writing the HTML
 * dashboard for the run and telling where everything is.
 */
export class LocalPublisher implements Publisher {
  readonly target = 'local';
  private constructor(
    private readonly services: Pick<PipelinePorts, 'lake' | 'log' | 'abortSignal' | 'entities'>,
    private readonly dashboardPath: string,
    private readonly scratchDir: string | undefined,
  ) {}

  static fromServices(services: PipelinePorts, options: { dashboardPath?: string } = {}): LocalPublisher {
    return new LocalPublisher(
      services,
      options.dashboardPath ?? services.settings.DEMAND_DASHBOARD_PATH,
      services.settings.DEMAND_SCRATCH_DIR,
    );
  }

  async publishRun(runId: string, options: PublishOptions = {}): Promise<PublishResult> {
    const signal = options.abortSignal ?? this.services.abortSignal;
    const signalOption = signal ? { abortSignal: signal } : {};
    const tables: Record<string, number> = {};
    for (const name of goldTables) tables[name] = await countRunRows(this.services.lake, name, runId, signalOption);
    // The dashboard shows the current view (newest forecast per SKU), so a re-forecast of a few
    // SKUs updates them without hiding the rest.
    const dashboard = await writeDashboard(
      { ...this.services, ...signalOption },
      { outputPath: this.dashboardPath, ...(this.scratchDir ? { scratchDir: this.scratchDir } : {}) },
    );
    return {
      target: this.target,
      tables,
      outputs: { dashboard: dashboard.path, lake: this.services.lake.location },
    };
  }

  /** Locally a re-forecast's SKUs are shown by rewriting the run's dashboard. */
  async publishSkus(runId: string, skus: string[], options: PublishOptions = {}): Promise<PublishResult> {
    if (skus.length === 0) throw new ValidationError('skus', 'publishSkus needs at least one SKU');
    return this.publishRun(runId, options);
  }

  async close(): Promise<void> {}
}
