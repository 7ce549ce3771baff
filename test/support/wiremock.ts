/** Puts WireMock's scenarios (the user service's 500/200 alternation) back at their start. */
export async function resetScenarios(baseUrl: string): Promise<void> {
  const response = await fetch(new URL('/__admin/scenarios/reset', baseUrl), { method: 'POST' });
  if (!response.ok)
    throw new Error(`WireMock at ${baseUrl} refused the scenario reset: ${response.status}`);
}
