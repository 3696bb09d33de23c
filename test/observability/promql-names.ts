/** Words of PromQL that look like metric names but are not. */
const NOT_METRICS = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
]);

/**
 * Metric names a PromQL expression selects: what is left after removing strings, label
 * matchers, range selectors, grouping clauses and function calls. Enough for the expressions
 * of our dashboard and rules (tested against them), not a full PromQL parser.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  s = s.replace(/\{[^}]*\}/g, " ");
  s = s.replace(/\[[^\]]*\]/g, " ");
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || NOT_METRICS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/** Sample names in a Prometheus text exposition (histogram series included: x_bucket, x_sum, x_count). */
export function sampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}
