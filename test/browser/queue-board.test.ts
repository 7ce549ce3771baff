import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startProcess, type RunningProcess } from '../support/processes.js';
import { dropRunData } from '../support/run-data.js';
import { services, uniqueName } from '../support/services.js';

const BOARD_PATH = '/admin/queues';
const REALM = 'order service administration';
const ADMIN = { username: 'board-admin', password: 'a-long-enough-test-password' };
const ORDER = JSON.stringify({ user_id: '7c11e1ce2741', product_code: 'classic-box' });
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

/** Chromium from Debian (`npm run services:up` installs it); the machine has no outside network. */
async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Without these Chromium keeps dialling Google services, each a refused connection here.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    throw new Error(
      `Chromium did not launch from ${CHROMIUM}; install it with \`npm run services:up\` (as root). ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/** The API as its own process, on its own database and queue, removed again by `stop()`. */
class ApiProcess {
  readonly queueName = uniqueName('test_board');
  readonly database = uniqueName('test_board');
  url = '';
  private process: RunningProcess | undefined;

  constructor(private readonly admin: typeof ADMIN | null) {}

  async start(): Promise<this> {
    this.process = startProcess('api', {
      PORT: '0',
      OPS_PORT: '0',
      MONGO_URL: services.mongoUrl,
      MONGO_DB: this.database,
      REDIS_URL: services.redisUrl,
      QUEUE_NAME: this.queueName,
      RABBITMQ_URL: services.rabbitmqUrl,
      ORDERS_EXCHANGE: uniqueName('test_board'),
      SHUTDOWN_GRACE_MS: '5000',
      // Empty means "not set", also when the shell running the tests has them set.
      ADMIN_USER: this.admin?.username ?? '',
      ADMIN_PASSWORD: this.admin?.password ?? '',
      // As behind a TLS proxy: the client address comes from X-Forwarded-For.
      TRUST_PROXY: 'true',
    });
    const listening = await this.process.waitForLog((line) => line.msg === 'api listening');
    this.url = `http://127.0.0.1:${String(listening.port)}`;
    return this;
  }

  /** Posts one order; with no worker running its job stays waiting. Returns the order id. */
  async postOrder(): Promise<string> {
    const response = await fetch(`${this.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ORDER,
    });
    const body = (await response.json()) as { id?: unknown };
    expect(response.status, JSON.stringify(body)).to.equal(202);
    expect(body.id).to.be.a('string');
    return body.id as string;
  }

  /** Every JSON log line the API wrote so far. */
  logs(): Record<string, unknown>[] {
    return this.process?.logs ?? [];
  }

  async stop(): Promise<void> {
    await this.process?.stop();
    await dropRunData({ database: this.database, queueName: this.queueName });
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

async function expectProblem(response: Response, status: number): Promise<void> {
  expect(response.status, response.url).to.equal(status);
  expect(response.headers.get('content-type')).to.equal('application/problem+json');
  const body = (await response.json()) as { status?: unknown; title?: unknown };
  expect(body.status).to.equal(status);
  expect(body.title).to.be.a('string');
  expect(JSON.stringify(body)).not.to.match(/\bat .*\.(ts|js):\d+/); // never a stack trace
}

describe('queue board (Bull Board in Chromium, API as a process)', function () {
  this.timeout(60_000);

  describe('with administrator credentials configured', () => {
    let api: ApiProcess;
    let orderId: string;

    before(async () => {
      api = await new ApiProcess(ADMIN).start();
      orderId = await api.postOrder();
    });
    after(async () => {
      await api.stop();
    });

    it('when the administrator signs in, then the board lists the orders queue with its waiting job', async () => {
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({
          httpCredentials: ADMIN,
          viewport: { width: 1280, height: 720 },
        });
        context.setDefaultTimeout(15_000);
        // Only the API answers: anything else (the board's Google Fonts link) fails at once
        // instead of waiting on a network this machine does not have.
        const origin = new URL(api.url).origin;
        await context.route(
          (url) => url.origin !== origin,
          (route) => route.abort('blockedbyclient'),
        );
        const page = await context.newPage();
        const pageErrors: string[] = [];
        const failedResponses: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        page.on('response', (response) => {
          if (response.status() >= 400)
            failedResponses.push(`${response.status()} ${response.url()}`);
        });

        // The overview: one card per queue, and the totals per status.
        const answer = await page.goto(`${api.url}${BOARD_PATH}`, {
          waitUntil: 'domcontentloaded',
        });
        expect(answer?.status(), 'GET /admin/queues with the credentials').to.equal(200);
        // No other site may frame the board (clickjacking).
        const headers = answer?.headers() ?? {};
        expect(headers['x-frame-options']).to.equal('DENY');
        expect(headers['content-security-policy']).to.equal("frame-ancestors 'none'");
        const main = page.getByRole('main');
        const queueCard = main.getByRole('link', { name: api.queueName, exact: true });
        await queueCard.waitFor();
        expect(await queueCard.textContent()).to.equal(api.queueName);
        const waitingTab = main.getByRole('link', { name: /^waiting\s*1$/i });
        await waitingTab.waitFor();
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: `${ARTIFACTS}bull-board.png`, fullPage: true });

        // Into the queue, its waiting jobs: the order's job, named by the order id.
        await queueCard.click();
        await page.waitForURL(`**${BOARD_PATH}/queue/${api.queueName}`);
        await page.getByRole('heading', { level: 1, name: api.queueName }).waitFor();
        await main.getByRole('link', { name: /^waiting\s*1$/i }).click();
        await page.waitForURL(`**${BOARD_PATH}/queue/${api.queueName}?status=waiting`);
        const job = main.getByRole('link', { name: orderId, exact: true });
        await job.waitFor();
        const jobLink = new URL((await job.getAttribute('href')) ?? '', api.url);
        expect(jobLink.pathname).to.equal(`${BOARD_PATH}/queue/${api.queueName}/${orderId}`);
        await main.getByRole('heading', { name: 'process-order' }).waitFor();

        expect(pageErrors, 'errors thrown in the page').to.deep.equal([]);
        expect(failedResponses, 'API answers >= 400 to the board').to.deep.equal([]);
      } finally {
        await browser.close();
      }
    });

    it('when the credentials are wrong or missing, then /admin/queues answers 401 problem+json with WWW-Authenticate', async () => {
      const attempts: Record<string, Record<string, string>> = {
        'no Authorization header': {},
        'wrong password': { authorization: basic(ADMIN.username, `${ADMIN.password}x`) },
        'wrong user': { authorization: basic('someone-else', ADMIN.password) },
        'not Basic': { authorization: `Bearer ${ADMIN.password}` },
      };
      // The page, and the JSON API behind it that lists (and can retry or remove) jobs.
      for (const path of [BOARD_PATH, `${BOARD_PATH}/api/queues`]) {
        for (const [why, headers] of Object.entries(attempts)) {
          const response = await fetch(`${api.url}${path}`, { headers });
          expect(response.status, `${why}: ${path}`).to.equal(401);
          expect(response.headers.get('www-authenticate'), why).to.equal(
            `Basic realm="${REALM}", charset="UTF-8"`,
          );
          await expectProblem(response, 401);
        }
      }
      // The same requests with the right credentials do get through.
      const signedIn = await fetch(`${api.url}${BOARD_PATH}/api/queues`, {
        headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      });
      expect(signedIn.status).to.equal(200);
      const board = (await signedIn.json()) as { queues: { name: string }[] };
      expect(board.queues.map((queue) => queue.name)).to.deep.equal([api.queueName]);
    });

    it('when one address keeps sending wrong credentials, then each refusal is logged at warn with it, and past 10 it gets 429 even with the right ones, while other addresses still sign in', async () => {
      const from = (address: string, password: string) =>
        fetch(`${api.url}${BOARD_PATH}/api/queues`, {
          headers: {
            authorization: basic(ADMIN.username, password),
            'x-forwarded-for': address,
          },
        });
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await from('203.0.113.7', 'wrong')).status);
      expect(statuses).to.deep.equal(Array(10).fill(401));
      const blocked = await from('203.0.113.7', ADMIN.password);
      expect(blocked.status).to.equal(429);
      expect(Number(blocked.headers.get('retry-after'))).to.be.within(1, 900);
      await expectProblem(blocked, 429);
      // Only the proxy's own (last) entry counts: a client cannot pick its address.
      expect((await from('198.51.100.9, 203.0.113.7', ADMIN.password)).status).to.equal(429);
      expect((await from('198.51.100.2', ADMIN.password)).status).to.equal(200);
      const warnings = api
        .logs()
        .filter(
          (line) => line.msg === 'administrator sign-in refused' && line.ip === '203.0.113.7',
        );
      expect(warnings).to.have.length(10);
      expect(warnings.every((line) => line.level === 40)).to.equal(true);
    });

    it('when another site makes a signed-in browser post to the board, then it is refused with 403', async () => {
      const retryAll = `${api.url}${BOARD_PATH}/api/queues/${api.queueName}/retry/failed`;
      const signedIn = { authorization: basic(ADMIN.username, ADMIN.password) };
      const crossSite: Record<string, string>[] = [
        { 'sec-fetch-site': 'cross-site' },
        { origin: 'https://elsewhere.example' },
      ];
      for (const headers of crossSite) {
        const response = await fetch(retryAll, {
          method: 'PUT',
          headers: { ...signedIn, ...headers },
        });
        await expectProblem(response, 403);
      }
      const fromTheBoard = await fetch(retryAll, {
        method: 'PUT',
        headers: { ...signedIn, 'sec-fetch-site': 'same-origin' },
      });
      expect(fromTheBoard.status).to.be.below(400);
    });

    it('when the board is served behind a TLS proxy (TRUST_PROXY), then a change from its public https origin passes the origin check, and one from elsewhere does not', async () => {
      const retryAll = `${api.url}${BOARD_PATH}/api/queues/${api.queueName}/retry/failed`;
      const behindProxy = {
        authorization: basic(ADMIN.username, ADMIN.password),
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'orders.example',
      };
      const fromItsOrigin = await fetch(retryAll, {
        method: 'PUT',
        headers: { ...behindProxy, origin: 'https://orders.example' },
      });
      expect(fromItsOrigin.status).to.be.below(400);
      const plainHttp = await fetch(retryAll, {
        method: 'PUT',
        headers: { ...behindProxy, origin: 'http://orders.example' },
      });
      await expectProblem(plainHttp, 403);
    });
  });

  describe('without administrator credentials', () => {
    let api: ApiProcess;

    before(async () => {
      api = await new ApiProcess(null).start();
    });
    after(async () => {
      await api.stop();
    });

    it('when no administrator credentials are configured, then /admin/queues is not served (404)', async () => {
      for (const path of [BOARD_PATH, `${BOARD_PATH}/api/queues`]) {
        const anonymous = await fetch(`${api.url}${path}`);
        expect(anonymous.headers.get('www-authenticate'), path).to.equal(null);
        await expectProblem(anonymous, 404);
        const withCredentials = await fetch(`${api.url}${path}`, {
          headers: { authorization: basic(ADMIN.username, ADMIN.password) },
        });
        await expectProblem(withCredentials, 404);
      }
      // The API itself is up and taking orders.
      await api.postOrder();
    });
  });
});
