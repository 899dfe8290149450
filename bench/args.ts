import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../src/lib/sample/sampleOrders';

/** `--name value` or `--name=value`. */
export function argValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const a = args[i] as string;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

/** Both Online Retail files under --data (default ../shared/data beside the project), or undefined when absent. */
export function onlineRetailPaths(args: string[]): { onlineRetailII: string; onlineRetail: string } | undefined {
  const dir = argValue(args, '--data') ?? path.resolve(packageRoot(), '../shared/data');
  const paths = {
    onlineRetailII: path.join(dir, 'online_retail_ii', 'online_retail_ii_year_2009_2010.csv.gz'),
    onlineRetail: path.join(dir, 'online_retail', 'online_retail.csv.gz'),
  };
  return existsSync(paths.onlineRetailII) && existsSync(paths.onlineRetail) ? paths : undefined;
}
