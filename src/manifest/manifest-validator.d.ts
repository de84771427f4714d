// Types of the validator that scripts/compile-schemas.js generates from schemas/manifest.schema.json at build time.
import type {ErrorObject} from 'ajv'

/** Validates a parsed manifest; errors are left on the function, as ajv does. */
declare const validate: ((data: unknown) => boolean) & {errors?: ErrorObject[] | null}
export default validate
