/**
 * What `zod`'s `locales` namespace is for the agent (cli/lean-imports.ts): English only, the one
 * locale zod uses unless told otherwise (zod/v4/classic/schemas.js registers it by itself). The
 * other 47 translations of zod's messages stay on disk.
 */
export { default as en } from "zod/v4/locales/en.js";
