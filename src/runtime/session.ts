import { nodePlatform } from '../platform/node.js';
import { createSessionOn, SessionCache as CoreSessionCache, type CreateOptions, type RuntimeOptions, type Session } from './session-core.js';

export { Session, type CreateOptions, type ExecutionProvider, type FeedTensor, type OutputTensor, type RuntimeOptions, type SessionKey } from './session-core.js';

/** The providers onnxruntime-node can be asked for (the CLI's --ep choices). */
export const EXECUTION_PROVIDERS = nodePlatform.providers as readonly ('cpu' | 'webgpu' | 'cuda')[];

/** A session on onnxruntime-node (the browser entry point makes its sessions on onnxruntime-web). */
export function createSession(modelBytes: Uint8Array, opts: RuntimeOptions, how: CreateOptions = {}): Promise<Session> {
  return createSessionOn(nodePlatform, modelBytes, opts, how);
}

/** The session cache on onnxruntime-node. */
export class SessionCache extends CoreSessionCache {
  constructor(maxEntries = Infinity) {
    super(nodePlatform, maxEntries);
  }
}
