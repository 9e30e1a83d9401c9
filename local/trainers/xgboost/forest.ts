/**
 * Walks saved trees on raw feature values: a present value goes left when `value < threshold`, a missing
 * (NaN) one follows the split's default direction. The trees are flattened into typed arrays once per model.
 */
import type { FeatureMatrix, GbdtTree } from './gbdt';

/** Trees flattened into typed arrays (child ids are absolute), for fast walking. */
export interface CompiledForest {
  readonly roots: Int32Array;
  readonly groups: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly defaultLeft: Uint8Array;
  readonly value: Float64Array;
}

/** Flattens trees (in order) into one {@link CompiledForest}. */
export function compileTrees(trees: readonly GbdtTree[]): CompiledForest {
  const total = trees.reduce((sum, tree) => sum + tree.left.length, 0);
  const forest = {
    roots: new Int32Array(trees.length),
    groups: new Int32Array(trees.length),
    left: new Int32Array(total),
    right: new Int32Array(total),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    defaultLeft: new Uint8Array(total),
    value: new Float64Array(total),
  };
  let base = 0;
  trees.forEach((tree, t) => {
    forest.roots[t] = base;
    forest.groups[t] = tree.group;
    for (let i = 0; i < tree.left.length; i++) {
      const left = tree.left[i] as number;
      forest.left[base + i] = left === -1 ? -1 : base + left;
      forest.right[base + i] = left === -1 ? -1 : base + (tree.right[i] as number);
      forest.feature[base + i] = tree.feature[i] as number;
      forest.threshold[base + i] = tree.threshold[i] as number;
      forest.defaultLeft[base + i] = tree.defaultLeft[i] ? 1 : 0;
      forest.value[base + i] = tree.value[i] as number;
    }
    base += tree.left.length;
  });
  return forest;
}

/** Adds every tree's leaf value to the margins (`rows x groups`, row-major) of the rows of a row-major matrix. */
export function addForest(
  forest: CompiledForest,
  matrix: FeatureMatrix,
  margins: Float64Array,
  groups: number,
): void {
  const { left, right, feature, threshold, defaultLeft, value } = forest;
  const { values, columns } = matrix;
  for (let t = 0; t < forest.roots.length; t++) {
    const root = forest.roots[t] as number;
    const group = forest.groups[t] as number;
    for (let r = 0; r < matrix.rows; r++) {
      let node = root;
      for (;;) {
        const next = left[node] as number;
        if (next === -1) break;
        const x = values[r * columns + (feature[node] as number)] as number;
        const goLeft = Number.isNaN(x) ? defaultLeft[node] === 1 : x < (threshold[node] as number);
        node = goLeft ? next : (right[node] as number);
      }
      const slot = r * groups + group;
      margins[slot] = (margins[slot] as number) + (value[node] as number);
    }
  }
}
