import { attrInt, attrTensor, dtypeOfCode } from '../attrs.js';
import { broadcastShapes } from '../eval/ndarray.js';
import type { ShapeInfo, ShapeRule } from './context.js';

const same: ShapeRule = (_n, c) => [{ ...c.input(0), dims: [...c.input(0).dims] }];

const UNARY = [
  'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Exp', 'Log', 'Neg',
  'Abs', 'Sqrt', 'Erf', 'Sign', 'Identity', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Elu', 'Selu',
  'Softplus', 'Gelu', 'Mish', 'Softmax', 'LogSoftmax', 'ScatterElements', 'ScatterND', 'BatchNormalization',
  'InstanceNormalization', 'LRN', 'PRelu', 'Cos', 'Sin', 'Tan', 'Acos', 'Asin', 'Atan', 'Cosh', 'Sinh',
  'Asinh', 'Acosh', 'Atanh', 'Softsign', 'Celu', 'ThresholdedRelu', 'Shrink', 'HardMax', 'Hardmax',
];

function broadcast(outDtype?: ShapeInfo['dtype']): ShapeRule {
  return (n, c) => {
    const ins = n.inputs.map((_, i) => c.input(i));
    return [{ dtype: outDtype ?? ins[0]!.dtype, dims: broadcastShapes(ins.map((s) => s.dims)) }];
  };
}

const BINARY = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Mod'];
const COMPARE = ['Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor'];

export const elementwiseRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, same])),
  ...Object.fromEntries(BINARY.map((op) => [op, broadcast()])),
  ...Object.fromEntries(COMPARE.map((op) => [op, broadcast('bool')])),
  Not: (_n, c) => [{ dtype: 'bool', dims: [...c.input(0).dims] }],
  Where: (_n, c) => [{ dtype: c.input(1).dtype, dims: broadcastShapes([0, 1, 2].map((i) => c.input(i).dims)) }],
  Cast: (n, c) => [{ dtype: dtypeOfCode(attrInt(n, 'to', 1), `Cast node "${n.name}"`), dims: [...c.input(0).dims] }],
  Dropout: (n, c) => {
    const x = c.input(0);
    const out: ShapeInfo[] = [{ dtype: x.dtype, dims: [...x.dims] }];
    if (n.outputs[1]) out.push({ dtype: 'bool', dims: [...x.dims] });
    return out;
  },
  QuantizeLinear: (n, c) => [{ dtype: n.inputs[2] ? c.input(2).dtype : 'uint8', dims: [...c.input(0).dims] }],
  DequantizeLinear: (_n, c) => [{ dtype: 'float32', dims: [...c.input(0).dims] }],
  ConstantOfShape: (n, c) => {
    const dims = c.value(n.inputs[0]!);
    if (!dims) throw new Error(`node "${n.name}": ConstantOfShape needs a constant shape`);
    return [{ dtype: attrTensor(n, 'value')?.dtype ?? 'float32', dims: Array.from(dims.data as ArrayLike<number | bigint>, Number) }];
  },
};
