// Path containment, by path components (`<mp>/..logs` is inside `<mp>`; `<mp>-old` is not).
import {isAbsolute, relative, resolve, sep} from 'node:path'

/** Whether `dir` is `parent` or lies under it, comparing resolved paths component by component (symlinks are not followed). */
export function isInside(dir: string, parent: string): boolean {
  const r = relative(resolve(parent), resolve(dir))
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r))
}
