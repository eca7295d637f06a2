import { expect } from 'chai';
import { parseArgs, optNumber } from '../../src/cli/args';
import { SeededRandom } from '../../src/core/random';

describe('cli args', () => {
  it('parses options, flags, positionals and the rest after --', () => {
    const a = parseArgs(['up', '--config', 'x.toml', '--json', '--n=3', 'extra', '--', 'ls', '-l'], ['json']);
    expect(a.positional).to.deep.equal(['up', 'extra']);
    expect(a.options.get('config')).to.equal('x.toml');
    expect(a.options.get('json')).to.equal(true);
    expect(optNumber(a, 'n', 0)).to.equal(3);
    expect(a.rest).to.deep.equal(['ls', '-l']);
  });

  it('rejects an option without its value with a one-line message', () => {
    expect(() => parseArgs(['--config'])).to.throw(/--config needs a value/);
  });
});

describe('seeded random', () => {
  it('is deterministic per seed and roughly uniform', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).to.be.within(0.45, 0.55);
    expect(Math.min(...xs)).to.be.at.least(0);
    expect(Math.max(...xs)).to.be.below(1);
  });
});
