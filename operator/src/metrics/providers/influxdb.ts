import { MultipleSeriesError, NoDataError, type MetricProvider, type ProviderConfig } from '../provider.js';
import { numberOrNoData, ProviderHttp, secretValue, trimSlashes, type ProviderContext } from './http.js';

/** One table of an annotated CSV answer. */
export interface CsvTable {
  columns: string[];
  /** The #default annotation: a value for each empty cell of its column. */
  defaults: string[];
  rows: string[][];
}

/**
 * InfluxDB 2.x Flux queries (POST <address>/api/v2/query?org=<org>, Authorization: Token <token>,
 * Accept: application/csv). Secret keys token and org. The answer is annotated CSV; every (result, table)
 * pair is a series, and the value is the _value of the last row of the one series.
 */
export class InfluxdbProvider implements MetricProvider {
  readonly type = 'influxdb';
  readonly queryLanguage = 'flux' as const;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: ProviderConfig,
    ctx: ProviderContext,
  ) {
    this.http = new ProviderHttp(this.type, cfg, ctx.http, ['org']);
  }

  async query(query: string, signal: AbortSignal): Promise<number> {
    const token = secretValue(this.cfg, 'token');
    const org = secretValue(this.cfg, 'org');
    const res = await this.http.send({
      method: 'POST',
      url: `${this.base()}/api/v2/query`,
      ...(org ? { params: { org } } : {}),
      headers: {
        ...(token ? { authorization: `Token ${token}` } : {}),
        accept: 'application/csv',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        query,
        type: 'flux',
        dialect: { header: true, delimiter: ',', annotations: ['datatype', 'group', 'default'] },
      }),
      signal,
    });
    if (res.status !== 200) throw this.http.statusError('query failed', res);
    const tables = parseAnnotatedCsv(res.body);
    const failure = tables.find((t) => t.columns.includes('error'));
    if (failure) {
      const cell = failure.rows[0]?.[failure.columns.indexOf('error')];
      throw this.http.error(`query failed: ${cell || 'unknown error'}`);
    }
    const series = new Map<string, { table: CsvTable; row: string[] }>();
    for (const table of tables) {
      for (const row of table.rows) series.set(`${cell(table, row, 'result')}\u0000${cell(table, row, 'table')}`, { table, row });
    }
    if (series.size === 0) throw new NoDataError(query);
    if (series.size > 1) throw new MultipleSeriesError(series.size);
    const [{ table, row }] = [...series.values()] as [{ table: CsvTable; row: string[] }];
    if (!table.columns.includes('_value'))
      throw this.http.error('the answer has no _value column; keep _value in the result (or rename the column to _value)');
    return numberOrNoData(cell(table, row, '_value'), query);
  }

  private base(): string {
    if (!this.cfg.address) throw this.http.error('spec.provider.address is required (the InfluxDB URL)');
    return trimSlashes(this.cfg.address);
  }
}

/** A cell by column name, the column's #default when the cell is empty. */
function cell(table: CsvTable, row: string[], column: string): string {
  const i = table.columns.indexOf(column);
  if (i < 0) return '';
  const v = row[i] ?? '';
  return v === '' ? (table.defaults[i] ?? '') : v;
}

/**
 * Parses InfluxDB annotated CSV: tables separated by blank lines (or by new annotation rows), each with
 * optional #annotation rows, a header row, then data rows. Works without annotations too.
 */
export function parseAnnotatedCsv(text: string): CsvTable[] {
  const tables: CsvTable[] = [];
  let current: CsvTable | undefined;
  let defaults: string[] = [];
  let inData = false;
  for (const record of csvRecords(text)) {
    if (record.length === 1 && record[0] === '') {
      current = undefined;
      defaults = [];
      inData = false;
      continue;
    }
    if (record[0]?.startsWith('#')) {
      if (inData) {
        current = undefined;
        defaults = [];
        inData = false;
      }
      if (record[0] === '#default') defaults = record;
      continue;
    }
    if (!current) {
      current = { columns: record, defaults, rows: [] };
      tables.push(current);
      inData = true;
      continue;
    }
    current.rows.push(record);
  }
  return tables;
}

/** RFC 4180 records: quoted fields may hold commas, newlines and doubled quotes; CRLF or LF line ends. */
function* csvRecords(text: string): Generator<string[]> {
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      yield record;
      field = '';
      record = [];
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    yield record;
  }
}
