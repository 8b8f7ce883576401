// Types of the console bundle that infra/build-console.ts generates next to this file
// (console-assets.generated.js, not committed): type-checking needs no build.
/** A hash of the bundle's script and stylesheet: the assets' cache key. */
export declare const CONSOLE_VERSION: string;
export declare const CONSOLE_HTML: string;
export declare const CONSOLE_CSS: string;
export declare const CONSOLE_JS: string;
