// The subset of JSON Schema (draft-04 to draft-07) that the schemas in test/report/schemas use: type,
// properties, required, additionalProperties, patternProperties, propertyNames, items, minItems, maxItems,
// uniqueItems, enum, const, pattern, minimum, maximum, minLength, anyOf, oneOf, allOf, not and local $ref.
// Unknown keywords are an error, so a schema cannot silently ask for more than this checks.

type Json = unknown;
export type Schema = boolean | { [keyword: string]: Json };

const KNOWN = new Set([
  '$schema', '$id', 'id', 'title', 'description', 'default', 'definitions', '$defs', '$comment', 'format',
  'type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'propertyNames', 'items',
  'minItems', 'maxItems', 'uniqueItems', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'minLength',
  'anyOf', 'oneOf', 'allOf', 'not', '$ref',
]);

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: Json, type: string): boolean {
  const t = typeOf(v);
  return t === type || (type === 'number' && t === 'integer');
}

export function validate(root: Schema, value: Json): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/(definitions|\$defs)\/([^/]+)$/.exec(ref);
    const defs = typeof root === 'object' ? (root[m?.[1] ?? ''] as Record<string, Schema> | undefined) : undefined;
    const target = m === null ? undefined : defs?.[m[2]!];
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, v: Json, path: string, out: string[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} is not supported`);
    if (typeof schema.$ref === 'string') {
      check(resolve(schema.$ref), v, path, out);
      return;
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => matchesType(v, t))) {
        out.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(v)}`);
        return;
      }
    }
    if (schema.enum !== undefined && !(schema.enum as Json[]).some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      out.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(v)) out.push(`${path}: expected ${JSON.stringify(schema.const)}`);
    if (typeof v === 'string') {
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) out.push(`${path}: "${v}" does not match ${schema.pattern}`);
      if (typeof schema.minLength === 'number' && v.length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) out.push(`${path}: ${v} < ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum) out.push(`${path}: ${v} > ${schema.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) out.push(`${path}: fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && v.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
      if (schema.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${path}: items are not unique`);
      if (schema.items !== undefined) v.forEach((item, i) => check(schema.items as Schema, item, `${path}/${i}`, out));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, Json>;
      for (const req of (schema.required as string[] | undefined) ?? []) if (!(req in obj)) out.push(`${path}: missing required "${req}"`);
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      const patterns = Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {});
      for (const [key, item] of Object.entries(obj)) {
        if (schema.propertyNames !== undefined) check(schema.propertyNames as Schema, key, `${path}/${key} (name)`, out);
        let matched = false;
        if (key in props) {
          matched = true;
          check(props[key]!, item, `${path}/${key}`, out);
        }
        for (const [pattern, sub] of patterns) {
          if (new RegExp(pattern, 'u').test(key)) {
            matched = true;
            check(sub, item, `${path}/${key}`, out);
          }
        }
        if (!matched && schema.additionalProperties !== undefined) check(schema.additionalProperties as Schema, item, `${path}/${key}`, out);
      }
    }
    for (const sub of (schema.allOf as Schema[] | undefined) ?? []) check(sub, v, path, out);
    const passing = (subs: Schema[]): number =>
      subs.filter((sub) => {
        const inner: string[] = [];
        check(sub, v, path, inner);
        return inner.length === 0;
      }).length;
    if (schema.anyOf !== undefined && passing(schema.anyOf as Schema[]) === 0) out.push(`${path}: matches none of anyOf`);
    if (schema.oneOf !== undefined) {
      const n = passing(schema.oneOf as Schema[]);
      if (n !== 1) out.push(`${path}: matches ${n} of oneOf, not exactly 1`);
    }
    if (schema.not !== undefined && passing([schema.not as Schema]) === 1) out.push(`${path}: matches a schema it must not`);
  };
  check(root, value, '', errors);
  return errors;
}
