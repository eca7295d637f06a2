/** Redundancy elimination end to end: a repeated download through braid costs far fewer bytes on the path. */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { labTunnelUp, type LabTunnel } from '../../src/demo/lab-tunnel';
import { expectedSha256 } from '../../src/demo/transfer';
import { gwPathTx, transfer } from '../support/transfer';

describe('redundancy elimination through real daemons', function () {
  this.timeout(120_000);
  let t: LabTunnel;

  before(async () => {
    t = await labTunnelUp({ name: `bt-${randomBytes(2).toString('hex')}`, paths: ['wifi'], re: true });
  });

  after(async () => {
    await t?.down();
  });

  it('sends the same 8 MB the second time mostly as references, byte-identical both times', async () => {
    const bytes = 8 * 1024 * 1024;
    const before1 = gwPathTx(t, 'wifi');
    const first = await transfer(t, bytes, 5401);
    const firstWire = gwPathTx(t, 'wifi') - before1;
    const before2 = gwPathTx(t, 'wifi');
    const second = await transfer(t, bytes, 5402);
    const secondWire = gwPathTx(t, 'wifi') - before2;
    const sha = expectedSha256(bytes);
    expect(first.sha256).to.equal(sha);
    expect(second.sha256).to.equal(sha);
    expect(firstWire).to.be.greaterThan(bytes);
    expect(secondWire, `second download put ${secondWire} bytes on the path (first ${firstWire})`).to.be.below(firstWire * 0.1);
    const s = await t.gwStatus();
    expect(s.re!.hits).to.be.greaterThan(0);
    expect(s.tunnel.drops.re_undecodable).to.equal(0);
  });
});

describe('redundancy elimination through real daemons on two paths (reordering, lte loss)', function () {
  this.timeout(180_000);
  let t: LabTunnel;

  before(async () => {
    t = await labTunnelUp({ name: `bt-${randomBytes(2).toString('hex')}`, paths: ['wifi', 'lte'], re: true });
  });

  after(async () => {
    await t?.down();
  });

  it('delivers both downloads byte-identical and sends the second one mostly as references', async () => {
    const bytes = 6 * 1024 * 1024;
    const wire = (): number => gwPathTx(t, 'wifi') + gwPathTx(t, 'lte');
    const before1 = wire();
    const first = await transfer(t, bytes, 5403);
    const firstWire = wire() - before1;
    const before2 = wire();
    const second = await transfer(t, bytes, 5404);
    const secondWire = wire() - before2;
    const sha = expectedSha256(bytes);
    expect(first.sha256).to.equal(sha);
    expect(second.sha256).to.equal(sha);
    expect(secondWire, `second download put ${secondWire} bytes on the paths (first ${firstWire})`).to.be.below(firstWire * 0.1);
    const s = await t.gwStatus();
    expect(s.tunnel.drops.re_undecodable).to.equal(0);
  });
});

