/** Where the API describes itself. */
export const OPENAPI_URL = '/openapi.json';
/** The AsyncAPI document of the events the worker publishes (docs/asyncapi.yaml). */
export const ASYNCAPI_URL = '/asyncapi.json';
export const DOCS_URL = '/docs';
/** The interactive docs' own files (Swagger UI), under DOCS_URL so they stay together. */
export const DOCS_ASSETS_URL = `${DOCS_URL}/assets`;
