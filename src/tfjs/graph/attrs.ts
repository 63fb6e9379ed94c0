/** TF.js GraphDef JSON attributes: lists of int64 as strings, strings base64-encoded. */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfAttr {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } };
}

// atob + TextDecoder: in browsers and Node alike (Buffer is Node's only).
const decode = (s: string): string => new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

export function attrInts(n: TfNode, name: string): number[] | undefined {
  return n.attr?.[name]?.list?.i?.map(Number);
}

export function attrInt(n: TfNode, name: string, dflt: number): number {
  const v = n.attr?.[name]?.i;
  return v === undefined ? dflt : Number(v);
}

export function attrFloat(n: TfNode, name: string, dflt: number): number {
  return n.attr?.[name]?.f ?? dflt;
}

export function attrBool(n: TfNode, name: string, dflt: boolean): boolean {
  return n.attr?.[name]?.b ?? dflt;
}

export function attrString(n: TfNode, name: string, dflt: string): string {
  const s = n.attr?.[name]?.s;
  return s === undefined ? dflt : decode(s);
}

export function attrStrings(n: TfNode, name: string): string[] {
  return (n.attr?.[name]?.list?.s ?? []).map(decode);
}

/** Dimensions of a Placeholder's `shape` attribute; -1 → null. */
export function attrShape(n: TfNode, name = 'shape'): (number | null)[] | undefined {
  const dims = n.attr?.[name]?.shape?.dim;
  return dims?.map((d) => (d.size === undefined || Number(d.size) < 0 ? null : Number(d.size)));
}
