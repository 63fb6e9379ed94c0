import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { versions } from '../util/versions.js';
import type { OrtSessionLike, OrtTensorLike, Platform, SessionRequest } from './types.js';

/** What to tell the user when an execution provider cannot start, by provider. */
const EP_HINTS: Record<string, string> = {
  cpu: 'the CPU provider ships with onnxruntime-node; reinstall it (npm install onnxruntime-node)',
  webgpu:
    'the WebGPU provider needs a GPU with a Vulkan driver (Linux: install libvulkan1 and the GPU vendor\'s Vulkan ICD); without one use --ep cpu',
  cuda:
    'the CUDA provider is not bundled with onnxruntime-node: reinstall it with ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node` on a machine with CUDA 12 and cuDNN 9, ' +
    'or use --ep webgpu (GPU) or --ep cpu',
};

function sessionOptions(req: SessionRequest): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [req.ep],
    graphOptimizationLevel: req.preOptimized ? 'disabled' : 'all',
    // ORT warns that an optimised CPU graph is hardware-specific; the cache key holds the CPU.
    ...(req.saveOptimized ? { optimizedModelFilePath: req.saveOptimized, logSeverityLevel: 3 as const } : {}),
    executionMode: 'sequential',
    intraOpNumThreads: req.threads,
    extra: { session: { intra_op: { allow_spinning: req.spin ? '1' : '0' } } },
    interOpNumThreads: 1,
    enableCpuMemArena: true,
  };
}

/** onnxruntime-node and the machine's cores. */
export const nodePlatform: Platform = {
  name: 'node',
  providers: ['cpu', 'webgpu', 'cuda'],
  defaultThreads: () => availableParallelism(),
  tensor: (type, data, dims) => new ort.Tensor(type, data, dims) as OrtTensorLike,
  createSession: async (bytes, req) => (await ort.InferenceSession.create(bytes, sessionOptions(req))) as unknown as OrtSessionLike,
  versions,
  providerHint: (ep) => EP_HINTS[ep] ?? `unknown provider ${ep}`,
};
