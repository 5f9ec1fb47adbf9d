import { describe, expect, it } from '@jest/globals';
import { formatTable, printRows, timeCell, type Output } from './output.js';

const columns = [
  { header: 'ID', value: (row: { id: string; name: string }) => row.id },
  { header: 'NAME', value: (row: { id: string; name: string }) => row.name },
];

const recording = () => {
  const lines = { info: [] as string[], result: [] as string[] };
  const out: Output = { info: (line) => lines.info.push(line), result: (line) => lines.result.push(line) };
  return { out, lines };
};

describe('formatTable', () => {
  it('aligns every column but the last under its header, two spaces apart', () => {
    expect(
      formatTable(
        [
          { id: 'a1', name: 'Sales' },
          { id: 'b22222', name: 'Recruiting team' },
        ],
        columns,
      ),
    ).toEqual(['ID      NAME', 'a1      Sales', 'b22222  Recruiting team']);
  });
});

describe('printRows', () => {
  it('prints JSON with --json, an array even when empty, and says so on stderr without it', () => {
    const rows = [{ id: 'a1', name: 'Sales' }];
    const json = recording();
    printRows(json.out, rows, columns, { json: true, empty: 'none' });
    expect(JSON.parse(json.lines.result.join('\n'))).toEqual(rows);
    const empty = recording();
    printRows(empty.out, [], columns, { json: true, empty: 'none' });
    expect(empty.lines.result).toEqual(['[]']);
    const plain = recording();
    printRows(plain.out, [], columns, { empty: 'no workspaces' });
    expect(plain.lines).toEqual({ info: ['no workspaces'], result: [] });
  });
});

describe('timeCell', () => {
  it('shows a time to the second in UTC, or a dash', () => {
    expect(timeCell(new Date('2026-12-07T05:01:02.345Z'))).toBe('2026-12-07T05:01:02Z');
    expect(timeCell(null)).toBe('-');
  });
});
