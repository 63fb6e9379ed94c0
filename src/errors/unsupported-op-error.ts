/** A graph contains an op that this part of neuromask cannot handle (shape inference, gradients…). */
export class UnsupportedOpError extends Error {
  override readonly name = 'UnsupportedOpError';
  readonly opType: string;
  readonly nodeName: string;
  readonly domain: string | undefined;

  constructor(opType: string, nodeName: string, options: { domain?: string; detail?: string; cause?: unknown } = {}) {
    const qualified = options.domain ? `${options.domain}::${opType}` : opType;
    const detail = options.detail ? `: ${options.detail}` : '';
    super(`unsupported op ${qualified} (node "${nodeName}")${detail}`, { cause: options.cause });
    this.opType = opType;
    this.nodeName = nodeName;
    this.domain = options.domain;
  }
}
