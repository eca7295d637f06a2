/**
 * Rules shared by the config sections: plain names, lists written either
 * nested or at the top level, CIDR lists, and uniqueness/overlap checks that
 * name both offending keys.
 */
import { ConfigError } from '../errors';
import { cidrsOverlap, parseCidr, type Cidr } from './net-values';
import type { TableReader } from './table-reader';

// Names end up in interface, namespace and socket names, so keep them short and plain.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;

export function checkName(key: string, value: string): string {
  if (!NAME.test(value)) {
    throw new ConfigError(key, `'${value}' is not a valid name: use 1-15 letters, digits, '-' or '_', starting with a letter or digit`);
  }
  return value;
}

/** Reads a list that may be written either as [[section.name]] or as top-level [[name]], not both. */
export function aliasedChildren(root: TableReader, section: TableReader | undefined, name: string): TableReader[] {
  const top = root.children(name);
  const nested = section ? section.children(name) : [];
  if (top.length > 0 && nested.length > 0) {
    throw new ConfigError(name, `write the list either as [[${name}]] or as [[${section!.path}.${name}]], not both`);
  }
  return top.length > 0 ? top : nested;
}

export function cidrList(t: TableReader, name: string): Cidr[] {
  return t.stringList(name).map((c, i) => parseCidr(`${t.keyOf(name)}[${i}]`, c, true));
}

export function checkUnique(values: string[], key: (i: number) => string, what: string): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const prev = seen.get(v);
    if (prev !== undefined) throw new ConfigError(key(i), `${what} '${v.length > 16 ? v.slice(0, 12) + '...' : v}' is also used at ${key(prev)}; each must be unique`);
    seen.set(v, i);
  });
}

/** Cryptokey routing and user matching need every prefix to belong to one owner only. */
export function checkNoOverlap(items: { c: Cidr; key: string; owner: string }[]): void {
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < i; j++) {
      if (items[i].owner !== items[j].owner && cidrsOverlap(items[i].c, items[j].c)) {
        throw new ConfigError(items[i].key, `${items[i].c.text} overlaps ${items[j].c.text} of '${items[j].owner}' (${items[j].key}); each address must belong to one owner`);
      }
    }
  }
}
