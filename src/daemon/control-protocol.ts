/**
 * The control socket's protocol: one JSON object per line each way.
 *   -> {"id":1,"cmd":"status"}                      <- {"id":1,"ok":true,"result":EndpointStatus}
 *   -> {"id":2,"cmd":"set-scheduler","name":"wrr"}  <- {"id":2,"ok":true,"result":{"scheduler":"wrr"}}
 *   -> {"id":3,"cmd":"paths"}                       <- {"id":3,"ok":true,"result":PathStatus[]}
 *   failure                                         <- {"id":N,"ok":false,"error":{"code":"BRAID_ERR_...","message":"..."}}
 * A plain text line ("status", "set-scheduler wrr") works too, for
 * debugging with `socat - UNIX-CONNECT:/run/braid/NAME.sock`.
 */
export const CONTROL_COMMANDS = ['status', 'paths', 'set-scheduler'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export interface ControlRequest {
  id?: number;
  cmd: ControlCommand;
  /** Scheduler name for set-scheduler. */
  name?: string;
}

export type ControlReply =
  | { id?: number; ok: true; result: unknown }
  | { id?: number; ok: false; error: { code: string; message: string } };

/** Longest request line accepted; requests are tiny, so a longer line is a confused client. */
export const MAX_REQUEST_LINE = 64 * 1024;

export const DEFAULT_CONTROL_DIR = '/run/braid';

export function defaultControlSocket(name: string): string {
  return `${DEFAULT_CONTROL_DIR}/${name}.sock`;
}

/** Parses one request line (JSON or plain words); throws an Error with a short message. */
export function parseRequestLine(line: string): ControlRequest {
  const text = line.trim();
  let req: Partial<ControlRequest>;
  if (text.startsWith('{')) {
    req = JSON.parse(text) as Partial<ControlRequest>;
  } else {
    const [cmd, name] = text.split(/\s+/);
    req = { cmd: cmd as ControlCommand, name };
  }
  if (typeof req.cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(req.cmd)) {
    throw new Error(`unknown command '${String(req.cmd)}'; known: ${CONTROL_COMMANDS.join(', ')}`);
  }
  if (req.cmd === 'set-scheduler' && (typeof req.name !== 'string' || req.name === '')) {
    throw new Error('set-scheduler needs a scheduler name');
  }
  return req as ControlRequest;
}
