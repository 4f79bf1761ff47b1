// The Parquet sink: rollup rows as Arrow record batches in hourly Parquet files (docs/parquet.md).
export { ROLLUP_SCHEMA, parquetBytes, rollupTable, type ParquetCompression } from './arrowBatch.ts';
export { hourDir, listHourDirs, listPartFiles, partFile, parsePartFile, uncommittedFiles, type HourDir, type PartFile } from './layout.ts';
export { parquetSink, UnplacedWriteError, type ParquetSinkOptions } from './parquetSink.ts';
export { applyRetention, expiredHourDirs } from './retention.ts';
export { rollupRow, type RollupRow } from './rollupRow.ts';
