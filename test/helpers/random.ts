export { randn, rng } from '../../src/util/random.js';
