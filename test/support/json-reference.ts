import jsonpointer from 'jsonpointer';

/** Follows a local `#/…` reference through a document; throws when it leads nowhere. */
export function resolveLocalReference(document: object, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  const found: unknown = jsonpointer.get(document, ref.slice(1));
  if (found === undefined) throw new Error(`unresolved reference: ${ref}`);
  return found;
}
