/**
 * Errors a user can cause (bad config, missing privilege, unknown interface,
 * port in use). Each has a stable code and one sentence that names the fix;
 * the CLI prints the sentence, never a stack trace.
 */
export type BraidErrorCode =
  | 'BRAID_ERR_CONFIG'
  | 'BRAID_ERR_USAGE'
  | 'BRAID_ERR_PERMISSION'
  | 'BRAID_ERR_NO_INTERFACE'
  | 'BRAID_ERR_ADDRESS_IN_USE'
  | 'BRAID_ERR_KEY'
  | 'BRAID_ERR_NATIVE'
  | 'BRAID_ERR_SYSTEM'
  | 'BRAID_ERR_LAB'
  | 'BRAID_ERR_CONTROL'
  | 'BRAID_ERR_NOT_FOUND';

export class BraidError extends Error {
  readonly code: BraidErrorCode;

  constructor(code: BraidErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BraidError';
    this.code = code;
  }
}

export class ConfigError extends BraidError {
  /** The dotted config key at fault, e.g. `paths[1].interface`. */
  readonly key: string;

  constructor(key: string, message: string) {
    super('BRAID_ERR_CONFIG', `${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export class UsageError extends BraidError {
  constructor(message: string) {
    super('BRAID_ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** Maps a system error (errno) to a BraidError whose message names the fix. */
export function fromSystemError(err: unknown, what: string): BraidError {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EPERM':
    case 'EACCES':
      return new BraidError('BRAID_ERR_PERMISSION', `${what}: needs root or CAP_NET_ADMIN`, { cause: err });
    case 'ENODEV':
      return new BraidError('BRAID_ERR_NO_INTERFACE', `${what}: no such network interface`, { cause: err });
    case 'EADDRINUSE':
      return new BraidError('BRAID_ERR_ADDRESS_IN_USE', `${what}: address already in use; stop the other process or pick another port`, { cause: err });
    default:
      return new BraidError('BRAID_ERR_SYSTEM', `${what}: ${e?.message ?? String(err)}`, { cause: err });
  }
}
