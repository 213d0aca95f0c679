/**
 * The OpenAI `/v1/models` body.
 */

export interface OpenAiModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}

/** A fixed creation time: the ids are aliases, not dated artefacts, and a stable body caches well. */
export const modelListCreated = 1706745600;

/** Wraps model ids (see `listModels` in protocols/models.ts) in OpenAI's list shape. */
export function openAiModelList(ids: readonly string[]): OpenAiModelList {
  return {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model' as const, created: modelListCreated, owned_by: 'antigravity' })),
  };
}
