/**
 * `true` exactly when A and B are the same type, else `false`: `const _x: SameType<A, B> =
 * true` stops the build when a documented schema and the type the code uses drift apart.
 */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
