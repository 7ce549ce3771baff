/** Puts WireMock's scenarios (the user service's 500/200 alternation) back at their start. */
export async function resetScenarios(baseUrl: string): Promise<void> {
  const response = await fetch(new URL('/__admin/scenarios/reset', baseUrl), { method: 'POST' });
  if (!response.ok)
    throw new Error(`WireMock at ${baseUrl} refused the scenario reset: ${response.status}`);
}

/** Adds a stub through WireMock's admin API; returns its id, for removeStub. */
export async function addStub(baseUrl: string, mapping: Record<string, unknown>): Promise<string> {
  const response = await fetch(new URL('/__admin/mappings', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...mapping, persistent: false }),
  });
  if (response.status !== 201)
    throw new Error(`WireMock at ${baseUrl} refused the stub: ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

export async function removeStub(baseUrl: string, id: string): Promise<void> {
  const response = await fetch(new URL(`/__admin/mappings/${id}`, baseUrl), { method: 'DELETE' });
  if (!response.ok) throw new Error(`WireMock at ${baseUrl} kept stub ${id}: ${response.status}`);
}
