// The README's manifest reference, generated from schemas/manifest.schema.json (a test keeps the README in sync).

/** A markdown table with one row per manifest key, walked from the schema in its own order. */
export function manifestReference(schema) {
  const rows = []
  walk(schema, schema, '', rows)
  return [
    '| key | type | required | meaning |',
    '|---|---|---|---|',
    ...rows.map(r => `| \`${r.key}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${r.description} |`),
  ].join('\n')
}

function walk(root, node, prefix, rows) {
  const required = new Set(node.required ?? [])
  for (const [name, prop] of Object.entries(node.properties ?? {})) {
    const key = prefix + name
    const resolved = resolve(root, prop)
    const isList = resolved.type === 'array' && resolved.items?.type === 'object'
    rows.push({
      key: isList ? `${key}[]` : key,
      type: escape(typeOf(root, prop)),
      required: required.has(name),
      description: escape(prop.description ?? resolved.description ?? ''),
    })
    if (resolved.type === 'object' && resolved.properties) walk(root, resolved, `${key}.`, rows)
    if (isList) walk(root, resolved.items, `${key}[].`, rows)
  }
}

function resolve(root, node) {
  if (!node.$ref) return node
  const target = node.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((at, part) => at[part], root)
  return {...target, ...node, $ref: undefined}
}

function typeOf(root, node) {
  const n = resolve(root, node)
  if (node.$ref?.endsWith('/dataset')) return 'ZFS dataset'
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``
  if (n.oneOf) return n.oneOf.map(alt => typeOf(root, alt)).join(' or ')
  const type = Array.isArray(n.type) ? n.type.join(' / ') : n.type
  if (type === 'array') return n.items?.type === 'object' ? 'list of objects' : `list of ${n.items?.type ?? 'values'}s`
  if (type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object') {
    const values = n.additionalProperties.type
    return `map of ${Array.isArray(values) ? values.join(' / ') : values}`
  }
  if (type === 'string' && n.pattern && n.pattern !== '\\S') return `string matching \`${n.pattern}\``
  if (type === 'integer' && n.minimum !== undefined) return `integer >= ${n.minimum}`
  if (type === 'number' && n.exclusiveMinimum !== undefined) return `number > ${n.exclusiveMinimum}`
  return type ?? 'any'
}

function escape(text) {
  return text.replaceAll('|', '\\|')
}
