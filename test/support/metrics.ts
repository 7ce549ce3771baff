/**
 * The value of one series in a process's Prometheus text (`/metrics` on its operations
 * port), e.g. `dependency_calls_in_flight{service="user-service"}`; NaN when it is absent.
 */
export async function metricValue(opsUrl: string, series: string): Promise<number> {
  const text = await fetch(`${opsUrl}/metrics`).then((response) => response.text());
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}
