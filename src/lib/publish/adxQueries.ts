/**
 * Reading from Azure Data Explorer with user input kept out of the query text: every value travels
 * as a declared query parameter (`declare query_parameters(...)` + ClientRequestProperties), so a
 * SKU like `x" | take 1` can never change the query.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { Client as KustoClient, ClientRequestProperties, KustoConnectionStringBuilder } from 'azure-kusto-data';
import { UpstreamError, ValidationError, errorText } from '../errors';

export type AdxParameterType = 'string' | 'datetime' | 'long' | 'real' | 'bool';
export type AdxParameterValue = string | number | boolean | Date;

export interface ParameterisedQuery {
  /** Query text: the declaration, then a body that refers to the parameters by name. */
  csl: string;
  /** Parameter values as ADX expects them in properties.Parameters (KQL literals for non-strings). */
  parameters: Record<string, string>;
}

function literal(name: string, type: AdxParameterType, value: AdxParameterValue): string {
  switch (type) {
    case 'string':
      if (typeof value !== 'string')
        throw new ValidationError(name, `Query parameter ${name} must be a string, got ${JSON.stringify(value)}`);
      return value;
    case 'datetime': {
      const date = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(date.getTime()))
        throw new ValidationError(name, `Query parameter ${name} must be a date, got ${JSON.stringify(value)}`);
      return `datetime(${date.toISOString()})`;
    }
    case 'long':
    case 'real': {
      const n = Number(value);
      if (!Number.isFinite(n) || (type === 'long' && !Number.isSafeInteger(n))) {
        throw new ValidationError(name, `Query parameter ${name} must be a ${type}, got ${JSON.stringify(value)}`);
      }
      return `${type}(${n})`;
    }
    case 'bool':
      if (typeof value !== 'boolean')
        throw new ValidationError(name, `Query parameter ${name} must be a boolean, got ${JSON.stringify(value)}`);
      return `bool(${value})`;
  }
}

/**
 * Builds `declare query_parameters(name:type, …);` followed by `body`. Parameter names must be
 * identifiers; the body is fixed program text, never user input.
 */
export function parameterisedQuery(
  body: string,
  parameters: Record<string, { type: AdxParameterType; value: AdxParameterValue }>,
): ParameterisedQuery {
  const entries = Object.entries(parameters);
  for (const [name] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new ValidationError('parameters', `Query parameter name is not an identifier: ${JSON.stringify(name)}`);
  }
  const declaration = `declare query_parameters(${entries.map(([name, p]) => `${name}:${p.type}`).join(', ')});`;
  return {
    csl: `${declaration}\n${body}`,
    parameters: Object.fromEntries(entries.map(([name, p]) => [name, literal(name, p.type, p.value)])),
  };
}

export function forecastVsActualQuery(sku: string, from: Date | string, to: Date | string): ParameterisedQuery {
  return parameterisedQuery('ForecastVsActual(skuId, fromDate, toDate)', {
    skuId: { type: 'string', value: sku },
    fromDate: { type: 'datetime', value: from },
    toDate: { type: 'datetime', value: to },
  });
}

export interface AdxQueryClientOptions {
  clusterUrl: string;
  database: string;
  credential?: TokenCredential;
}

export class AdxQueryClient {
  private readonly client: KustoClient;
  private constructor(private readonly options: AdxQueryClientOptions) {
    this.client = new KustoClient(
      KustoConnectionStringBuilder.withTokenCredential(options.clusterUrl, options.credential ?? new DefaultAzureCredential()),
    );
  }

  static fromOptions(options: AdxQueryClientOptions): AdxQueryClient {
    return new AdxQueryClient(options);
  }

  /** Runs a parameterised query (REST v1 endpoint) and returns the primary table's rows as objects. */
  async query(query: ParameterisedQuery): Promise<Array<Record<string, unknown>>> {
    const properties = new ClientRequestProperties();
    for (const [name, value] of Object.entries(query.parameters)) properties.setParameter(name, value);
    try {
      const response = await this.client.executeQueryV1(this.options.database, query.csl, properties);
      const table = response.primaryResults[0];
      return table ? [...table.rows()].map((row) => row.toJSON()) : [];
    } catch (err) {
      throw new UpstreamError(`ADX query failed: ${errorText(err, 500)}`, undefined, { cause: err });
    }
  }

  forecastVsActual(sku: string, from: Date | string, to: Date | string): Promise<Array<Record<string, unknown>>> {
    return this.query(forecastVsActualQuery(sku, from, to));
  }

  close(): void {
    this.client.close();
  }
}
