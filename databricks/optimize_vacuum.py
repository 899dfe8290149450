# Databricks notebook source
# MAGIC %md
# MAGIC # Compact and clean the Silver/Gold Delta tables
# MAGIC
# MAGIC The pipeline itself (Azure Functions, TypeScript) writes the Delta tables; this notebook only does
# MAGIC the heavy maintenance that needs Spark: `OPTIMIZE … ZORDER BY` (bin-packing the many small files an
# MAGIC incremental pipeline produces, clustering by SKU so per-SKU reads skip files) and `VACUUM`
# MAGIC (deleting data files no longer referenced by the log and older than the retention).
# MAGIC
# MAGIC **Idempotent**: OPTIMIZE on an already compacted table commits nothing new (Delta skips files that
# MAGIC are already optimized) and VACUUM with nothing to delete is a no-op, so a re-run or a retried job is
# MAGIC safe. Tables that do not exist yet are skipped and reported, not failed.
# MAGIC
# MAGIC Widgets:
# MAGIC * `lake_root` – e.g. `abfss://lake@<account>.dfs.core.windows.net` (the pipeline's lake container)
# MAGIC * `table_paths` – comma-separated table paths relative to `lake_root` (default: all Silver/Gold tables)
# MAGIC * `zorder_column` – default `sku` (skipped for tables that do not have it)
# MAGIC * `retention_hours` – VACUUM retention, default 168 (7 days, Delta's default; never below it
# MAGIC   unless `allow_short_retention` is `true`, since concurrent readers may still need the files)

# COMMAND ----------

default_tables = ",".join([
    "silver/order_lines", "silver/cancellations", "silver/quarantine", "silver/inventory_snapshots",
    "silver/products", "silver/product_descriptions", "silver/daily_demand",
    "gold/forecasts", "gold/forecast_metrics", "gold/model_params", "gold/inventory_actions", "gold/drift_events",
])
dbutils.widgets.text("lake_root", "", "Lake root URI (abfss://…)")
dbutils.widgets.text("table_paths", default_tables, "Table paths (comma-separated, relative to lake_root)")
dbutils.widgets.text("zorder_column", "sku", "Z-order column")
dbutils.widgets.text("retention_hours", "168", "VACUUM retention (hours)")
dbutils.widgets.dropdown("allow_short_retention", "false", ["false", "true"], "Allow retention < 168 h")

# COMMAND ----------

import json
import re

lake_root = dbutils.widgets.get("lake_root").strip().rstrip("/")
table_paths = [p.strip().strip("/") for p in dbutils.widgets.get("table_paths").split(",") if p.strip()]
zorder_column = dbutils.widgets.get("zorder_column").strip()
retention_text = dbutils.widgets.get("retention_hours").strip()
allow_short = dbutils.widgets.get("allow_short_retention") == "true"

# Validate the parameters before touching any table: clear errors naming the widget and value.
if not re.match(r"^(abfss|abfs|wasbs|s3a?|gs|dbfs|file):/", lake_root):
    raise ValueError(f"lake_root must be a storage URI (abfss://…), got {lake_root!r}")
if not table_paths:
    raise ValueError("table_paths is empty")
for p in table_paths:
    if ".." in p or "`" in p:
        raise ValueError(f"table_paths entry {p!r} must be a plain relative path")
if zorder_column and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", zorder_column):
    raise ValueError(f"zorder_column must be a column name, got {zorder_column!r}")
if not re.match(r"^\d+$", retention_text):
    raise ValueError(f"retention_hours must be a whole number of hours, got {retention_text!r}")
retention_hours = int(retention_text)
if retention_hours < 168:
    if not allow_short:
        raise ValueError(f"retention_hours={retention_hours} is below Delta's 168 h safety limit; set allow_short_retention=true to force")
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")

# COMMAND ----------

from delta.tables import DeltaTable

results = []
for relative in table_paths:
    location = f"{lake_root}/{relative}"
    if not DeltaTable.isDeltaTable(spark, location):
        results.append({"table": relative, "status": "skipped: not a Delta table (not written yet)"})
        continue
    table = DeltaTable.forPath(spark, location)
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{location}`").first()
    partition_columns = list(detail["partitionColumns"])
    columns = [f.name for f in table.toDF().schema.fields]
    before_files = detail["numFiles"]

    # Z-ordering by a partition column is not allowed (and pointless); only when the column exists.
    if zorder_column and zorder_column in columns and zorder_column not in partition_columns:
        metrics = spark.sql(f"OPTIMIZE delta.`{location}` ZORDER BY (`{zorder_column}`)").first()
        optimize = f"OPTIMIZE ZORDER BY {zorder_column}"
    else:
        metrics = spark.sql(f"OPTIMIZE delta.`{location}`").first()
        optimize = "OPTIMIZE (no z-order: column absent or a partition column)"
    spark.sql(f"VACUUM delta.`{location}` RETAIN {retention_hours} HOURS")
    after_files = spark.sql(f"DESCRIBE DETAIL delta.`{location}`").first()["numFiles"]
    results.append({
        "table": relative,
        "status": "ok",
        "operation": optimize,
        "files_before": before_files,
        "files_after": after_files,
        "optimize_metrics": str(metrics["metrics"]) if metrics is not None and "metrics" in metrics.asDict() else None,
        "vacuum_retention_hours": retention_hours,
    })

display(spark.createDataFrame([{k: str(v) for k, v in r.items()} for r in results]))

# COMMAND ----------

# The job's result (shown in the run page and readable through the Jobs API runs/get-output).
dbutils.notebook.exit(json.dumps(results))
