/**
 * The models a user key may ask for: exact names or simple globs where `*` stands for any run of characters
 * (`claude-*`, `*flash*`). Matched against the model name the client sends, before any mapping, ignoring case
 * (model names are case-insensitive to the resolver, so a case change must neither unlock nor lock a model).
 */

const patternShape = /^[A-Za-z0-9._:/@*-]{1,200}$/;

/** A problem with a pattern, or undefined when it is usable. */
export function modelPatternProblem(pattern: string): string | undefined {
  if (!patternShape.test(pattern)) {
    return `model pattern ${JSON.stringify(pattern)} may hold only letters, digits, . _ : / @ - and * (1 to 200 characters)`;
  }
  return undefined;
}

function toRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export interface ModelMatcher {
  allows(model: string): boolean;
}

/** A matcher for the patterns; an empty list allows nothing (callers treat "no list" as "every model"). */
export function modelMatcher(patterns: readonly string[]): ModelMatcher {
  const expressions = patterns.map(toRegExp);
  return {
    allows(model) {
      const name = model.replace(/^models\//, '');
      return expressions.some((expression) => expression.test(name));
    },
  };
}
