/**
 * Structured logs with levels. Quiet by default (warn and above); BRAID_LOG or
 * --log-level raises it. One line per event: text for people, JSON with
 * BRAID_LOG_FORMAT=json for machines.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = ORDER[(process.env.BRAID_LOG as LogLevel) ?? 'warn'] ?? ORDER.warn;
let json = process.env.BRAID_LOG_FORMAT === 'json';

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export function setLogFormat(format: 'text' | 'json'): void {
  json = format === 'json';
}

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold) return;
  const time = new Date().toISOString();
  let line: string;
  if (json) line = JSON.stringify({ time, level, event, ...fields });
  else {
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    line = `${time} ${level.toUpperCase().padEnd(5)} ${event}${kv ? ' ' + kv : ''}`;
  }
  process.stderr.write(line + '\n');
}
