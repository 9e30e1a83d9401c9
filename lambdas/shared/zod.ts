/**
 * zod for the Lambdas: the tree-shakable functional API of `zod/mini` (same package and schemas as classic
 * zod, a fraction of the bundle). Import it as a namespace, `import * as z from '../shared/zod'`; a named
 * `{ z }` import defeats esbuild's tree shaking and pulls in all of zod.
 *
 * Classic zod registers its English messages on first use; zod/mini ships without a locale, so every default
 * message would read "Invalid input". Registering the same locale here keeps the messages of the classic
 * API (which the registry, the dataset contract and the env parsing pass on verbatim).
 */
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

if (!z.config().localeError) z.config(en());

export * from 'zod/mini';
