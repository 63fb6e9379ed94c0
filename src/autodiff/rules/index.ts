// Importing a rule file registers its rules.
import './activations.js';
import './conv.js';
import './elementwise.js';
import './linear.js';
import './normalization.js';
import './pooling.js';
import './reduce-softmax.js';
import './resize.js';
import './shape-ops.js';
import './sort.js';
