/**
 * The only files of swagger-ui-dist the docs page loads, with their content types. Requests
 * name a file; anything not in this list (another file, `../package.json`) is a 404, so no
 * path built from a request ever reaches the file system.
 */
const SWAGGER_UI_ASSETS: ReadonlyMap<string, string> = new Map([
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
  ['favicon-16x16.png', 'image/png'],
]);

export interface SwaggerUiAsset {
  fileName: string;
  contentType: string;
}

export function swaggerUiAsset(requested: string): SwaggerUiAsset | undefined {
  const contentType = SWAGGER_UI_ASSETS.get(requested);
  return contentType === undefined ? undefined : { fileName: requested, contentType };
}
