import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** A DuckDB connection with the few calls spend needs; results are small (aggregates), never raw rows. */
export interface Db {
  run(sql: string): Promise<void>;
  /** Rows as plain objects; BIGINT/DECIMAL become numbers. */
  all<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): void;
}

export interface DbOptions {
  /** DuckDB memory limit, e.g. `1GB` (default: `PROMPTOPS_DUCKDB_MEMORY_LIMIT` or DuckDB's own default). */
  memoryLimit?: string;
  /** Worker threads (default: DuckDB's, one per core). */
  threads?: number;
  /** Where DuckDB may spill when an aggregation outgrows memory. */
  tempDirectory?: string;
  /** Called with every statement before it runs (the benchmark replays them on a bare connection). */
  trace?: (sql: string) => void;
}

export class DbError extends Error {
  constructor(
    message: string,
    readonly sql: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

export async function openDb(options: DbOptions = {}): Promise<Db> {
  const config: Record<string, string> = {};
  const memoryLimit = options.memoryLimit ?? process.env.PROMPTOPS_DUCKDB_MEMORY_LIMIT;
  if (memoryLimit) config.memory_limit = memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  if (options.tempDirectory) config.temp_directory = options.tempDirectory;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', config);
  } catch (error) {
    throw new DbError(`cannot start DuckDB with ${JSON.stringify(config)}: ${error instanceof Error ? error.message : String(error)}`, '');
  }
  const connection = await instance.connect();
  // Days, weeks and months are UTC calendar periods whatever the machine's zone.
  const db = wrap(instance, connection, options.trace);
  await db.run(`SET TimeZone = 'UTC'`);
  return db;
}

function wrap(instance: DuckDBInstance, connection: DuckDBConnection, trace?: (sql: string) => void): Db {
  const guard = async <T>(sql: string, work: () => Promise<T>): Promise<T> => {
    trace?.(sql);
    try {
      return await work();
    } catch (error) {
      throw new DbError(error instanceof Error ? error.message : String(error), sql);
    }
  };
  return {
    run: (sql) => guard(sql, async () => void (await connection.run(sql))),
    all: <T>(sql: string) =>
      guard(sql, async () => {
        const reader = await connection.runAndReadAll(sql);
        return reader.getRowObjectsJS().map((row) => plain(row) as T);
      }),
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** A SQL string literal. */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** A SQL identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** `[ 'a', 'b' ]` */
export const sqlList = (values: readonly string[]): string => `[${values.map(sqlString).join(', ')}]`;
