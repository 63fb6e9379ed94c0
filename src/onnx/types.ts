/** The project's in-memory ONNX representation: plain data, easy to rewrite and to build. */

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TypedData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TypedData;
}

export type Attr =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: Tensor }
  /**
   * An attribute neuromask does not interpret (a Loop's or If's subgraph, strings, sparse
   * tensors, …): the encoded AttributeProto, written back unchanged. `kind` names its type.
   */
  | { readonly type: 'opaque'; readonly kind: string; readonly value: Uint8Array };

export interface Node {
  readonly opType: string;
  /** '' for the default ai.onnx domain. */
  readonly domain: string;
  readonly name: string;
  /** '' marks an omitted optional input or output, as in ONNX. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** A dimension is a number when static, a symbol (e.g. 'N') when dynamic. */
export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Opset versions per domain ('' = ai.onnx). */
  readonly opsets: Readonly<Record<string, number>>;
}
