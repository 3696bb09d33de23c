import { stringify } from "yaml";
import { CliError, EXIT } from "./exit-codes.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./settings.js";

export function parseOutputFormat(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(", ")}`, EXIT.usage);
  return value as OutputFormat;
}

export interface Column<T> {
  header: string;
  value(row: T): unknown;
}

/** Rows as aligned columns (table) or the raw objects (json, yaml). */
export function renderList<T>(format: OutputFormat, rows: T[], columns: Column<T>[]): string {
  if (format === "json") return JSON.stringify(rows, null, 2) + "\n";
  if (format === "yaml") return stringify(rows);
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => cell(c.value(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** One object as "key  value" lines (table), or the raw object. Nested objects are flattened with dots. */
export function renderObject(format: OutputFormat, obj: Record<string, unknown>): string {
  if (format === "json") return JSON.stringify(obj, null, 2) + "\n";
  if (format === "yaml") return stringify(obj);
  const flat: [string, string][] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else flat.push([prefix, cell(value)]);
  };
  walk("", obj);
  const width = Math.max(...flat.map(([k]) => k.length));
  return flat.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (Array.isArray(v)) return v.length ? v.join(",") : "-";
  return String(v);
}
