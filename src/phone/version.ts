/**
 * The package's version, read from package.json at run time so it is written in one place. The path
 * holds from src/phone (tsx) and from dist/phone (the build) alike: both sit two folders below the root.
 */
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export const VERSION: string = pkg.version;
