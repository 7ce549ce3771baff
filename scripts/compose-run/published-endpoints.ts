/**
 * The API's documented endpoints through the published port, besides the orders: health, the
 * contract and the interactive docs (whose Swagger UI files come from a production
 * dependency), and /metrics, which belongs to the unpublished operations port only.
 */
export async function checkPublishedEndpoints(
  apiUrl: string,
): Promise<{ lines: string[]; failures: string[] }> {
  const lines: string[] = [];
  const failures: string[] = [];
  const expect = async (path: string, status: number) => {
    const response = await fetch(`${apiUrl}${path}`);
    const body = await response.text();
    const ok = response.status === status;
    lines.push(
      `GET ${path} → ${String(response.status)}${ok ? '' : ` (expected ${String(status)})`}`,
    );
    if (!ok)
      failures.push(`GET ${apiUrl}${path}: ${String(response.status)}, expected ${String(status)}`);
    return body;
  };
  await expect('/health/live', 200);
  await expect('/health/ready', 200);
  await expect('/openapi.json', 200);
  const page = await expect('/docs', 200);
  const asset = /(?:src|href)="([^"]*\/docs\/assets\/[^"]+)"/.exec(page)?.[1];
  if (asset === undefined) failures.push('GET /docs: no /docs/assets/ file named in the page');
  else await expect(new URL(asset, apiUrl).pathname, 200);
  await expect('/metrics', 404);
  return { lines, failures };
}
