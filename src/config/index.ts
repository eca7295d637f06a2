/** Endpoint configuration: TOML file -> validated, defaulted BraidConfig. */
export * from './types';
export { parseConfig, loadConfig, type ParseOptions } from './parse';
export { checkInterfaces, type InterfaceCheckOptions } from './interfaces';
export { parseDuration, parseRate, parseSize } from './quantities';
export type { Cidr, HostPort } from './net-values';
