/** Minimal Prometheus text parser for tests: samples as (series key -> value) plus TYPE lines. */
export interface Exposition {
  types: Map<string, string>;
  samples: Map<string, number>;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    samples.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return { types, samples };
}

/** The family a sample belongs to: name without _bucket/_sum/_count for histograms. */
export function familyOf(series: string, types: Map<string, string>): string {
  const name = series.split('{')[0];
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : name;
}
