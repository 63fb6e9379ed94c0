import type { Classifier } from '../models/assemble.js';
import { webPlatform } from '../platform/web.js';
import { EngineCore, type EngineControl } from '../runtime/engine-core.js';
import type { RuntimeOptions } from '../runtime/session-core.js';

/** The engine in the browser: onnxruntime-web ('wasm' by default, or 'webgpu'); no graph cache. */
export class Engine extends EngineCore {
  constructor(classifier: Classifier, runtime: RuntimeOptions = { ep: 'wasm' }, control: EngineControl = {}) {
    super(classifier, runtime, control, webPlatform);
  }

  override sibling(classifier: Classifier): Engine {
    return new Engine(classifier, this.runtime, this.control);
  }
}
