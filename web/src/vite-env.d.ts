/// <reference types="vite/client" />
/** Set by the build (COSMIC_BUILD_ID): tells deploys apart. */
declare const __BUILD_ID__: string;
