import { expect } from 'chai';
import fc from 'fast-check';
import {
  HISTORY_LIMIT,
  acceptedEntry,
  appendToHistory,
  lookupEntry,
  settledEntry,
  type HistoryEntry,
} from '../../src/shared/domain/order-history.js';
import { decodeAttemptRecords, encodeAttemptRecord } from '../../src/worker/attempt-records.js';

const at = new Date('2026-01-02T03:04:05.000Z');

describe('order history', () => {
  it('when entries are added, then the newest HISTORY_LIMIT are kept, oldest first, whatever was there', () => {
    fc.assert(
      fc.property(fc.nat({ max: 120 }), fc.nat({ max: 120 }), (before, added) => {
        const entry = (n: number): HistoryEntry => acceptedEntry(new Date(n));
        const history = Array.from({ length: Math.min(before, HISTORY_LIMIT) }, (_, n) => entry(n));
        const more = Array.from({ length: added }, (_, n) => entry(1000 + n));
        const after = appendToHistory(history, more);
        const all = [...history, ...more];
        expect(after).to.deep.equal(all.slice(Math.max(0, all.length - HISTORY_LIMIT)));
        expect(after.length).to.be.at.most(HISTORY_LIMIT);
      }),
    );
  });

  it('when a call fails with an error status, then its entry has the code, the status and what happened', () => {
    const entry = lookupEntry(
      { dependency: 'user', resource: 'e6f24d7d1c7e', at, durationMs: 312 },
      1,
      { dependency: 'user', resource: 'e6f24d7d1c7e', cause: 'http-error', status: 500 },
    );
    expect(entry).to.deep.equal({
      type: 'lookup',
      at,
      attempt: 1,
      dependency: 'user',
      resource: 'e6f24d7d1c7e',
      outcome: 'failed',
      duration_ms: 312,
      failure_code: 'USER_SERVICE_ERROR',
      message: 'the user service answered HTTP 500 for user e6f24d7d1c7e',
      http_status: 500,
    });
  });

  it('when a call times out, then its entry has no status', () => {
    const entry = lookupEntry(
      { dependency: 'product', resource: 'family-box', at, durationMs: 2001 },
      1,
      {
        dependency: 'product',
        resource: 'family-box',
        cause: 'timeout',
        timeoutMs: 2000,
        patient: false,
      },
    );
    expect(entry).to.include({ failure_code: 'PRODUCT_SERVICE_TIMEOUT' });
    expect(entry).not.to.have.property('http_status');
  });

  it('when an order settles, then the state entry names who settled it, the attempt and the code', () => {
    expect(
      settledEntry(at, {
        to: 'FAILED',
        by: 'deadline',
        attempt: 3,
        failure: { code: 'DEADLINE_EXCEEDED', message: 'late' },
      }),
    ).to.deep.equal({
      type: 'state',
      at,
      from: 'PENDING',
      to: 'FAILED',
      by: 'deadline',
      attempt: 3,
      failure_code: 'DEADLINE_EXCEEDED',
    });
  });

  it('when an attempt record is kept on the job and read back, then the entries come back with their dates, and stack traces in between are skipped', () => {
    const first = [
      lookupEntry({ dependency: 'product', resource: 'classic-box', at, durationMs: 5 }, 1),
    ];
    const second = [
      lookupEntry(
        { dependency: 'user', resource: 'u', at: new Date(at.getTime() + 1000), durationMs: 7 },
        2,
        { dependency: 'user', resource: 'u', cause: 'http-error', status: 503 },
      ),
    ];
    const stacktrace = [
      encodeAttemptRecord(first),
      'Error: boom\n    at somewhere (file.js:1:1)',
      '{"not":"a record"}',
      encodeAttemptRecord(second),
    ];
    expect(decodeAttemptRecords(stacktrace)).to.deep.equal([...first, ...second]);
    expect(decodeAttemptRecords(null)).to.deep.equal([]);
  });
});
