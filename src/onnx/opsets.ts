/**
 * The newest ai.onnx opset neuromask reads: the newest ONNX Runtime 1.30 runs (a model declaring
 * 27 fails to load there; test/onnx-opsets.test.ts checks both). Older opsets are upgraded to 13
 * on load (rewrites/upgrade-opset.ts).
 */
export const MAX_OPSET = 26;
