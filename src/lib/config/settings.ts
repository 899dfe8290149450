import { z } from 'zod';
import { SettingsError } from '../errors';

/**
 * Every setting the pipeline reads, by its environment variable name, validated once at start.
 * The same names are Function App settings in Azure (infra/bicep sets them) and keys of
 * local.settings.sample.json. docs/settings.md documents each (name, meaning, default).
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
/**
 * A worker-thread count, one meaning for every pool: `auto` (the default) chooses from the CPU count
 * (and, for the Silver build, the input size); a number is that many threads; 0 = none, in-process.
 */
const workerCount = () => z.union([z.literal('auto'), int(0, 64)]).default('auto');
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const optionalUrl = z.string().url().optional();

export const settingsSchema = z.object({
  // --- storage (core) ---
  /** Local lake folder (embedded default). Ignored when DEMAND_LAKE_URL is set. */
  DEMAND_LAKE_DIR: z.string().min(1).default('.demand/lake'),
  /** ADLS Gen2 lake: https://<account>.dfs.core.windows.net/<filesystem> (managed identity). */
  DEMAND_LAKE_URL: optionalUrl,
  /** Local folder for embedded tables (watermarks, runs, registry). Ignored when DEMAND_TABLES_URL is set. */
  DEMAND_STATE_DIR: z.string().min(1).default('.demand/state'),
  /** Azure Table storage endpoint: https://<account>.table.core.windows.net (managed identity). */
  DEMAND_TABLES_URL: optionalUrl,
  /** Connection string alternative for Azurite/dev only (never in Azure: use identity). */
  DEMAND_STORAGE_CONNECTION_STRING: z.string().optional(),

  // --- ingestion (issue 3) ---
  DEMAND_ORDERS_API_URL: optionalUrl,
  DEMAND_ORDERS_PAGE_SIZE: int(1, 10000).default(500),
  /** Sent as-is as the Authorization header when set (use a Key Vault reference in Azure). */
  DEMAND_ORDERS_AUTH_HEADER: z.string().optional(),
  /** Entra ID scope for a managed identity token, when the orders API takes one. */
  DEMAND_ORDERS_AUTH_SCOPE: z.string().optional(),
  DEMAND_ORDERS_OVERLAP_MINUTES: int(0, 10080).default(60),
  DEMAND_ORDERS_RETRY_BUDGET_MS: int(1000, 3_600_000).default(120_000),
  DEMAND_ORDERS_REQUEST_TIMEOUT_MS: int(100, 600_000).default(30_000),
  DEMAND_INVENTORY_LANDING_PREFIX: z.string().min(1).default('landing/inventory'),
  /** Bounds of the field validators (src/lib/validation/fields.ts): beyond them a record is quarantined. */
  DEMAND_MAX_ORDER_QUANTITY: int(1, 1_000_000_000).default(1_000_000),
  DEMAND_MAX_UNIT_PRICE: num(1, 1e12).default(1_000_000),
  DEMAND_MAX_STOCK_UNITS: int(1, 1_000_000_000_000).default(1_000_000_000),
  DEMAND_MAX_FUTURE_MINUTES: int(0, 525_600).default(1440),
  DEMAND_EARLIEST_DATE: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
    .default('1990-01-01'),
  /** One writer at a time: how long a run waits for the lake's writer lock, and how long a lock lives without renewal. */
  DEMAND_LAKE_LOCK_WAIT_MS: int(0, 86_400_000).default(600_000),
  DEMAND_LAKE_LOCK_DURATION_MS: int(1000, 600_000).default(60_000),
  /** Optional inventory source definition (file or JSON, docs/sources.md): partner stock files in their own columns, instead of the fixed landing format. */
  DEMAND_INVENTORY_SOURCE: z.string().min(1).optional(),
  /** Pages per Bronze part (part boundaries follow the page sequence, so re-runs give the same parts). */
  DEMAND_ORDERS_PAGES_PER_PART: int(1, 10000).default(20),
  /** Orders source: a preset name (online-retail, shopify, woocommerce), a source definition JSON file, or the definition's JSON itself (docs/sources.md). */
  DEMAND_ORDERS_SOURCE: z.string().min(1).default('online-retail'),
  /** IANA time zone whose calendar days demand is counted in (a source's shopTimeZone wins). */
  DEMAND_SHOP_TIME_ZONE: z.string().min(1).optional(),
  /** A run whose order records are quarantined above this share fails (naming the top reasons). */
  DEMAND_QUARANTINE_MAX_SHARE: num(0, 1).default(0.5),
  /** A quarantine reason above this share of the order records is a warning in the run summary. */
  DEMAND_QUARANTINE_WARN_SHARE: num(0, 1).default(0.05),

  // --- forecasting (issue 5) ---
  DEMAND_FORECAST_HORIZON_DAYS: int(1, 365).default(28),
  DEMAND_FORECAST_SEASON: int(1, 366).default(7),
  DEMAND_FORECAST_BATCH_SIZE: int(1, 5000).default(100),
  DEMAND_FORECAST_MAX_ACTIVITIES_PER_SUBORCHESTRATION: int(1, 1000).default(500),
  DEMAND_FORECAST_MODEL_TIMEOUT_MS: int(100, 600_000).default(5_000),
  /** Model-fitting threads of one forecast activity: `auto` = one per core; 0 = in-process. */
  DEMAND_FORECAST_WORKERS: workerCount(),
  /**
   * Activities the local host (CLI, `demand serve`) runs at once, as host.json's
   * maxConcurrentActivityFunctions bounds one Function instance; the forecast pool's workers share
   * one batch, so a few keep them busy, and each waiting batch costs no memory.
   */
  DEMAND_LOCAL_MAX_ACTIVITIES: int(1, 64).default(4),
  /**
   * Full model selection at least every N days per SKU (spread over the fleet by SKU); in between a
   * SKU whose profile did not change and that drift did not flag re-uses its last choice. 0 = always full.
   */
  DEMAND_FULL_SELECTION_EVERY_DAYS: int(0, 365).default(7),
  /** ISO 3166 country whose public holidays are forecast regressors (date-holidays); empty = none. */
  DEMAND_HOLIDAY_COUNTRY: z
    .string()
    .regex(/^([A-Za-z]{2})?$/, 'a two-letter ISO 3166 country code')
    .default(''),
  /** State or region within the holiday country (date-holidays code, e.g. BY); empty = national holidays only. */
  DEMAND_HOLIDAY_REGION: z
    .string()
    .regex(/^[A-Za-z0-9]{0,4}$/, 'a date-holidays region code')
    .default(''),
  /** Lake path of an events/promotions CSV (date,sku,event[,end_date]); empty = no events. */
  DEMAND_EVENTS_PATH: z.string().default(''),
  /** Silver build threads: `auto` = one per core from 200,000 order lines on, in-process below; 0 = in-process. */
  DEMAND_SILVER_WORKERS: workerCount(),
  /**
   * At most this many Silver threads when DEMAND_SILVER_WORKERS is `auto` (the instance's cores: the
   * CPU count a process sees is its affinity, not its quota); small builds stay in-process. Unset: no cap.
   */
  DEMAND_SILVER_MAX_WORKERS: int(1, 64).optional(),
  /**
   * `off` (or `false`, `0`): never give glibc's free arena memory back (src/lib/memory/nativeMemory.ts reads it from
   * each thread's environment; listed here so that a bad value fails at start, not silently keeps trimming).
   */
  DEMAND_MALLOC_TRIM: z.enum(['on', 'off', 'true', 'false', '1', '0']).default('on'),
  /** Folder for the Silver build's month spill files (default: the OS temp folder). */
  DEMAND_SCRATCH_DIR: z.string().min(1).optional(),

  // --- inventory actions (issue 7) ---
  DEMAND_SERVICE_LEVEL: num(0.5, 0.9999).default(0.95),
  DEMAND_LEAD_TIME_DAYS: int(0, 365).default(7),
  /** Optional product catalogue source (definition file or JSON, docs/sources.md): its per-SKU lead times replace DEMAND_LEAD_TIME_DAYS. */
  DEMAND_CATALOGUE_SOURCE: z.string().min(1).optional(),
  DEMAND_REVIEW_PERIOD_DAYS: int(1, 365).default(7),

  // --- tracking, registry, drift (issue 6) ---
  DEMAND_TRACKER: z.enum(['tables', 'mlflow']).default('tables'),
  MLFLOW_TRACKING_URI: optionalUrl,
  /** Bearer token for Databricks MLflow (Key Vault reference in Azure). */
  MLFLOW_TRACKING_TOKEN: z.string().optional(),
  DEMAND_EXPERIMENT_NAME: z.string().min(1).default('demand-forecast'),
  DEMAND_REGISTERED_MODEL_NAME: z.string().min(1).default('demand-forecast-policy'),
  DEMAND_PROMOTION_MARGIN: num(0, 1).default(0.02),
  DEMAND_PROMOTION_SEGMENT_TOLERANCE: num(0, 1).default(0.05),
  DEMAND_DRIFT_PSI_THRESHOLD: num(0, 10).default(0.25),
  DEMAND_DRIFT_ACCURACY_RATIO: num(1, 100).default(1.5),
  DEMAND_DRIFT_FLEET_SHARE: num(0, 1).default(0.3),
  DEMAND_DRIFT_MAX_REFORECASTS: int(0, 10000).default(50),
  /** NCRONTAB of the drift monitor timer (between pipeline runs); "off" disables it. */
  DEMAND_DRIFT_SCHEDULE: z.string().min(3).default('0 30 */6 * * *'),
  /** Absolute change in the share of stockout days (recent vs reference window) that is reported as drift. */
  DEMAND_DRIFT_STOCKOUT_DELTA: num(0, 1).default(0.1),
  /** Code version recorded on every tracked run, e.g. the git sha set by the release pipeline. */
  DEMAND_CODE_VERSION: z.string().optional(),

  // --- publishing (issue 7) ---
  DEMAND_PUBLISHER: z.enum(['local', 'adx']).default('local'),
  DEMAND_ADX_CLUSTER_URL: optionalUrl,
  DEMAND_ADX_INGEST_URL: optionalUrl,
  DEMAND_ADX_DATABASE: z.string().default('demand'),
  DEMAND_DASHBOARD_PATH: z.string().default('.demand/dashboard.html'),

  // --- orchestration (issue 2) ---
  DEMAND_PIPELINE_SCHEDULE: z.string().min(9).default('0 0 2 * * *'),
  DEMAND_PIPELINE_TIMER_ENABLED: bool.default(true),
  DEMAND_ACTIVITY_MAX_ATTEMPTS: int(1, 20).default(3),
  DEMAND_ACTIVITY_FIRST_RETRY_MS: int(100, 3_600_000).default(5_000),
  DEMAND_REFORECAST_WAIT_MS: int(0, 60_000).default(10_000),
});

export type PipelineSettings = z.infer<typeof settingsSchema>;
export type SettingName = keyof PipelineSettings;
export const settingNames = Object.keys(settingsSchema.shape) as SettingName[];

/**
 * Reads and validates settings from an environment (process.env by default) plus overrides
 * (CLI flags). Throws SettingsError naming the first bad setting and its value.
 */
export function loadSettings(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<SettingName, string>> = {},
): PipelineSettings {
  const raw: Record<string, string | undefined> = {};
  for (const name of settingNames) {
    const value = overrides[name] ?? env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'settings');
    const shown = raw[name] === undefined ? '(missing)' : JSON.stringify(raw[name]);
    throw new SettingsError(name, `Setting ${name}=${shown} is invalid: ${issue?.message ?? 'bad value'}`);
  }
  return parsed.data;
}
