/** Where a command writes: results on stdout (for scripts and pipes), everything said to a person on stderr. */
export interface Output {
  /** Human context, on stderr so scripts can read stdout alone. */
  info(line: string): void;
  /** The command's result, on stdout. */
  result(line: string): void;
}

export const processOutput: Output = {
  info: (line) => process.stderr.write(`${line}\n`),
  result: (line) => process.stdout.write(`${line}\n`),
};

/** A column of a table: its header and how a row shows in it. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
}

/**
 * Rows as aligned plain-text columns under their headers, two spaces apart, the last column unpadded (the shape
 * of kubectl's and docker's lists: greppable, and cut by whitespace). Hand-written because the table libraries
 * on npm draw boxes (cli-table3) or are no longer kept (text-table, columnify); this is all we need of them.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string[] {
  const cells = [columns.map((column) => column.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]!.length)));
  return cells.map((line) =>
    line
      .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** A read command's rows: JSON on stdout with --json (an array, also when empty), else an aligned table. */
export function printRows<Row>(
  out: Output,
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: { json?: boolean | undefined; empty: string },
): void {
  if (options.json) {
    out.result(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    out.info(options.empty);
    return;
  }
  for (const line of formatTable(rows, columns)) out.result(line);
}

/** An optional date as the tables show it: ISO 8601 in UTC to the second, or '-'. */
export function timeCell(value: Date | null | undefined): string {
  return value ? `${value.toISOString().slice(0, 19)}Z` : '-';
}
